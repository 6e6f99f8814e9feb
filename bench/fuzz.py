"""Generated inputs through the CLI: how many give an internal error, and how long they take.

    python bench/fuzz.py [-n 5000] [--seed 0] [--show 10]

Each input is a mutation of the examples and of objects shaped like the tests'
(tests/fuzz/generator.py), run in-process through `plan --offline -f`,
`plan --offline -f -` (stdin), `apply --dry-run -f` (a store with an offline
Cluster) and `apply -f` (a store without clusters). A case fails on an exit
code outside 0-3, "internal error" on stderr, or a store changed by a command
that failed. Prints the count of failures and the time; exits 1 if any.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=5000, help="how many inputs")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--start", type=int, default=0, help="first case number")
    parser.add_argument("--show", type=int, default=10, help="failing cases to print")
    parser.add_argument("--trace", action="store_true", help="print the traceback of each case shown")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["KARMADA_HOME"] = str(Path(tmp) / "home")
        os.environ.pop("KARMADACTL_STORE", None)
        from tests.fuzz.generator import Generator, Harness

        generator, harness = Generator(args.seed), Harness(Path(tmp))
        failures, codes, shown = Counter(), Counter(), 0
        start = time.perf_counter()
        for number in range(args.start, args.start + args.n):
            case = generator.case(number)
            outcome, found = harness.problems(case)
            codes[outcome.code] += 1
            for problem in found:
                failures[problem] += 1
            if found and shown < args.show:
                shown += 1
                print(f"case {number} ({case.command}): {'; '.join(found)}", file=sys.stderr)
                if args.trace:
                    print(harness.traceback(case), file=sys.stderr)
        elapsed = time.perf_counter() - start
    bad = sum(1 for _ in failures.elements())
    print(f"{args.n} inputs (seed {args.seed}) in {elapsed:.1f} s ({1000 * elapsed / args.n:.1f} ms each); "
          f"exit codes {dict(sorted(codes.items()))}; internal errors or changed stores: {bad}")
    for problem, count in failures.most_common():
        print(f"  {count:5d}  {problem}")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
