"""`karmadactl interpret` on the example CRDs' customizations, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "customizations"
POOL = str(EXAMPLES / "replicapool-customization.yaml")
DESIRED = str(EXAMPLES / "testdata" / "replicapool.yaml")
OBSERVED = str(EXAMPLES / "testdata" / "replicapool-observed.yaml")
ITEMS = str(EXAMPLES / "testdata" / "replicapool-status-items.yaml")


def interpret(*args: str) -> dict:
    result = run_cli("interpret", *args, "-o", "json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.usefixtures("home")
class TestReplicaPool:
    def test_interpret_replica_with_requirements(self):
        out = interpret("-f", POOL, "--operation", "InterpretReplica", "--desired-file", DESIRED)
        assert out == {"replica": 4, "requires": {"nodeClaim": {"nodeSelector": {"disk": "ssd"}},
                                                  "resourceRequest": {"cpu": "250m", "memory": "256Mi"}}}

    def test_revise_replica(self):
        out = interpret("-f", POOL, "--operation", "reviseReplica", "--desired-file", DESIRED,
                        "--desired-replica", "3")
        assert out["revised"]["spec"]["replicas"] == 3
        assert out["revised"]["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27"

    def test_retain_keeps_the_member_field(self):
        out = interpret("-f", POOL, "--operation", "Retain", "--desired-file", DESIRED, "--observed-file", OBSERVED)
        assert out["retained"]["spec"]["paused"] is True
        assert out["retained"]["spec"]["replicas"] == 4

    def test_interpret_status_and_health_read_the_observed_object(self):
        assert interpret("-f", POOL, "--operation", "InterpretStatus", "--observed-file", OBSERVED) == {
            "status": {"generation": 2, "observedGeneration": 2, "readyReplicas": 2, "replicas": 2,
                       "updatedReplicas": 2}}
        assert interpret("-f", POOL, "--operation", "InterpretHealth", "--observed-file", OBSERVED) == {
            "healthy": True}

    def test_unhealthy_when_not_all_ready(self, tmp_path):
        observed = yaml.safe_load(Path(OBSERVED).read_text())
        observed["status"]["readyReplicas"] = 1
        path = tmp_path / "observed.yaml"
        path.write_text(yaml.safe_dump(observed))
        assert interpret("-f", POOL, "--operation", "InterpretHealth", "--observed-file", str(path)) == {
            "healthy": False}

    def test_aggregate_status_sums_the_clusters(self):
        out = interpret("-f", POOL, "--operation", "AggregateStatus", "--desired-file", DESIRED,
                        "--status-file", ITEMS)
        assert out["aggregatedStatus"]["status"] == {"observedGeneration": 2, "readyReplicas": 3,
                                                     "replicas": 4, "updatedReplicas": 4}

    def test_aggregate_status_with_an_empty_status_file(self, tmp_path):
        empty = tmp_path / "items.yaml"
        empty.write_text("")
        out = interpret("-f", POOL, "--operation", "AggregateStatus", "--desired-file", DESIRED,
                        "--status-file", str(empty))
        assert out["aggregatedStatus"]["status"]["replicas"] == 0

    def test_yaml_output_by_default(self):
        result = run_cli("interpret", "-f", POOL, "--operation", "InterpretReplica", "--desired-file", DESIRED)
        assert result.returncode == 0, result.stderr
        assert yaml.safe_load(result.stdout)["replica"] == 4


@pytest.mark.usefixtures("home")
def test_pipeline_dependencies():
    out = interpret("-f", str(EXAMPLES / "pipeline-customization.yaml"), "--operation", "InterpretDependency",
                    "--desired-file", str(EXAMPLES / "testdata" / "pipeline.yaml"))
    assert out == {"dependencies": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "load-config", "namespace": "etl"},
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "nightly-params", "namespace": "etl"},
        {"apiVersion": "v1", "kind": "Secret", "name": "warehouse-credentials", "namespace": "etl"},
        {"apiVersion": "v1", "kind": "ServiceAccount", "name": "extractor", "namespace": "etl"},
    ]}


@pytest.mark.usefixtures("home")
def test_check_passes_for_the_examples_and_fails_for_a_broken_rule(tmp_path):
    result = run_cli("interpret", "-f", str(EXAMPLES), "--check")
    assert result.returncode == 0, result.stderr
    assert "AggregateStatus: PASS" in result.stdout and "InterpretDependency: PASS" in result.stdout
    broken = yaml.safe_load(Path(POOL).read_text())
    broken["spec"]["customizations"]["healthInterpretation"]["luaScript"] = "function Healthy(o) return true end"
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = run_cli("interpret", "-f", str(path), "--check")
    assert result.returncode == 1
    assert "InterpretHealth: FAIL: not found function InterpretHealth" in result.stdout


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize("script, message", [
    ("function GetReplicas(o) return o.spec.missing.replicas end", "attempt to index a nil value"),
    ("function GetReplicas(o) return io.open('/etc/passwd') end", "global 'io'"),
    ("function GetReplicas(o) while true do end end", "timed out"),
])
def test_a_failing_script_exits_1_with_the_lua_message(tmp_path, script, message):
    custom = yaml.safe_load(Path(POOL).read_text())
    custom["spec"]["customizations"]["replicaResource"]["luaScript"] = script
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(custom))
    result = run_cli("interpret", "-f", str(path), "--operation", "InterpretReplica", "--desired-file", DESIRED)
    assert result.returncode == 1
    assert "InterpretReplica" in result.stderr and message in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.usefixtures("home")
def test_usage_errors():
    result = run_cli("interpret", "-f", POOL, "--operation", "Retain", "--desired-file", DESIRED)
    assert result.returncode == 2 and "--observed-file" in result.stderr
    result = run_cli("interpret", "-f", POOL, "--operation", "InterpretReplica",
                     "--desired-file", str(EXAMPLES / "testdata" / "pipeline.yaml"))
    assert result.returncode == 1 and "no customization implements InterpretReplica" in result.stderr


def test_a_customized_crd_is_divided_revised_aggregated_and_judged_by_its_lua(home, members, member_client, tmp_path):
    """The done-when of the interpreter: a CloneSet-like CRD divided 2:1 over two sandbox members."""
    import json as _json
    from pathlib import Path as _Path

    import yaml as _yaml
    from kubernetes import client as k8s

    examples = _Path(__file__).resolve().parents[2] / "examples" / "customizations"
    m1, m2, _ = members
    for m in members:
        assert run_cli("join", m.name, "--kubeconfig", str(m.kubeconfig_path)).returncode == 0
    ns = "pool-test"
    pool = _yaml.safe_load((examples / "testdata" / "replicapool.yaml").read_text())
    pool["metadata"]["namespace"] = ns
    pool["spec"]["replicas"] = 6
    crd_policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterPropagationPolicy",
                  "metadata": {"name": "replicapool-crd"},
                  "spec": {"resourceSelectors": [{"apiVersion": "apiextensions.k8s.io/v1",
                                                  "kind": "CustomResourceDefinition",
                                                  "name": "replicapools.apps.example.io"}],
                           "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]}}}}
    pool_policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
                   "metadata": {"name": "pool", "namespace": ns},
                   "spec": {"resourceSelectors": [{"apiVersion": pool["apiVersion"], "kind": "ReplicaPool"}],
                            "placement": {"clusterAffinity": {"clusterNames": ["member1", "member2"]},
                                          "replicaScheduling": {
                                              "replicaSchedulingType": "Divided",
                                              "replicaDivisionPreference": "Weighted",
                                              "weightPreference": {"staticWeightList": [
                                                  {"targetCluster": {"clusterNames": ["member1"]}, "weight": 2},
                                                  {"targetCluster": {"clusterNames": ["member2"]}, "weight": 1}]}}}}}
    files = tmp_path / "pool.yaml"
    files.write_text(_yaml.safe_dump_all([pool, crd_policy, pool_policy]))
    result = run_cli("apply", "-f", str(examples / "replicapool-crd.yaml"), "-f",
                     str(examples / "replicapool-customization.yaml"), "-f", str(files))
    assert result.returncode == 0, result.stderr
    if "member1" not in result.stdout:        # the CRD reaches the members first; the pool in the next pass
        assert run_cli("sync").returncode == 0
    assert run_cli("sync").returncode == 0
    custom = {m.name: k8s.CustomObjectsApi(member_client(m)) for m in (m1, m2)}
    group, version = pool["apiVersion"].split("/")
    copies = {name: api.get_namespaced_custom_object(group, version, ns, "replicapools", pool["metadata"]["name"])
              for name, api in custom.items()}
    assert {n: c["spec"]["replicas"] for n, c in copies.items()} == {"member1": 4, "member2": 2}

    binding = _json.loads(run_cli("get", "rb", "-n", ns, "-o", "json").stdout)["items"][0]
    assert binding["spec"]["replicas"] == 6                         # GetReplicas in Lua
    desired = tmp_path / "desired.yaml"
    desired.write_text(_yaml.safe_dump(pool))
    interpreted = run_cli("interpret", "-f", str(examples / "replicapool-customization.yaml"),
                          "--operation", "InterpretReplica", "--desired-file", str(desired), "-o", "json")
    assert interpreted.returncode == 0, interpreted.stderr
    assert _json.loads(interpreted.stdout)["replica"] == 6

    for name, api in custom.items():          # the members' controllers report
        copy = copies[name]
        api.patch_namespaced_custom_object_status(
            group, version, ns, "replicapools", copy["metadata"]["name"],
            {"status": {"replicas": copy["spec"]["replicas"], "readyReplicas": copy["spec"]["replicas"],
                        "updatedReplicas": copy["spec"]["replicas"],
                        "observedGeneration": copy["metadata"]["generation"]}})
    described = run_cli("describe", "replicapool", pool["metadata"]["name"], "-n", ns)
    assert described.returncode == 0, described.stderr
    assert "Healthy" in described.stdout
    template = _json.loads(run_cli("get", "replicapool", pool["metadata"]["name"], "-n", ns, "-o", "json").stdout)
    assert template["status"]["replicas"] == 6 and template["status"]["readyReplicas"] == 6   # AggregateStatus


@pytest.mark.usefixtures("home")
def test_interpret_takes_local_objects_that_apply_refuses(tmp_path):
    """Karmada's `karmadactl interpret` reads its object files locally as unstructured
    (pkg/karmadactl/interpret/execute.go completeExecute): no apiserver validation, so no name is
    needed and annotation values need not be strings. `apply` stays strict."""
    pool = yaml.safe_load(Path(DESIRED).read_text())
    del pool["metadata"]["name"]
    pool["metadata"]["annotations"] = {"replicas-hint": 4, "paused": True}
    path = tmp_path / "loose.yaml"
    path.write_text(yaml.safe_dump(pool))
    assert interpret("-f", POOL, "--operation", "InterpretReplica", "--desired-file", str(path))["replica"] == 4
    revised = interpret("-f", POOL, "--operation", "ReviseReplica", "--desired-file", str(path),
                        "--desired-replica", "2")["revised"]
    assert revised["metadata"]["annotations"] == {"replicas-hint": 4, "paused": True}
    refused = run_cli("apply", "-f", str(path))
    assert refused.returncode == 1 and "loose.yaml" in refused.stderr


@pytest.mark.usefixtures("home")
def test_interpret_object_files_still_need_a_kind_and_one_object(tmp_path):
    no_kind = tmp_path / "no-kind.yaml"
    no_kind.write_text("apiVersion: apps.example.io/v1alpha1\nspec: {}\n")
    result = run_cli("interpret", "-f", POOL, "--operation", "InterpretReplica", "--desired-file", str(no_kind))
    assert result.returncode == 1 and f"{no_kind}: kind: required" in result.stderr
    two = tmp_path / "two.yaml"
    two.write_text(Path(DESIRED).read_text() + "\n---\n" + Path(DESIRED).read_text())
    result = run_cli("interpret", "-f", POOL, "--operation", "InterpretReplica", "--desired-file", str(two))
    assert result.returncode == 1 and "get 2 objects, expect one" in result.stderr


@pytest.mark.usefixtures("home")
def test_an_operation_reads_one_object_as_karmada_rule_args_do():
    """pkg/util/interpreter/rule.go getObjectOrError: desired or observed, not both (Retain takes both)."""
    result = run_cli("interpret", "-f", POOL, "--operation", "InterpretHealth", "--desired-file", DESIRED,
                     "--observed-file", OBSERVED)
    assert result.returncode == 2 and "not both" in result.stderr
    result = run_cli("interpret", "-f", POOL, "--operation", "InterpretHealth")
    assert result.returncode == 2 and "--desired-file or --observed-file" in result.stderr


@pytest.mark.usefixtures("home")
def test_revise_replica_without_desired_replica_revises_to_zero():
    """Karmada's `--desired-replica` is an int32 flag defaulting to 0 (interpret.go NewCmdInterpret)."""
    out = interpret("-f", POOL, "--operation", "ReviseReplica", "--desired-file", DESIRED)
    assert out["revised"]["spec"]["replicas"] == 0


