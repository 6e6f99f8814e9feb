"""The store on PostgreSQL: what the SQLite-only tests in test_store.py check for schema versions,
plus the URL forms a user types. (Every test taking ``store`` in test_store.py and
test_concurrency.py runs on PostgreSQL too.) Skipped with the reason when no server can be had.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, create_engine, insert, inspect, update

from karmadactl.errors import StoreError
from karmadactl.store import SCHEMA_VERSION, Store, migrations
from karmadactl.store import engine as engines
from karmadactl.store.keys import ObjectKey
from tests.processes import run_in_processes

CLUSTER = "Cluster.cluster.karmada.io"

V1_OBJECTS = Table(
    "objects", MetaData(),
    Column("group_kind", String(253), primary_key=True),
    Column("namespace", String(253), primary_key=True),
    Column("name", String(253), primary_key=True),
    Column("uid", String(36)), Column("resource_version", Integer),
    Column("generation", Integer), Column("body", Text),
)


def _version_one_store(url: str) -> None:
    """What a version-1 karmadactl left behind: objects only, one cluster in it."""
    eng = create_engine(url)
    try:
        with eng.begin() as conn:
            migrations.upgrade(conn, target=1)
            conn.execute(insert(V1_OBJECTS).values(
                group_kind=CLUSTER, namespace="", name="old", uid="u-1", resource_version=7, generation=2,
                body='{"apiVersion":"cluster.karmada.io/v1alpha1","kind":"Cluster",'
                     '"metadata":{"name":"old","uid":"u-1","generation":2},"spec":{"syncMode":"Push"}}'))
    finally:
        eng.dispose()


def _tables(url: str) -> set[str]:
    eng = create_engine(url)
    try:
        with eng.connect() as conn:
            return set(inspect(conn).get_table_names())
    finally:
        eng.dispose()


def test_opening_a_version_one_store_upgrades_it_and_keeps_the_data(postgres_store: str) -> None:
    _version_one_store(postgres_store)
    assert _tables(postgres_store) == {"objects", "schema_version"}
    with Store.open(postgres_store, create=False) as s:
        assert s.schema_version == SCHEMA_VERSION
        with s.write() as tx:
            old = tx.get(ObjectKey(CLUSTER, "", "old"))
            assert old["metadata"]["resourceVersion"] == "7"
            old["spec"]["syncMode"] = "Pull"
            assert tx.update(old)["metadata"]["resourceVersion"] == "8"
            tx.put_secret("old", {"token": "t"})
            tx.add_event(kind="Cluster", name="old", reason="Upgraded", message="ok")
    with Store.open(postgres_store) as s:
        with s.read() as tx:
            assert tx.get(ObjectKey(CLUSTER, "", "old"))["metadata"]["generation"] == 3
            assert tx.get_secret("old") == {"token": "t"}
            assert [e["reason"] for e in tx.events()] == ["Upgraded"]


def _open_and_report(url: str, index: int, barrier, results) -> None:  # noqa: ANN001
    try:
        barrier.wait(timeout=60)
        with Store.open(url) as s:
            results.put((index, True, s.schema_version))
    except BaseException as e:  # noqa: BLE001 - reported to the test
        results.put((index, False, f"{type(e).__name__}: {e}"))


@pytest.mark.timeout(120)
@pytest.mark.slow
def test_concurrent_opens_upgrade_an_old_store_once(postgres_store: str) -> None:
    _version_one_store(postgres_store)
    reports = run_in_processes(_open_and_report, lambda i: (postgres_store, i), 4, timeout=90)
    assert [version for _, _, version in reports] == [SCHEMA_VERSION] * 4   # the advisory lock serialized the upgrade
    with Store.open(postgres_store) as s:
        with s.read() as tx:
            assert tx.get(ObjectKey(CLUSTER, "", "old"))["metadata"]["resourceVersion"] == "7"


def test_a_failed_upgrade_leaves_the_old_schema(postgres_store: str) -> None:
    eng = create_engine(postgres_store)
    try:
        with eng.begin() as conn:
            migrations.upgrade(conn, target=1)

        def broken(conn) -> None:  # noqa: ANN001
            raise RuntimeError("step 3 failed")

        with pytest.raises(RuntimeError):
            with eng.begin() as conn:
                migrations.upgrade(conn, steps=[*migrations.MIGRATIONS[:2], broken])
        with eng.connect() as conn:
            assert migrations.current_version(conn) == 1
            assert "secrets" not in inspect(conn).get_table_names()   # PostgreSQL's DDL rolled back too
    finally:
        eng.dispose()


def test_a_newer_schema_is_refused(postgres_store: str) -> None:
    with Store.open(postgres_store):
        pass
    eng = create_engine(postgres_store)
    version = Table("schema_version", MetaData(), Column("id", Integer), Column("version", Integer))
    try:
        with eng.begin() as conn:
            conn.execute(update(version).values(version=SCHEMA_VERSION + 2))
    finally:
        eng.dispose()
    with pytest.raises(StoreError, match=f"store schema {SCHEMA_VERSION + 2} is newer than this karmadactl"):
        Store.open(postgres_store)


def test_a_plain_postgresql_url_uses_psycopg(postgres_store: str) -> None:
    plain = postgres_store.replace("postgresql+psycopg://", "postgresql://")
    assert plain != postgres_store
    assert engines.parse(plain).url.drivername == "postgresql+psycopg"
    with Store.open(plain) as s:
        assert s.url_for_display == plain                          # shown as the user typed it
        with s.write() as tx:
            tx.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "default"}})
    with Store.open(postgres_store) as s:
        with s.read() as tx:
            assert tx.get(ObjectKey("ConfigMap", "default", "a")) is not None


def test_the_password_is_hidden_where_the_store_is_named(postgres_store: str) -> None:
    with_password = postgres_store.replace("postgres@", "postgres:s3cr3t-pw@")
    with Store.open(with_password) as s:                           # trust authentication ignores it
        assert "s3cr3t-pw" not in s.url_for_display + repr(s)
        assert "postgres:***@" in s.url_for_display
    with pytest.raises(StoreError) as err:
        Store.open(with_password.rsplit("/", 1)[0] + "/no_such_db")
    assert "no_such_db" in str(err.value) and "s3cr3t-pw" not in str(err.value)
    assert err.value.__cause__ is None
