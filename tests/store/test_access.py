"""Least privilege for Pull-mode agents (store/access.py): on a real PostgreSQL server, an agent's
role reads and writes only its own cluster's rows; the database refuses the rest. SQLite enforces
nothing and says so (the store's own URL). Skipped with the reason when no server can be had."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, make_url, text

from karmadactl.errors import Conflict, NotFound, StoreError
from karmadactl.store import Store
from karmadactl.store.access import AgentAccess, agent_roles, grant_agent, revoke_agent, scram_verifier
from karmadactl.store.keys import ObjectKey

WORK = "Work.work.karmada.io"
CLUSTER = "Cluster.cluster.karmada.io"
LEASE = "Lease.coordination.k8s.io"
CUSTOMIZATION = "ResourceInterpreterCustomization.config.karmada.io"


def _work(cluster: str, name: str) -> dict:
    return {"apiVersion": "work.karmada.io/v1alpha1", "kind": "Work",
            "metadata": {"name": name, "namespace": f"karmada-es-{cluster}"},
            "spec": {"workload": {"manifests": [{"apiVersion": "v1", "kind": "ConfigMap",
                                                 "metadata": {"name": name, "namespace": "default"}}]}}}


def _cluster(name: str) -> dict:
    return {"apiVersion": "cluster.karmada.io/v1alpha1", "kind": "Cluster", "metadata": {"name": name},
            "spec": {"syncMode": "Pull"}}


def _lease(name: str) -> dict:
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": name, "namespace": "karmada-cluster"},
            "spec": {"holderIdentity": name, "leaseDurationSeconds": 40}}


@pytest.fixture
def fleet_store(postgres_store: str) -> Iterator[Store]:
    """Clusters a and b (Pull), each with two Works and a Lease; a template, a customization, secrets."""
    with Store.open(postgres_store) as store:
        with store.write() as tx:
            for name in ("a", "b"):
                tx.create(_cluster(name))
                tx.create(_work(name, "web"))
                tx.create(_work(name, "db"))
                tx.put_secret(name, {"token": f"secret-of-{name}"})
                tx.add_event(kind="Cluster", name=name, reason="Registered", message="ok")
            tx.create(_lease("b"))
            tx.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web", "namespace": "default"}})
            tx.create({"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterCustomization",
                       "metadata": {"name": "health"}, "spec": {"target": {"apiVersion": "v1", "kind": "ConfigMap"}}})
        yield store
        for cluster in ("a", "b"):
            revoke_agent(store, cluster)


@pytest.fixture
def agent_a(fleet_store: Store) -> Iterator[tuple[AgentAccess, Store]]:
    access = grant_agent(fleet_store, "a")
    with Store.open(access.store_url, create=False) as agent:
        yield access, agent


def test_an_agent_reads_only_its_own_works_cluster_lease_and_the_customizations(agent_a) -> None:
    access, agent = agent_a
    password = make_url(access.store_url).password
    assert access.enforced and password and password not in repr(access) and password not in repr(agent)
    with agent.read() as tx:
        assert [(w["metadata"]["namespace"], w["metadata"]["name"]) for w in tx.list(WORK)] == [
            ("karmada-es-a", "db"), ("karmada-es-a", "web")]
        assert tx.list(WORK, namespace="karmada-es-b") == []
        assert tx.get(ObjectKey(WORK, "karmada-es-b", "web")) is None
        assert [c["metadata"]["name"] for c in tx.list(CLUSTER)] == ["a"]
        assert tx.list(LEASE) == []                       # b's Lease is not its own
        assert [c["metadata"]["name"] for c in tx.list(CUSTOMIZATION)] == ["health"]
        assert tx.list("ConfigMap") == []                 # templates are the central side's
        assert [e["name"] for e in tx.events()] == ["a"]


def test_an_agent_cannot_change_or_delete_another_clusters_works(agent_a, fleet_store: Store) -> None:
    _, agent = agent_a
    with fleet_store.read() as tx:
        theirs = tx.get(ObjectKey(WORK, "karmada-es-b", "web"))
    theirs["status"] = {"conditions": [{"type": "Applied", "status": "True"}]}
    with pytest.raises(NotFound), agent.write() as tx:
        tx.update(theirs)
    with pytest.raises(NotFound), agent.write() as tx:
        tx.delete(ObjectKey(WORK, "karmada-es-b", "web"))
    engine = create_engine(agent._target.url)            # plain SQL does no better
    try:
        with engine.begin() as conn:
            changed = conn.execute(text("UPDATE objects SET body = '{}' WHERE namespace = 'karmada-es-b'"))
            assert changed.rowcount == 0
            gone = conn.execute(text("DELETE FROM objects WHERE group_kind <> 'Work.work.karmada.io'"))
            assert gone.rowcount == 0
    finally:
        engine.dispose()
    with fleet_store.read() as tx:
        assert tx.get(ObjectKey(WORK, "karmada-es-b", "web"))["metadata"]["resourceVersion"] == "1"
        assert len(tx.list(WORK)) == 4


def test_an_agent_cannot_read_secrets_or_the_role_table(agent_a) -> None:
    _, agent = agent_a
    with pytest.raises(StoreError, match="permission denied"), agent.read() as tx:
        tx.get_secret("a")
    engine = create_engine(agent._target.url)
    try:
        with pytest.raises(Exception, match="permission denied"), engine.connect() as conn:
            conn.execute(text("SELECT * FROM agent_roles"))
    finally:
        engine.dispose()


def test_an_agent_writes_its_works_status_its_cluster_status_and_its_lease(agent_a, fleet_store: Store) -> None:
    _, agent = agent_a
    with agent.write() as tx:
        work = tx.get(ObjectKey(WORK, "karmada-es-a", "web"))
        work["status"] = {"conditions": [{"type": "Applied", "status": "True"}]}
        assert tx.update(work)["metadata"]["resourceVersion"] == "2"
        cluster = tx.get(ObjectKey(CLUSTER, "", "a"))
        cluster["status"] = {"kubernetesVersion": "v1.37.0"}
        tx.update(cluster)
        tx.create(_lease("a"))
        tx.add_event(kind="Cluster", name="a", reason="ClusterReady", message="cluster is healthy")
        tx.add_events([{"kind": "ConfigMap", "namespace": "default", "name": "web", "reason": "ApplySucceed",
                        "message": "a: created"}])
    with agent.write() as tx:                         # compare-and-swap as ever
        stale = dict(work, metadata={**work["metadata"], "resourceVersion": "1"})
        with pytest.raises(Conflict, match="modified by someone else"):
            tx.update(stale)
    with fleet_store.read() as tx:
        assert tx.get(ObjectKey(WORK, "karmada-es-a", "web"))["status"]["conditions"][0]["status"] == "True"
        assert tx.get(ObjectKey(CLUSTER, "", "a"))["status"] == {"kubernetesVersion": "v1.37.0"}
        assert tx.get(ObjectKey(LEASE, "karmada-cluster", "a")) is not None
        assert [e["reason"] for e in tx.events(name="a")] == ["Registered", "ClusterReady"]


def test_an_agent_cannot_change_its_clusters_spec_nor_write_for_another_cluster(agent_a) -> None:
    _, agent = agent_a
    with pytest.raises(StoreError, match="only the status"), agent.write() as tx:
        cluster = tx.get(ObjectKey(CLUSTER, "", "a"))
        cluster["spec"]["taints"] = []
        cluster["metadata"]["labels"] = {"region": "everywhere"}
        tx.update(cluster)
    with pytest.raises(StoreError, match="row-level security"), agent.write() as tx:
        tx.create(_lease("c"))
    with pytest.raises(StoreError, match="row-level security"), agent.write() as tx:
        tx.create(_work("a", "extra"))                  # Works are the central side's to create
    with pytest.raises(StoreError, match="row-level security"), agent.write() as tx:
        tx.add_event(kind="Cluster", name="b", type="Warning", reason="ClusterNotReady", message="b: gone")


def test_granting_again_rotates_the_password_and_revoking_removes_the_role(fleet_store: Store, postgres_store: str) -> None:
    first = grant_agent(fleet_store, "a")
    second = grant_agent(fleet_store, "a")
    assert first.role == second.role and first.store_url != second.store_url
    assert agent_roles(fleet_store) == {"a": first.role}
    engine = create_engine(postgres_store)
    try:
        with engine.connect() as conn:
            stored = conn.execute(text("SELECT rolpassword FROM pg_authid WHERE rolname = :r"),
                                  {"r": first.role}).scalar()
        assert stored.startswith("SCRAM-SHA-256$4096:")     # taken as a verifier, not as a password
        revoke_agent(fleet_store, "a")
        assert agent_roles(fleet_store) == {}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": first.role}).first() is None
    finally:
        engine.dispose()
    with pytest.raises(StoreError):
        Store.open(second.store_url, create=False)
    revoke_agent(fleet_store, "a")                    # nothing left: nothing happens


def test_the_main_role_keeps_full_access(agent_a, fleet_store: Store) -> None:
    with fleet_store.write() as tx:
        assert len(tx.list(WORK)) == 4
        cluster = tx.get(ObjectKey(CLUSTER, "", "b"))
        cluster["spec"]["taints"] = [{"key": "cluster.karmada.io/unreachable", "effect": "NoSchedule"}]
        tx.update(cluster)
        assert tx.get_secret("b") == {"token": "secret-of-b"}


def test_on_sqlite_the_agent_gets_the_stores_own_url(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'karmada.db'}"
    with Store.open(url) as store:
        access = grant_agent(store, "a")
        assert not access.enforced and access.store_url == url
        revoke_agent(store, "a")


def test_scram_verifier_matches_rfc_7677() -> None:
    """The RFC's exchange for password "pencil": the server signature computed from our ServerKey."""
    salt = base64.b64decode("W22ZaJ0SNY7soEsUEjb6gQ==")
    verifier = scram_verifier("pencil", salt=salt)
    server_key = base64.b64decode(verifier.rsplit(":", 1)[1])
    auth_message = ("n=user,r=rOprNGfwEbeRWgbNEkqO,"
                    "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096,"
                    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0")
    signature = hmac.new(server_key, auth_message.encode(), hashlib.sha256).digest()
    assert base64.b64encode(signature).decode() == "6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
    assert verifier.startswith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$")
