"""Sandbox member clusters as fixtures: real HTTP servers reached through kubeconfigs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from karmadactl.sandbox.member import Member
from tests.conftest import isolated_home, run_cli


@pytest.fixture(scope="session")
def members(tmp_path_factory):
    """Three running members for the whole session, each with a kubeconfig file."""
    folder = tmp_path_factory.mktemp("kubeconfigs")
    started = []
    for i in (1, 2, 3):
        member = Member(f"member{i}", nodes=2 + i)
        member.start()
        member.kubeconfig_path = folder / f"member{i}.kubeconfig"
        member.write_kubeconfig(member.kubeconfig_path)
        started.append(member)
    yield started
    for member in started:
        member.stop()


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request, home) -> str:
    """An empty store's URL, once per backend: a SQLite file in $KARMADA_HOME, or a PostgreSQL database
    (tests/pg.py; skipped with the reason when no server can be had)."""
    if request.param == "postgres":
        return request.getfixturevalue("postgres_store")
    home.mkdir(mode=0o700, parents=True, exist_ok=True)     # an explicit --store's folder must exist
    return f"sqlite:///{home / 'store.db'}"


@pytest.fixture(scope="session")
def joined_store(members, tmp_path_factory) -> Path:
    """A store file with the three members joined, made once per session through the CLI (a join reads
    each member's version, APIs, nodes and pods: 50 ms of CPU, for every test that starts joined)."""
    home = tmp_path_factory.mktemp("joined") / "home"
    with isolated_home(home):
        for m in members:
            assert run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path)).returncode == 0
    return home / "karmada.db"


@pytest.fixture
def joined(home, members, joined_store):
    """The three members joined to this test's store, a copy of `joined_store` (a module may define its
    own `joined`)."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    shutil.copy2(joined_store, home / "karmada.db")
    return members


@pytest.fixture
def member_client():
    """The official kubernetes client for a member, as a user's tooling would reach it."""
    from kubernetes.config import new_client_from_config_dict

    clients = []

    def make(member):
        client = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
        clients.append(client)
        return client

    yield make
    for c in clients:
        c.close()
