"""register and unregister: a Pull cluster, whose agent (`karmadactl agent`) pushes its Works.

Karmada's `karmadactl register` (pkg/karmadactl/register/register.go) takes a
bootstrap token, creates the agent's credentials on the control plane and runs
the agent in the member. Here the token is checked against the store, the
Cluster is recorded with spec.syncMode Pull, the agent's store credentials come
from store.access.grant_agent (a database role of its own on PostgreSQL), and an
agent configuration file (mode 0600) holds what the agent needs: the store URL
and the cluster's name. `unregister` (pkg/karmadactl/unregister/unregister.go)
refuses Push clusters, removes the Works, the Cluster and its Lease, revokes the
agent's credentials and, given the member's kubeconfig, what karmadactl placed
in the member.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from karmadactl.apis.cluster import GROUP_KIND, SYNC_PULL, Cluster
from karmadactl.apis.kinds import WORK
from karmadactl.apis.wellknown import KARMADACTL_API_VERSION, NAMESPACE_KARMADA_SYSTEM, execution_namespace
from karmadactl.commands.passes import Pushing, run_pass
from karmadactl.errors import AlreadyExists, InvalidInput, KarmadaError, Unreachable
from karmadactl.store.keys import ObjectKey

if TYPE_CHECKING:
    from karmadactl.commands.agent_identity import Identity
    from karmadactl.controllers.clusters import Properties
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import BindingPlan
    from karmadactl.members.kubeconfig import Kubeconfig

CONFIG_KIND = "AgentConfig"
WAIT_POLL = 1.0


@dataclass
class Registered:
    cluster: Cluster
    config: Path                 # the agent configuration file (store URL and cluster name)
    enforced: bool               # whether the store keeps the agent to its own cluster's rows
    identity: Identity | None = None     # the agent's ServiceAccount in the member (--agent-identity)


@dataclass
class Unregistered:
    name: str
    deleted: list[str] = field(default_factory=list)       # member objects removed (with its kubeconfig)
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


def agent_config_path(name: str) -> Path:
    from karmadactl.paths import home

    return home() / "agents" / f"{name}.yaml"


def read_agent_config(path: str) -> tuple[str, str]:
    """(cluster, store URL) from an agent configuration file."""
    import yaml

    try:
        doc = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as e:
        raise InvalidInput(f"agent config {path}: cannot read: {e}") from None
    if not isinstance(doc, dict) or doc.get("kind") != CONFIG_KIND or not doc.get("cluster") or not doc.get("store"):
        raise InvalidInput(f"agent config {path}: expected kind {CONFIG_KIND} with cluster and store")
    return str(doc["cluster"]), str(doc["store"])


def register(store, name: str, *, token: str, kubeconfig: str | None = None, context: str | None = None,
             properties: Properties | None = None, config: Path | None = None,
             now: datetime | None = None, agent_identity: bool = False,
             namespace: str = NAMESPACE_KARMADA_SYSTEM) -> Registered:
    """Record a Pull cluster and leave its agent the credentials to run with; with `agent_identity`,
    the agent's ServiceAccount and ClusterRole in the member and a kubeconfig for it too."""
    import yaml

    from karmadactl.commands import token as tokens
    from karmadactl.controllers import clusters
    from karmadactl.members.kubeconfig import load_kubeconfig
    from karmadactl.paths import write_private
    from karmadactl.store.access import grant_agent

    clusters.check_name(name)
    tokens.check(store, token, now)
    endpoint, cluster_id, member = "", "", None
    if kubeconfig is not None or context is not None:
        member = load_kubeconfig(kubeconfig, context)
        endpoint, cluster_id = _member_identity(name, member)
    path = config or agent_config_path(name)
    identity = None
    if agent_identity:
        if member is None:
            raise InvalidInput(f"register {name}: the agent's identity is made in the member: "
                               "pass its --kubeconfig")
        with store.read() as tx:
            _check_free(tx, name, cluster_id)
        identity = _install_identity(name, member, namespace, path)
    cluster = Cluster(name=name, api_endpoint=endpoint, sync_mode=SYNC_PULL, id=cluster_id)
    if properties is not None:
        properties.apply_to(cluster)
    with store.write() as tx:
        _check_free(tx, name, cluster_id)
        stored = Cluster.from_dict(tx.create(cluster.to_dict()))
        tx.add_event(kind="Cluster", name=name, reason="Registered",
                     message=f"cluster {name} registered in Pull mode"
                             + (f" (endpoint {endpoint})" if endpoint else ""))
    access = grant_agent(store, name)
    write_private(path, yaml.safe_dump({"apiVersion": KARMADACTL_API_VERSION, "kind": CONFIG_KIND,
                                        "cluster": name, "store": access.store_url}, sort_keys=False))
    return Registered(stored, path, access.enforced, identity)


