"""Shared fixtures: an isolated KARMADA_HOME and a way to run the real CLI."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli import run_cli, run_in_process, run_process  # noqa: F401  (run_cli: in-process unless subprocess=True)
from tests.pg import postgres_store, postgres_url  # noqa: F401  (fixtures: a PostgreSQL store)

ISOLATED_VARS = ("KARMADACTL_STORE", "KUBECONFIG", "NO_COLOR")

# pytest keeps the assertion-rewritten test modules in __pycache__ only when bytecode may be written.
# Under PYTHONDONTWRITEBYTECODE (this machine's and CI's environment) each xdist worker would rewrite
# all ~90 test modules again: 5 s of CPU per worker, a sixth of the suite's CPU on two cores. The
# suite's own processes keep the variable (their imports are compiled once, in pytest_configure).
sys.dont_write_bytecode = False


@contextlib.contextmanager
def isolated_home(path) -> Iterator[pytest.MonkeyPatch]:
    """$KARMADA_HOME set to path and nothing from the developer's environment leaking in, until the block ends
    (for module-scoped fixtures, which cannot use the monkeypatch fixture)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KARMADA_HOME", str(path))
        for var in ISOLATED_VARS:
            mp.delenv(var, raising=False)
        yield mp


def pytest_configure(config: pytest.Config) -> None:
    """karmadactl compiled to bytecode once, before any worker or CLI process starts. Where
    PYTHONDONTWRITEBYTECODE is set (this machine's and CI's environment) every interpreter the suite
    starts (pytest-xdist's workers, sandbox members, CLI processes) would otherwise compile the whole
    package from source again; existing .pyc files are still read under that variable."""
    if not hasattr(config, "workerinput"):         # the controller (or a run without xdist)
        import compileall

        compileall.compile_dir(Path(__file__).resolve().parents[1] / "karmadactl", quiet=1)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Everything imported so far (pytest, the test modules, the product) lives until the end: the cycle
    collector skips it from now on, in every collection during the run and in pytest's last ones at exit
    (about 0.7 s of CPU per process with the heap of a whole collection)."""
    import gc

    gc.freeze()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Files with slow (multi-process) tests first, each file's tests kept together and in order: on
    several workers (-n 2) the long files start early and the many short ones fill in beside them,
    instead of one long file running alone at the end."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.path not in slow_files)


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A fresh $KARMADA_HOME; nothing from the developer's environment leaks in."""
    path = tmp_path / "karmada-home"
    monkeypatch.setenv("KARMADA_HOME", str(path))
    for var in ISOLATED_VARS:
        monkeypatch.delenv(var, raising=False)
    return path


@pytest.fixture
def cli(home):
    return run_cli
