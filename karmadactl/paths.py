"""Where karmadactl keeps its files: $KARMADA_HOME (default ~/.karmada)."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    return Path(os.environ.get("KARMADA_HOME") or Path.home() / ".karmada").expanduser()


def default_store_url() -> str:
    return f"sqlite:///{home() / 'karmada.db'}"


def store_url(explicit: str | None = None) -> str:
    return explicit or os.environ.get("KARMADACTL_STORE") or default_store_url()


def sandbox_dir() -> Path:
    return home() / "sandbox"


def private_dir(path: Path) -> Path:
    """Create a directory only its owner can read (it holds credentials)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def write_private(path: Path, text: str) -> None:
    """Write a file with mode 0600 from the start (never world-readable)."""
    private_dir(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
