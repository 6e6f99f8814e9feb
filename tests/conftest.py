"""Shared fixtures: an isolated KARMADA_HOME and a way to run the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pg import postgres_store, postgres_url  # noqa: F401  (fixtures: a PostgreSQL store)

ISOLATED_VARS = ("KARMADACTL_STORE", "KUBECONFIG", "NO_COLOR")


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh $KARMADA_HOME; nothing from the developer's environment leaks in."""
    path = tmp_path / "karmada-home"
    monkeypatch.setenv("KARMADA_HOME", str(path))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    return path


def run_cli(*args: str, env: dict | None = None, input: str | None = None,
            timeout: float = 60) -> subprocess.CompletedProcess:
    """Run karmadactl as a user does: a separate process, output captured (not a terminal)."""
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "karmadactl", *args], capture_output=True, text=True,
                          env=full_env, input=input, timeout=timeout)


@pytest.fixture
def cli(home):
    return run_cli
