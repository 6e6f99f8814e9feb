"""The store as its callers see it: objects, CAS, transactions, files, schema."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Text, insert, inspect, update

from karmadactl.errors import AlreadyExists, Conflict, InvalidInput, NotFound, StoreError
from karmadactl.store import SCHEMA_VERSION, Store, group_kind, migrations
from karmadactl.store import engine as engines
from karmadactl.store.keys import ObjectKey, describe, object_key

CLUSTER = "Cluster.cluster.karmada.io"
DEPLOY = "Deployment.apps"


def cluster(name: str, **spec) -> dict:
    return {
        "apiVersion": "cluster.karmada.io/v1alpha1",
        "kind": "Cluster",
        "metadata": {"name": name},
        "spec": spec or {"syncMode": "Push"},
    }


def deployment(name: str, namespace: str = "default", replicas: int = 1, labels: dict | None = None) -> dict:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": namespace, "labels": labels or {}},
        "spec": {"replicas": replicas},
    }


# -- keys ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("api_version", "kind", "expected"),
    [
        ("v1", "Pod", "Pod"),
        ("apps/v1", "Deployment", "Deployment.apps"),
        ("cluster.karmada.io/v1alpha1", "Cluster", "Cluster.cluster.karmada.io"),
        ("policy.karmada.io/v1alpha1", "PropagationPolicy", "PropagationPolicy.policy.karmada.io"),
    ],
)
def test_group_kind(api_version: str, kind: str, expected: str) -> None:
    assert group_kind(api_version, kind) == expected


@pytest.mark.parametrize(("api_version", "kind"), [("", "Pod"), ("v1", ""), ("apps/", "Deployment")])
def test_group_kind_rejects_incomplete_input(api_version: str, kind: str) -> None:
    with pytest.raises(InvalidInput):
        group_kind(api_version, kind)


def test_keys_module_does_not_import_sqlalchemy() -> None:
    import subprocess
    import sys

    code = "import sys; from karmadactl.store import group_kind; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_object_key_of_a_manifest_and_how_messages_name_it() -> None:
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "prod"}}
    cluster = {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": "member1"}}
    assert object_key(deployment) == ObjectKey("Deployment.apps", "prod", "web")
    assert object_key(cluster) == ObjectKey(CLUSTER, "", "member1")
    assert describe(object_key(deployment)) == 'Deployment "prod/web"'
    assert describe(object_key(cluster)) == 'Cluster "member1"'


def test_an_object_key_finds_what_it_names(store: Store) -> None:
    with store.write() as tx:
        created = tx.create(deployment("web"))
        key = object_key(created)
        assert tx.get(key) == created
        assert tx.get(key._replace(namespace="other")) is None
        assert tx.delete(key)["metadata"]["uid"] == created["metadata"]["uid"]
        assert tx.get(key) is None


# -- create / get / list ---------------------------------------------------


def test_create_fills_in_server_metadata(store: Store) -> None:
    with store.write() as tx:
        created = tx.create(cluster("member1"))
    meta = created["metadata"]
    assert meta["resourceVersion"] == "1"
    assert meta["generation"] == 1
    assert len(meta["uid"]) == 36
    stamp = datetime.strptime(meta["creationTimestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)
    with store.read() as tx:
        assert tx.get(ObjectKey(CLUSTER, "", "member1")) == created
        assert tx.get(ObjectKey(CLUSTER, "", "member2")) is None


def test_objects_survive_reopening(home: Path) -> None:
    with Store.open() as s:
        with s.write() as tx:
            tx.create(deployment("web"))
    with Store.open(create=False) as s:
        with s.read() as tx:
            assert tx.get(ObjectKey(DEPLOY, "default", "web"))["spec"] == {"replicas": 1}


def test_returned_objects_are_copies(store: Store) -> None:
    obj = cluster("member1")
    with store.write() as tx:
        created = tx.create(obj)
        created["spec"]["syncMode"] = "Pull"
        obj["spec"]["syncMode"] = "Pull"
        assert tx.get(ObjectKey(CLUSTER, "", "member1"))["spec"]["syncMode"] == "Push"
    assert "uid" not in obj["metadata"]  # the caller's dict is not filled in


def test_list_sorts_and_filters(store: Store) -> None:
    with store.write() as tx:
        tx.create(deployment("web", "prod", labels={"app": "web"}))
        tx.create(deployment("api", "prod", labels={"app": "api"}))
        tx.create(deployment("web", "dev", labels={"app": "web"}))
        tx.create(cluster("member1"))
    with store.read() as tx:
        keys = [(o["metadata"]["namespace"], o["metadata"]["name"]) for o in tx.list(DEPLOY)]
        assert keys == [("dev", "web"), ("prod", "api"), ("prod", "web")]
        assert [o["metadata"]["name"] for o in tx.list(DEPLOY, "prod")] == ["api", "web"]
        web = tx.list(DEPLOY, selector=lambda o: o["metadata"]["labels"].get("app") == "web")
        assert [o["metadata"]["namespace"] for o in web] == ["dev", "prod"]
        assert [o["metadata"]["name"] for o in tx.list(CLUSTER, "")] == ["member1"]
        assert tx.list("Service") == []


def test_create_twice_is_already_exists(store: Store) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
    with pytest.raises(AlreadyExists, match='Cluster "member1" already exists'):
        with store.write() as tx:
            tx.create(cluster("member1"))


def test_same_name_in_other_namespace_or_kind_is_another_object(store: Store) -> None:
    with store.write() as tx:
        tx.create(deployment("web", "a"))
        tx.create(deployment("web", "b"))
        svc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "a"}}
        tx.create(svc)
    with store.read() as tx:
        assert tx.get(ObjectKey("Service", "a", "web"))["kind"] == "Service"
        assert len(tx.list(DEPLOY)) == 2


def test_create_rejects_objects_without_name(store: Store) -> None:
    with pytest.raises(InvalidInput, match="metadata.name"):
        with store.write() as tx:
            tx.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}})


# -- update / delete ---------------------------------------------------------


def test_update_bumps_version_and_generation_only_for_spec(store: Store) -> None:
    with store.write() as tx:
        obj = tx.create(deployment("web"))
    obj["metadata"]["labels"]["tier"] = "front"
    with store.write() as tx:
        obj = tx.update(obj)
    assert (obj["metadata"]["resourceVersion"], obj["metadata"]["generation"]) == ("2", 1)
    obj["spec"]["replicas"] = 3
    with store.write() as tx:
        obj = tx.update(obj)
    assert (obj["metadata"]["resourceVersion"], obj["metadata"]["generation"]) == ("3", 2)
    obj["status"] = {"readyReplicas": 3}
    with store.write() as tx:
        obj = tx.update(obj)
    assert (obj["metadata"]["resourceVersion"], obj["metadata"]["generation"]) == ("4", 2)
    with store.read() as tx:
        assert tx.get(ObjectKey(DEPLOY, "default", "web")) == obj


def test_update_that_changes_nothing_keeps_resource_version(store: Store) -> None:
    with store.write() as tx:
        obj = tx.create(deployment("web"))
    with store.write() as tx:
        again = tx.update(obj)
    assert again["metadata"]["resourceVersion"] == "1"
    with store.write() as tx:  # the old version still applies: nothing was written
        assert tx.update(obj)["metadata"]["resourceVersion"] == "1"


def test_update_keeps_uid_and_creation_timestamp(store: Store) -> None:
    with store.write() as tx:
        obj = tx.create(cluster("member1"))
    edited = {**obj, "metadata": {"name": "member1", "resourceVersion": "1"}, "spec": {"syncMode": "Pull"}}
    with store.write() as tx:
        out = tx.update(edited)
    assert out["metadata"]["uid"] == obj["metadata"]["uid"]
    assert out["metadata"]["creationTimestamp"] == obj["metadata"]["creationTimestamp"]


def test_stale_update_is_a_conflict_with_a_clear_message(store: Store) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
    with store.read() as tx:
        alice = tx.get(ObjectKey(CLUSTER, "", "member1"))
        bob = tx.get(ObjectKey(CLUSTER, "", "member1"))
    alice["spec"]["syncMode"] = "Pull"
    with store.write() as tx:
        tx.update(alice)
    alice["spec"]["region"] = "eu"  # still at resourceVersion 1 on alice's side
    with store.write() as tx:
        tx.update({**tx.get(ObjectKey(CLUSTER, "", "member1")), "spec": alice["spec"]})
    bob["spec"]["syncMode"] = "Push"
    bob["metadata"]["resourceVersion"] = "2"
    with pytest.raises(Conflict) as err:
        with store.write() as tx:
            tx.update(bob)
    assert str(err.value) == (
        'Cluster "member1" was modified by someone else (resourceVersion 3, expected 2); '
        "re-read and try again"
    )
    with store.read() as tx:
        assert tx.get(ObjectKey(CLUSTER, "", "member1"))["spec"] == {"syncMode": "Pull", "region": "eu"}


def test_update_of_a_recreated_object_is_a_conflict(store: Store) -> None:
    with store.write() as tx:
        old = tx.create(cluster("member1"))
        tx.delete(ObjectKey(CLUSTER, "", "member1"))
        tx.create(cluster("member1", syncMode="Pull"))
    old["spec"]["syncMode"] = "Push"
    with pytest.raises(Conflict, match="deleted and created again"):
        with store.write() as tx:
            tx.update(old)


def test_update_needs_a_resource_version(store: Store) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
    with pytest.raises(InvalidInput, match="resourceVersion"):
        with store.write() as tx:
            tx.update(cluster("member1"))


def test_update_or_delete_of_missing_object_is_not_found(store: Store) -> None:
    gone = cluster("member9")
    gone["metadata"]["resourceVersion"] = "1"
    with store.write() as tx:
        with pytest.raises(NotFound, match='Cluster "member9" not found'):
            tx.update(gone)
        with pytest.raises(NotFound, match='Deployment "default/web" not found'):
            tx.delete(ObjectKey(DEPLOY, "default", "web"))


def test_delete_returns_the_object_and_honours_resource_version(store: Store) -> None:
    with store.write() as tx:
        obj = tx.create(deployment("web"))
    obj["spec"]["replicas"] = 2
    with store.write() as tx:
        tx.update(obj)
    with pytest.raises(Conflict, match="resourceVersion 2, expected 1"):
        with store.write() as tx:
            tx.delete(ObjectKey(DEPLOY, "default", "web"), resource_version="1")
    with store.write() as tx:
        last = tx.delete(ObjectKey(DEPLOY, "default", "web"), resource_version="2")
    assert last["spec"]["replicas"] == 2
    with store.read() as tx:
        assert tx.get(ObjectKey(DEPLOY, "default", "web")) is None


# -- transactions -------------------------------------------------------------


def test_failing_write_leaves_nothing(store: Store) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
    with pytest.raises(AlreadyExists):
        with store.write() as tx:
            tx.create(cluster("member2"))
            tx.put_secret("member2", {"token": "t"})
            tx.add_event(kind="Cluster", name="member2", reason="Joined", message="joined")
            tx.create(cluster("member1"))  # fails: the whole transaction goes
    with store.read() as tx:
        assert [c["metadata"]["name"] for c in tx.list(CLUSTER)] == ["member1"]
        assert tx.get_secret("member2") is None
        assert tx.events() == []


def test_exception_in_caller_code_rolls_back(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.write() as tx:
            tx.create(cluster("member1"))
            raise RuntimeError("boom")
    with store.read() as tx:
        assert tx.get(ObjectKey(CLUSTER, "", "member1")) is None


def test_read_transaction_cannot_write(store: Store) -> None:
    with pytest.raises(StoreError, match="read-only"):
        with store.read() as tx:
            tx.create(cluster("member1"))


def test_read_transaction_sees_one_snapshot(store: Store, store_url: str) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
    with store.read() as tx:
        assert len(tx.list(CLUSTER)) == 1
        other = Store.open(store_url)
        try:
            with other.write() as tx2:
                tx2.create(cluster("member2"))
        finally:
            other.close()
        assert len(tx.list(CLUSTER)) == 1
    with store.read() as tx:
        assert len(tx.list(CLUSTER)) == 2


def test_transact_runs_function_in_write_transaction(store: Store) -> None:
    created = store.transact(lambda tx: tx.create(cluster("member1")))
    with store.read() as tx:
        assert tx.get(ObjectKey(CLUSTER, "", "member1")) == created


# -- secrets and events ---------------------------------------------------------


def test_secrets_are_kept_apart_from_objects(store: Store) -> None:
    with store.write() as tx:
        tx.create(cluster("member1"))
        tx.put_secret("member1", {"token": "abc"})
        tx.put_secret("member1", {"token": "def", "ca": "xyz"})
    with store.read() as tx:
        assert tx.get_secret("member1") == {"token": "def", "ca": "xyz"}
        assert "def" not in repr(tx.get(ObjectKey(CLUSTER, "", "member1")))
    with store.write() as tx:
        tx.delete_secret("member1")
        tx.delete_secret("never-there")
    with store.read() as tx:
        assert tx.get_secret("member1") is None


def test_events_filter_by_kind_name_and_time(store: Store) -> None:
    with store.write() as tx:
        tx.add_event(kind="Cluster", name="member1", reason="Joined", message="cluster joined")
        tx.add_event(kind="Deployment", namespace="default", name="web", type="Warning",
                     reason="ApplyFailed", message="member1: forbidden")
    with store.read() as tx:
        all_events = tx.events()
        assert [e["reason"] for e in all_events] == ["Joined", "ApplyFailed"]
        warn = tx.events(kind="Deployment", name="web")
        assert len(warn) == 1 and warn[0]["type"] == "Warning" and warn[0]["namespace"] == "default"
        assert tx.events(name="nope") == []
        assert tx.events(since=all_events[1]["time"]) == [all_events[1]]
        assert tx.events(since=datetime.now(UTC) + timedelta(seconds=5)) == []


# -- files and URLs -------------------------------------------------------------


def test_database_files_are_private(home: Path) -> None:
    old = os.umask(0o022)  # a typical permissive umask
    try:
        with Store.open() as s:
            with s.write() as tx:
                tx.create(cluster("member1"))
                tx.put_secret("member1", {"token": "abc"})
            assert s.path == home / "karmada.db"
            files = sorted(p.name for p in home.iterdir())
            assert "karmada.db-wal" in files
            for name in files:
                assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name
            assert stat.S_IMODE(home.stat().st_mode) == 0o700
    finally:
        os.umask(old)


def test_sqlite_is_configured_for_concurrent_use(home: Path) -> None:
    with Store.open() as s, s.read() as tx:
        conn = tx._conn
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_url_from_environment_and_explicit(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_db = tmp_path / "env" / "k.db"
    monkeypatch.setenv("KARMADACTL_STORE", f"sqlite:///{env_db}")
    with pytest.raises(StoreError, match="directory .*/env does not exist"):  # a named store's directory
        Store.open()                                                           # is never made up
    assert not env_db.parent.exists()
    env_db.parent.mkdir()
    with Store.open() as s:
        assert s.path == env_db and s.url_for_display == str(env_db)
    explicit = tmp_path / "explicit.db"
    with Store.open(f"sqlite:///{explicit}") as s:
        assert s.path == explicit
    assert env_db.exists() and explicit.exists() and not (home / "karmada.db").exists()


def test_home_directory_in_sqlite_url_is_expanded(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "user" / "team").mkdir(parents=True)
    with Store.open("sqlite:///~/team/karmada.db") as s:
        with s.write() as tx:
            tx.create(cluster("member1"))
    assert s.path == tmp_path / "user" / "team" / "karmada.db"
    assert s.path.stat().st_size > 0
    assert not (tmp_path / "~").exists()


def test_in_memory_store(home: Path) -> None:
    with Store.open("sqlite://") as s:
        assert s.path is None
        with s.write() as tx:
            tx.create(cluster("member1"))
        with s.read() as tx:
            assert tx.get(ObjectKey(CLUSTER, "", "member1")) is not None


def test_open_without_create_does_not_create(home: Path) -> None:
    with pytest.raises(StoreError, match="no karmadactl store at"):
        Store.open(create=False)
    assert not (home / "karmada.db").exists()


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://admin:s3cr3t-pw@127.0.0.1:1/karmada",
        "postgresql+nosuchdriver://admin:s3cr3t-pw@127.0.0.1:1/karmada",
        "postgresql://admin:s3cr3t-pw@127.0.0.1:notaport/karmada",
        "::not a url s3cr3t-pw",
    ],
)
def test_password_never_appears_in_errors(home: Path, url: str) -> None:
    with pytest.raises(StoreError) as err:
        Store.open(url)
    text = str(err.value)
    assert "s3cr3t-pw" not in text
    assert "s3cr3t-pw" not in repr(err.value.__cause__) and err.value.__cause__ is None


def test_display_url_hides_password() -> None:
    target = engines.parse("postgresql://admin:s3cr3t-pw@db.example:5432/karmada")
    assert target.display == "postgresql://admin:***@db.example:5432/karmada"
    assert target.path is None


# -- schema versions ----------------------------------------------------------


def _raw_engine(path: Path):
    return engines.make_engine(engines.parse(f"sqlite:///{path}"))


def test_new_store_is_at_latest_schema(store: Store) -> None:
    assert store.schema_version == SCHEMA_VERSION == len(migrations.MIGRATIONS)


def test_upgrade_from_first_schema_keeps_data(home: Path) -> None:
    db = home / "karmada.db"
    home.mkdir(mode=0o700)
    eng = _raw_engine(db)
    v1_objects = Table(
        "objects", MetaData(),
        Column("group_kind", String(253), primary_key=True),
        Column("namespace", String(253), primary_key=True),
        Column("name", String(253), primary_key=True),
        Column("uid", String(36)), Column("resource_version", Integer),
        Column("generation", Integer), Column("body", Text),
    )
    with eng.begin() as conn:  # what a version-1 karmadactl left behind
        migrations.upgrade(conn, target=1)
        conn.execute(insert(v1_objects).values(
            group_kind=CLUSTER, namespace="", name="old", uid="u-1", resource_version=7, generation=2,
            body='{"apiVersion":"cluster.karmada.io/v1alpha1","kind":"Cluster",'
                 '"metadata":{"name":"old","uid":"u-1","generation":2},"spec":{"syncMode":"Push"}}',
        ))
        assert set(inspect(conn).get_table_names()) == {"objects", "schema_version"}
    eng.dispose()

    with Store.open(create=False) as s:
        assert s.schema_version == SCHEMA_VERSION
        with s.write() as tx:
            old = tx.get(ObjectKey(CLUSTER, "", "old"))
            assert old["metadata"]["resourceVersion"] == "7"
            old["spec"]["syncMode"] = "Pull"
            assert tx.update(old)["metadata"]["resourceVersion"] == "8"
            tx.put_secret("old", {"token": "t"})
            tx.add_event(kind="Cluster", name="old", reason="Upgraded", message="ok")
    with Store.open() as s:  # opening again at the latest version changes nothing
        with s.read() as tx:
            assert tx.get(ObjectKey(CLUSTER, "", "old"))["metadata"]["generation"] == 3
            assert tx.get_secret("old") == {"token": "t"}


def test_failed_upgrade_leaves_old_schema(tmp_path: Path) -> None:
    eng = _raw_engine(tmp_path / "k.db")
    with eng.begin() as conn:
        migrations.upgrade(conn, target=1)

    def broken(conn) -> None:
        raise RuntimeError("step 3 failed")

    steps = [*migrations.MIGRATIONS[:2], broken]
    with pytest.raises(RuntimeError):
        with eng.begin() as conn:
            migrations.upgrade(conn, steps=steps)
    with eng.connect() as conn:
        assert migrations.current_version(conn) == 1
        assert "secrets" not in inspect(conn).get_table_names()  # step 2's DDL was rolled back
    eng.dispose()


def test_newer_schema_is_refused(home: Path) -> None:
    with Store.open():
        pass
    eng = _raw_engine(home / "karmada.db")
    version = Table("schema_version", MetaData(), Column("id", Integer), Column("version", Integer))
    with eng.begin() as conn:
        conn.execute(update(version).values(version=5))
    eng.dispose()
    with pytest.raises(StoreError) as err:
        Store.open()
    assert str(err.value) == (
        f"store schema 5 is newer than this karmadactl ({SCHEMA_VERSION}); upgrade karmadactl"
    )


def test_migrations_build_the_tables_the_code_uses(store: Store, store_url: str) -> None:
    from sqlalchemy import create_engine

    from karmadactl.store.schema import metadata

    eng = create_engine(store_url)
    try:
        with eng.connect() as conn:
            insp = inspect(conn)
            for table in metadata.sorted_tables:
                found = {c["name"] for c in insp.get_columns(table.name)}
                assert found == {c.name for c in table.columns}, table.name
    finally:
        eng.dispose()