def _check_free(tx, name: str, cluster_id: str) -> None:
    from karmadactl.controllers import clusters

    if tx.get(ObjectKey(GROUP_KIND, "", name)) is not None:
        raise AlreadyExists(f"failed to register as cluster with name {name} already exists")
    clusters.check_unique_id(tx, name, cluster_id)


def _install_identity(name: str, member: Kubeconfig, namespace: str, config: Path) -> Identity:
    from karmadactl.commands import agent_identity

    client = member.client(name=name)
    try:
        return agent_identity.install(client, member.embedded(), namespace,
                                      agent_identity.identity_kubeconfig_path(config))
    finally:
        client.close()


def _member_identity(name: str, config: Kubeconfig) -> tuple[str, str]:
    """The member's API endpoint and cluster id (its kube-system namespace's uid)."""
    from karmadactl.controllers.clusters import member_id

    client = config.client(name=name)
    try:
        return config.server, member_id(client)
    except KarmadaError as e:
        raise Unreachable(f"register {name}: cannot read the member at {config.server}: {e}") from None
    finally:
        client.close()


def unregister(store, name: str, *, kubeconfig: str | None = None, context: str | None = None,
               wait: timedelta | None = None, pushing: Pushing | None = None,
               namespace: str = NAMESPACE_KARMADA_SYSTEM) -> Unregistered:
    """Remove a Pull cluster: its Works (removed from the member by its agent when `wait` is given,
    else by karmadactl with the member's kubeconfig, else left there), the Cluster, its Lease, the
    agent's credentials and configuration file; then the pass schedules its workloads elsewhere."""
    from karmadactl.commands.agent_identity import identity_kubeconfig_path
    from karmadactl.controllers import clusters, heartbeat
    from karmadactl.store.access import revoke_agent

    cluster = clusters.get(store, name)
    if not cluster.pull:
        raise InvalidInput(f"cluster {name} is a {cluster.sync_mode} mode member cluster, please use command "
                           "`unjoin` if you want to continue unjoining the cluster")
    result = Unregistered(name)
    if wait is not None:
        _wait_for_agent(store, name, wait)
    if kubeconfig is not None or context is not None:
        result.deleted = _clean_member(cluster, kubeconfig, context, namespace)
    with store.write() as tx:
        for work in tx.list(WORK, namespace=execution_namespace(name)):
            tx.delete(ObjectKey(WORK, work["metadata"]["namespace"], work["metadata"]["name"]))
        if tx.get(heartbeat.lease_key(name)) is not None:
            tx.delete(heartbeat.lease_key(name))
        tx.delete(ObjectKey(GROUP_KIND, "", name))
        tx.add_event(kind="Cluster", name=name, reason="Unregistered",
                     message=f"cluster {name} unregistered; {len(result.deleted)} member objects deleted")
    revoke_agent(store, name)
    agent_config_path(name).unlink(missing_ok=True)
    identity_kubeconfig_path(agent_config_path(name)).unlink(missing_ok=True)
    result.plans, result.report = run_pass(store, pushing)
    return result


def _wait_for_agent(store, name: str, wait: timedelta) -> None:
    """Mark the cluster's Works for deletion and wait until its agent has removed their objects."""
    from karmadactl.apis.meta import now as stamp
    from karmadactl.controllers.execution import is_deleting, load_works

    with store.write() as tx:
        for work in load_works(tx, namespace=execution_namespace(name)):
            if not is_deleting(work):
                work.metadata.deletion_timestamp = stamp()
                tx.update(work.to_dict())
    deadline = time.monotonic() + wait.total_seconds()
    while True:
        with store.read() as tx:
            left = len(tx.list(WORK, namespace=execution_namespace(name)))
        if not left:
            return
        if time.monotonic() >= deadline:
            raise Unreachable(f"unregister {name}: {left} Works still wait for the agent to remove their "
                              f"objects after {wait.total_seconds():g}s; is `karmadactl agent --cluster {name}` "
                              "running? (without --wait, pass --kubeconfig to remove them from here)")
        time.sleep(WAIT_POLL)


def _clean_member(cluster: Cluster, kubeconfig: str | None, context: str | None, namespace: str) -> list[str]:
    """Delete what karmadactl manages in the member and the agent's identity (agent_identity.remove),
    with the member's own kubeconfig."""
    from karmadactl.commands.agent_identity import remove
    from karmadactl.controllers.clusters import delete_managed
    from karmadactl.members.kubeconfig import load_kubeconfig

    client = load_kubeconfig(kubeconfig, context).client(name=cluster.name)
    try:
        return [*delete_managed(client, cluster), *remove(client, namespace)]
    finally:
        client.close()
