"""Fixtures for the store tests: a fresh private KARMADA_HOME per test.

Every test that takes ``store_url`` (or ``store``) runs twice: on the default
SQLite file and on PostgreSQL (tests/pg.py; skipped with the reason when no
PostgreSQL server can be had).

Set KARMADACTL_TEST_STORE to a database URL (e.g.
postgresql://karmada@127.0.0.1:5432/karmada) to run the tests that take the
``store_url`` fixture against that database instead of a SQLite file; its
karmadactl tables are dropped before each such test.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from karmadactl.store import Store
from tests.pg import per_worker

EXTERNAL = os.environ.get("KARMADACTL_TEST_STORE")
if EXTERNAL and EXTERNAL.startswith("postgresql"):
    EXTERNAL = per_worker(EXTERNAL)             # under pytest-xdist, a database for each worker


def reset_external(url: str) -> None:
    """Drop karmadactl's tables so a test starts from an empty database."""
    from sqlalchemy import create_engine

    from karmadactl.store.schema import metadata

    engine = create_engine(url)
    try:
        metadata.drop_all(engine)
    finally:
        engine.dispose()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "karmada-home"
    monkeypatch.setenv("KARMADA_HOME", str(h))
    monkeypatch.delenv("KARMADACTL_STORE", raising=False)
    return h


@pytest.fixture(params=["external"] if EXTERNAL else ["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, home: Path) -> str:
    """An empty store's URL: the default SQLite file, a PostgreSQL database, or KARMADACTL_TEST_STORE."""
    if request.param == "external":
        reset_external(EXTERNAL)
        return EXTERNAL
    if request.param == "postgres":
        return request.getfixturevalue("postgres_store")
    return f"sqlite:///{home / 'karmada.db'}"


@pytest.fixture
def store(store_url: str):
    s = Store.open(store_url)
    yield s
    s.close()
