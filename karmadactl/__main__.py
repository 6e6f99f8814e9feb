from karmadactl.cli import main

raise SystemExit(main())