BENCH = Path(__file__).resolve().parents[2] / "bench" / "thirdparty.py"


def test_bench_thirdparty_compares_interpret_with_test_data(tmp_path):
    """bench/thirdparty.py walks <group>/<version>/<Kind>/customizations.yaml + testdata/ as Karmada's
    repository lays them out (thirdparty_test.go) and counts the cases whose output matches."""
    import subprocess
    import sys

    kind_dir = tmp_path / "apps.example.io" / "v1alpha1" / "ReplicaPool"
    (kind_dir / "testdata").mkdir(parents=True)
    (kind_dir / "customizations.yaml").write_text(Path(POOL).read_text())
    desired = yaml.safe_load(Path(DESIRED).read_text())
    cases = [
        {"name": "right", "operation": "InterpretReplica", "desiredObj": desired, "output": {"replica": 4}},
        {"name": "wrong", "operation": "InterpretReplica", "desiredObj": desired, "output": {"replica": 5}},
        {"name": "healthy", "operation": "InterpretHealth", "observedObj": yaml.safe_load(
            Path(OBSERVED).read_text()), "output": {"healthy": True}},
    ]
    (kind_dir / "testdata" / "cases-test.yaml").write_text(yaml.safe_dump_all(cases))
    (kind_dir / "testdata" / "plain-input.yaml").write_text(yaml.safe_dump(desired))   # no operation: skipped
    done = subprocess.run([sys.executable, str(BENCH), str(tmp_path)], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert "FAIL apps.example.io/v1alpha1/ReplicaPool InterpretReplica 'wrong': replica differ" in done.stdout
    assert done.stdout.strip().endswith("2 of 3 operations pass")


@pytest.mark.usefixtures("home")
def test_a_lua_error_names_the_operation_and_the_line(tmp_path):
    custom = yaml.safe_load(Path(POOL).read_text())
    custom["spec"]["customizations"]["replicaResource"]["luaScript"] = (
        "function GetReplicas(o)\n  local t = {a = {b = 1},\n    c = 2}\n  return o.spec.nothing.here\nend\n")
    path = tmp_path / "custom.yaml"
    path.write_text(yaml.safe_dump(custom))
    result = run_cli("interpret", "-f", str(path), "--operation", "InterpretReplica", "--desired-file", DESIRED)
    assert result.returncode == 1
    assert "InterpretReplica: customization:4: attempt to index a nil value (field 'nothing')" in result.stderr
