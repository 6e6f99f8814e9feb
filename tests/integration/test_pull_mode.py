"""Pull mode end to end: two sandbox members registered Pull (an agent each), one joined Push.

Each test runs on a SQLite store and on PostgreSQL (tests/pg.py; skipped with the reason when no
server can be had); on PostgreSQL each agent uses the database role `register` made for it.
The agents run in-process (`agent --once`, or controllers.agent.Agent with a chosen clock where the
test moves time on); the central side is `apply`, `watch --once` and controllers.watch.Watcher.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from tests.conftest import run_cli
from tests.integration.watching import DIVIDED, apply, replicas
from tests.waiting import until


@pytest.fixture
def fleet(backend, members, tmp_path):
    """member1 and member2 registered Pull (agent configs in tmp_path), member3 joined Push."""
    token = k(backend, "token", "create", "--description", "pull test").stdout.strip()
    for m in members[:2]:
        result = k(backend, "register", m.name, "--token", token, "--kubeconfig", str(m.kubeconfig_path),
                   "--agent-config", str(tmp_path / f"{m.name}.agent.yaml"), "--zone", "edge")
        assert result.returncode == 0, result.stderr
        assert "registered (Pull mode)" in result.stdout and "karmadactl agent --config" in result.stdout
        assert (tmp_path / f"{m.name}.agent.yaml").stat().st_mode & 0o777 == 0o600      # holds the store's password
    assert k(backend, "join", members[2].name, "--kubeconfig", str(members[2].kubeconfig_path)).returncode == 0
    yield members
    for m in members:
        m.recover()
    for m in members[:2]:
        k(backend, "unregister", m.name)
    k(backend, "unjoin", members[2].name, "--force")


def k(store: str, *args: str):
    return run_cli("--store", store, *args)


def agent_once(tmp_path, member):
    result = run_cli("agent", "--config", str(tmp_path / f"{member.name}.agent.yaml"),
                     "--kubeconfig", str(member.kubeconfig_path), "--once")
    assert result.returncode == 0, result.stderr
    assert f"cluster/{member.name} Ready=True" in result.stdout
    return result


def cluster(store: str, name: str) -> dict:
    return json.loads(k(store, "get", "clusters", name, "-o", "json").stdout)


def ready(store: str, name: str) -> dict:
    conditions = (cluster(store, name).get("status") or {}).get("conditions") or []
    return next((c for c in conditions if c["type"] == "Ready"), {})


def karmada_taints(store: str, name: str) -> set[str]:
    return {f"{t['key']}:{t['effect']}" for t in cluster(store, name)["spec"].get("taints") or []
            if t["key"].startswith("cluster.karmada.io/")}


def works(store_url: str, cluster_name: str) -> list[dict]:
    from karmadactl.apis.kinds import WORK
    from karmadactl.store import Store

    with Store.open(store_url) as store, store.read() as tx:
        return tx.list(WORK, namespace=f"karmada-es-{cluster_name}")


def renewed(store_url: str, cluster_name: str) -> str:
    from karmadactl.controllers import heartbeat
    from karmadactl.store import Store

    with Store.open(store_url) as store, store.read() as tx:
        return ((tx.get(heartbeat.lease_key(cluster_name)) or {}).get("spec") or {}).get("renewTime", "")


def agent_for(store, tmp_path, member):
    """The agent of `member` in this process, with its own store credentials, for passes at a chosen time."""
    from karmadactl.commands.register import read_agent_config
    from karmadactl.controllers.agent import Agent
    from karmadactl.members.kubeconfig import load_kubeconfig
    from karmadactl.store import Store

    name, url = read_agent_config(str(tmp_path / f"{member.name}.agent.yaml"))
    config = load_kubeconfig(str(member.kubeconfig_path))
    own = Store.open(url)
    return own, Agent(own, name, lambda c: config.client(name=c.name))


def test_pull_members_receive_their_share_from_their_agents_and_fail_over(backend, fleet, tmp_path):
    m1, m2, m3 = fleet
    ns = f"p-{uuid.uuid4().hex[:8]}"
    assert cluster(backend, "member1")["spec"]["syncMode"] == "Pull"
    assert cluster(backend, "member1")["spec"]["zones"] == ["edge"]      # register's --zone
    assert cluster(backend, "member3")["spec"]["syncMode"] == "Push"
    for m in (m1, m2):          # status and capacity come from the agents
        agent_once(tmp_path, m)
        assert ready(backend, m.name)["status"] == "True"
        assert cluster(backend, m.name)["status"]["resourceSummary"]

    apply(tmp_path, ns, DIVIDED, store=backend)
    assert set(replicas(fleet, ns)) == {"member3"}          # apply pushed only to the Push member
    assert works(backend, "member1") and works(backend, "member2")
    for m in (m1, m2):
        agent_once(tmp_path, m)
    shares = replicas(fleet, ns)
    assert set(shares) == {"member1", "member2", "member3"} and sum(shares.values()) == 6
    for w in works(backend, "member1"):
        applied = next(c for c in w["status"]["conditions"] if c["type"] == "Applied")
        assert applied["status"] == "True"
        assert w["status"]["manifestStatuses"]

    # the central side never contacts a Pull member: with it refusing connections, a watch pass and a sync
    # see nothing wrong (a Push member would be probed and its failure held as pending)
    m1.fail()
    assert k(backend, "watch", "--once").returncode == 0
    assert k(backend, "sync").returncode == 0
    assert ready(backend, "member1")["status"] == "True"
    assert "karmadactl.io/health-pending" not in json.dumps(cluster(backend, "member1")["metadata"])
    m1.recover()

    # member1's agent goes quiet: past the grace period the watch marks it Unknown, taints it and fails over
    from karmadactl.controllers.watch import Options, Watcher
    from karmadactl.store import Store

    later = datetime.now(UTC) + timedelta(seconds=45)
    own2, agent2 = agent_for(backend, tmp_path, m2)
    own1, agent1 = agent_for(backend, tmp_path, m1)
    with Store.open(backend) as central:
        watcher = Watcher(central, Options())
        try:
            assert agent2.run_once(later).ready == "True"         # member2's agent is still alive
            watcher.run_once(later)
            condition = ready(backend, "member1")
            assert (condition["status"], condition["reason"], condition["message"]) == (
                "Unknown", "ClusterStatusUnknown", "Cluster status controller stopped posting cluster status.")
            assert "cluster.karmada.io/unreachable:NoSchedule" in karmada_taints(backend, "member1")
            assert ready(backend, "member2")["status"] == "True" and not karmada_taints(backend, "member2")
            agent2.run_once(later + timedelta(seconds=1))        # member2 takes its part of member1's share
            moved = replicas([m2, m3], ns)
            assert sum(moved.values()) == 6, moved

            # the agent comes back: Ready again at its next pass, the taints go at the watch's next pass
            assert agent1.run_once(later + timedelta(seconds=2)).ready == "True"
            watcher.run_once(later + timedelta(seconds=2))
            assert ready(backend, "member1")["status"] == "True"
            assert not karmada_taints(backend, "member1")
        finally:
            watcher.close()
            for own, worker in ((own1, agent1), (own2, agent2)):
                worker.close()
                own.close()


def test_unregister_refuses_push_and_removes_a_pull_cluster(backend, fleet, tmp_path):
    m1, _, m3 = fleet
    ns = f"p-{uuid.uuid4().hex[:8]}"
    agent_once(tmp_path, m1)
    apply(tmp_path, ns, DIVIDED, store=backend)
    agent_once(tmp_path, m1)
    assert "member1" in replicas(fleet, ns)
    refused = k(backend, "unregister", m3.name)
    assert refused.returncode == 1 and "please use command `unjoin`" in refused.stderr
    result = k(backend, "unregister", m1.name, "--kubeconfig", str(m1.kubeconfig_path))
    assert result.returncode == 0, result.stderr
    assert f"deployments.apps/{ns}/web deleted" in result.stdout and "cluster/member1 unregistered" in result.stdout
    assert "member1" not in replicas(fleet, ns)
    assert not works(backend, "member1")
    assert k(backend, "get", "clusters", "member1").returncode == 1


def test_register_refuses_a_wrong_or_expired_token(backend, members, tmp_path, home):
    from karmadactl.commands import token as tokens
    from karmadactl.store import Store

    wrong = k(backend, "register", "edge1", "--token", "abcdef.0123456789abcdef")
    assert wrong.returncode == 1 and "not valid" in wrong.stderr
    with Store.open(backend) as store:
        old = tokens.create(store, ttl=timedelta(hours=1), now=datetime.now(UTC) - timedelta(hours=2))
    expired = k(backend, "register", "edge1", "--token", old.token)
    assert expired.returncode == 1 and "expired" in expired.stderr and old.secret not in expired.stderr
    assert k(backend, "get", "clusters", "edge1").returncode == 1


def test_push_commands_leave_a_pull_cluster_to_register(backend, fleet):
    m1 = fleet[0]
    unjoin = k(backend, "unjoin", m1.name)
    assert unjoin.returncode == 1 and "please use command `unregister`" in unjoin.stderr
    join = k(backend, "join", m1.name, "--kubeconfig", str(m1.kubeconfig_path))
    assert join.returncode == 1 and "registered in Pull mode" in join.stderr
    assert cluster(backend, m1.name)["spec"]["syncMode"] == "Pull"


def test_the_agent_stops_on_sigterm_and_a_killed_one_loses_nothing(backend, fleet, tmp_path):
    m1 = fleet[0]
    ns = f"p-{uuid.uuid4().hex[:8]}"

    def start() -> subprocess.Popen:
        return subprocess.Popen([sys.executable, "-m", "karmadactl", "agent", "--config",
                                 str(tmp_path / f"{m1.name}.agent.yaml"), "--kubeconfig", str(m1.kubeconfig_path),
                                 "--interval", "200ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=dict(os.environ))

    agent = start()
    try:
        until(lambda: ready(backend, m1.name).get("status") == "True")
        apply(tmp_path, ns, DIVIDED, store=backend)
        until(lambda: "member1" in replicas(fleet, ns))
        agent.send_signal(signal.SIGTERM)
        _, err = agent.communicate(timeout=30)
        assert agent.returncode == 0, err
        assert err.rstrip().endswith("stopped")
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.communicate()

    k(backend, "delete", "deployment", "web", "-n", ns)      # while no agent runs: the Work waits for one
    assert "member1" in replicas(fleet, ns)
    before = renewed(backend, m1.name)
    agent = start()
    try:
        until(lambda: renewed(backend, m1.name) != before)      # killed in the middle of its work
        agent.send_signal(signal.SIGKILL)
        agent.communicate(timeout=30)
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.communicate()
    agent_once(tmp_path, m1)            # whatever the killed agent did or not, the next pass converges
    assert "member1" not in replicas(fleet, ns)
    assert not works(backend, "member1")


def test_unregister_wait_lets_the_running_agent_remove_the_members_objects(backend, fleet, tmp_path):
    m1 = fleet[0]
    ns = f"p-{uuid.uuid4().hex[:8]}"
    agent = subprocess.Popen([sys.executable, "-m", "karmadactl", "agent", "--config",
                              str(tmp_path / f"{m1.name}.agent.yaml"), "--kubeconfig", str(m1.kubeconfig_path),
                              "--interval", "200ms"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=dict(os.environ))
    try:
        until(lambda: ready(backend, m1.name).get("status") == "True")
        apply(tmp_path, ns, DIVIDED, store=backend)
        until(lambda: "member1" in replicas(fleet, ns))
        result = k(backend, "unregister", m1.name, "--wait", "--wait-timeout", "60s")      # no member kubeconfig
        assert result.returncode == 0, result.stderr
        assert "member1" not in replicas(fleet, ns)                     # the agent removed them before it went
    finally:
        agent.kill()
        agent.communicate()


def test_register_with_the_agent_identity_runs_the_agent_as_its_own_service_account(backend, members, tmp_path):
    from karmadactl.apis import kinds
    from karmadactl.commands.agent_rbac import agent_rbac
    from karmadactl.errors import KarmadaError
    from karmadactl.members.kubeconfig import load_kubeconfig

    m1 = members[0]
    ns = f"p-{uuid.uuid4().hex[:8]}"
    config, identity = tmp_path / "member1.agent.yaml", tmp_path / "member1.agent.kubeconfig"
    token = k(backend, "token", "create").stdout.strip()
    result = k(backend, "register", m1.name, "--token", token, "--kubeconfig", str(m1.kubeconfig_path),
               "--agent-config", str(config), "--agent-identity")
    assert result.returncode == 0, result.stderr
    assert (f"agent kubeconfig: {identity} (serviceaccount karmada-system/karmada-agent-sa, token expires "
            in result.stdout)
    assert f"karmadactl agent --config {config} --kubeconfig {identity}" in result.stdout
    assert identity.stat().st_mode & 0o777 == 0o600
    sa_token = yaml.safe_load(identity.read_text())["users"][0]["user"]["token"]
    assert sa_token and sa_token != m1.token and sa_token not in result.stdout + result.stderr

    admin = load_kubeconfig(str(m1.kubeconfig_path)).client(name=m1.name)
    try:
        for expected in agent_rbac("karmada-system"):          # the generator's objects, as generated
            meta = expected["metadata"]
            found = admin.get(expected["apiVersion"], kinds.of(expected).plural, meta["name"],
                              meta.get("namespace"))
            assert found is not None, meta
            assert found["metadata"]["labels"] == meta["labels"]
            for key in ("rules", "roleRef", "subjects"):
                assert found.get(key) == expected.get(key)

        def agent_as_identity() -> None:
            run = run_cli("agent", "--config", str(config), "--kubeconfig", str(identity), "--once")
            assert run.returncode == 0 and "cluster/member1 Ready=True" in run.stdout, run.stderr

        agent_as_identity()                            # the cluster's status first, then its Works
        apply(tmp_path, ns, DIVIDED, store=backend)
        agent_as_identity()
        assert replicas([m1], ns) == {"member1": 6}
        assert works(backend, "member1")

        result = k(backend, "unregister", m1.name, "--kubeconfig", str(m1.kubeconfig_path))
        assert result.returncode == 0, result.stderr
        for line in ("serviceaccounts/karmada-system/karmada-agent-sa deleted",
                     "clusterroles.rbac.authorization.k8s.io/karmada-agent deleted",
                     "clusterrolebindings.rbac.authorization.k8s.io/karmada-agent deleted"):
            assert line in result.stdout
        for expected in agent_rbac("karmada-system"):
            meta = expected["metadata"]
            assert admin.get(expected["apiVersion"], kinds.of(expected).plural, meta["name"],
                             meta.get("namespace")) is None
    finally:
        admin.close()
    gone = load_kubeconfig(str(identity)).client(name=m1.name)
    try:                                            # its ServiceAccount gone, the token opens nothing
        with pytest.raises(KarmadaError):
            gone.get_json("/api")
    finally:
        gone.close()


def test_agent_identity_needs_the_member_kubeconfig(backend, members, tmp_path):
    token = k(backend, "token", "create").stdout.strip()
    result = k(backend, "register", "edge1", "--token", token, "--agent-identity")
    assert result.returncode == 1 and "pass its --kubeconfig" in result.stderr
    assert k(backend, "get", "clusters", "edge1").returncode == 1
