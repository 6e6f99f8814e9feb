"""Controller tests: a real SQLite store in tmp_path (copied from one migrated once) and a fake fleet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from karmadactl.store import Store
from tests.controllers.world import join
from tests.fakefleet import FakeFleet


@pytest.fixture(scope="session")
def empty_store_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("store") / "karmada.db"
    Store.open(f"sqlite:///{path}").close()
    return path


@pytest.fixture
def store(tmp_path, monkeypatch, empty_store_file):
    monkeypatch.setenv("KARMADA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("KARMADACTL_STORE", raising=False)
    path = tmp_path / "karmada.db"
    shutil.copy(empty_store_file, path)
    path.chmod(0o600)
    opened = Store.open(f"sqlite:///{path}")
    yield opened
    opened.close()


@pytest.fixture
def fleet(store) -> FakeFleet:
    """Two fake members, m1 and m2, joined."""
    fake = FakeFleet("m1", "m2")
    join(store, fake, "m1", "m2")
    return fake
