"""Objects of odd shapes that get past the door (--validate=ignore, or stored before the checks)
never crash the pipeline: each becomes an error on its own binding, the others go on.

Karmada's native interpreter converts an object into its typed struct before
reading it and fails the operation when that conversion fails
(pkg/resourceinterpreter/default/native/replica.go: deployReplica returns the
error of helper.ConvertToTypedObject; dependencies.go: "failed to convert
Deployment from unstructured object"); the detector then leaves that template
without a binding and carries on with the others.
"""

from __future__ import annotations

import copy

import pytest
import yaml

from tests.fuzz.generator import built_corpus, run_cli_in_process, store_rows

CORPUS = {(d["kind"], d["metadata"]["name"]): d for d in built_corpus()}
DEPLOYMENT = CORPUS[("Deployment", "app")]
CLUSTER = CORPUS[("Cluster", "member1")]
CONFIGMAP = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "nginx-config", "namespace": "default"},
             "data": {"a": "b"}}
POLICY = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
          "metadata": {"name": "all", "namespace": "default"},
          "spec": {"propagateDeps": True,
                   "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"},
                                         {"apiVersion": "v1", "kind": "ConfigMap"}],
                   "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}}
CONTAINER = ("spec", "template", "spec", "containers", 0)


def changed(obj: dict, path: tuple, value) -> dict:
    out = copy.deepcopy(obj)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


MALFORMED = {
    "spec: 5": (("spec",), 5),
    "containers: x": (("spec", "template", "spec", "containers"), "x"),
    "template: a list": (("spec", "template"), [1]),
    "requests: x": ((*CONTAINER, "resources"), {"requests": "x"}),
    "a NaN quantity": ((*CONTAINER, "resources"), {"requests": {"cpu": float("nan")}}),
    "a quantity of 1e999999999": ((*CONTAINER, "resources"), {"requests": {"memory": "1e999999999"}}),
    "envFrom of lists": ((*CONTAINER, "envFrom"), [["configMapRef"]]),
    "envFrom: x": ((*CONTAINER, "envFrom"), "x"),
}


def plan_offline(tmp_path, docs: list[dict], *flags: str):
    path = tmp_path / "input.yaml"
    path.write_text(yaml.safe_dump_all(docs))
    return run_cli_in_process(["plan", "--offline", *flags, "-f", str(path)])


@pytest.mark.parametrize("name", MALFORMED)
def test_a_malformed_workload_is_an_error_on_its_own_binding(home, tmp_path, name):
    path, value = MALFORMED[name]
    outcome = plan_offline(tmp_path, [changed(DEPLOYMENT, path, value), CONFIGMAP, POLICY, CLUSTER],
                           "--validate=ignore")
    assert outcome.code == 1, outcome
    assert "internal error" not in outcome.stderr
    errors = outcome.stderr.strip().splitlines()
    assert len(errors) == 1 and errors[0].startswith("error: interpreter: ") and "Deployment default/app" in errors[0]
    rows = {line.split()[1]: line for line in outcome.stdout.splitlines()[1:] if line.strip()}
    assert rows["nginx-config"].split()[5:7] == ["member1", "True"]      # the other object is planned
    assert "False: interpreter:" in rows["app"]


@pytest.mark.parametrize("name, found", [("spec: 5", "a number where a mapping was expected"),
                                         ("containers: x", "a string where a mapping was expected"),
                                         ("envFrom of lists", "a list where a mapping was expected")])
def test_the_error_says_what_was_found_where(home, tmp_path, name, found):
    path, value = MALFORMED[name]
    outcome = plan_offline(tmp_path, [changed(DEPLOYMENT, path, value), CONFIGMAP, POLICY, CLUSTER],
                           "--validate=ignore")
    assert outcome.stderr.strip().endswith(f"failed to convert Deployment default/app from its fields: {found}")


def test_the_same_workload_well_formed_is_planned(home, tmp_path):
    """The counterpart of the test above: the errors come from the malformed fields."""
    outcome = plan_offline(tmp_path, [DEPLOYMENT, CONFIGMAP, POLICY, CLUSTER])
    assert outcome.code == 0, outcome
    assert outcome.stderr == ""


@pytest.mark.parametrize("path, value, field", [
    (("status",), "x", "status"),
    (("spec",), 5, "spec"),
    (("spec", "taints"), [{"key": "k", "effect": ""}], "spec.taints[0].effect"),
    (("spec", "taints"), ["k=v:NoSchedule"], "spec.taints[0]"),
    (("spec", "zones"), "zone-a", "spec.zones"),
    (("status", "resourceSummary"), {"allocatable": {"pods": "many"}}, "status.resourceSummary.allocatable.pods"),
    (("status", "resourceSummary"), {"allocatable": {"cpu": float("nan")}}, "status.resourceSummary.allocatable.cpu"),
    (("status", "apiEnablements"), [{"groupVersion": "v1", "resources": "configmaps"}],
     "status.apiEnablements[0].resources"),
    (("status", "conditions"), [["Ready"]], "status.conditions[0]"),
    (("status", "nodeSummary"), {"totalNum": "3"}, "status.nodeSummary.totalNum"),
])
def test_a_cluster_of_a_wrong_shape_in_plan_offline_names_the_file_and_field(home, tmp_path, path, value, field):
    outcome = plan_offline(tmp_path, [DEPLOYMENT, POLICY, changed(CLUSTER, path, value)], "--validate=ignore")
    assert outcome.code == 1, outcome
    assert outcome.stderr.startswith(f"error: {tmp_path / 'input.yaml'} (document 3): {field}: ")
    assert len(outcome.stderr.strip().splitlines()) == 1 and "internal error" not in outcome.stderr


@pytest.mark.parametrize("versions", [5, "v1", [5], [{"name": 5}], [{"served": True}], [], None])
def test_a_crd_with_odd_versions_does_not_break_this_or_a_later_command(home, tmp_path, versions):
    crd = CORPUS[("CustomResourceDefinition", "backends.example.io")]
    odd = changed(crd, ("spec", "versions"), versions)
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    first = tmp_path / "crd.yaml"
    first.write_text(yaml.safe_dump(odd))
    outcome = run_cli_in_process([*store, "apply", "--validate=ignore", "-f", str(first)])
    assert outcome.code in (0, 1) and "internal error" not in outcome.stderr, outcome
    later = tmp_path / "cm.yaml"
    later.write_text(yaml.safe_dump(CONFIGMAP))
    outcome = run_cli_in_process([*store, "apply", "-f", str(later)])
    assert outcome.code == 0, outcome
    assert run_cli_in_process([*store, "get", "cm", "nginx-config"]).code == 0


def break_in_store(db, gk: str, name: str, namespace: str, path: tuple, value) -> None:
    """Make a stored object malformed, as one stored before the checks at the door existed would be."""
    from karmadactl.store import Store
    from karmadactl.store.keys import ObjectKey

    with Store.open(f"sqlite:///{db}") as store, store.write() as tx:
        tx.update(changed(tx.get(ObjectKey(gk, namespace, name)), path, value))


def test_apply_stores_nothing_when_its_own_template_cannot_be_processed(home, tmp_path):
    """All or nothing: --validate=ignore skips the schema, not the pipeline's own reading."""
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    assert run_cli_in_process([*store, "init"]).code == 0
    before = store_rows(db)
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump_all([changed(DEPLOYMENT, ("spec", "template"), [1]), CONFIGMAP, POLICY]))
    outcome = run_cli_in_process([*store, "apply", "--validate=ignore", "-f", str(broken)])
    assert outcome.code == 1, outcome
    assert outcome.stderr.strip() == (f"error: {broken} (document 1): interpreter: InterpretReplica: failed to "
                                      "convert Deployment default/app from its fields: a list where a mapping "
                                      "was expected")
    assert store_rows(db) == before


def test_apply_stores_nothing_when_its_policy_would_claim_a_stored_template_it_cannot_process(home, tmp_path):
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    unclaimed = tmp_path / "deploy.yaml"        # no policy claims it: nothing interprets it yet
    unclaimed.write_text(yaml.safe_dump(changed(DEPLOYMENT, ("spec", "template"), [1])))
    assert run_cli_in_process([*store, "apply", "--validate=ignore", "-f", str(unclaimed)]).code == 0
    before = store_rows(db)
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    outcome = run_cli_in_process([*store, "apply", "-f", str(policy)])
    assert outcome.code == 1 and "Deployment default/app from its fields" in outcome.stderr, outcome
    assert store_rows(db) == before


def test_a_stored_object_that_cannot_be_processed_never_stops_a_later_command(home, tmp_path):
    db = tmp_path / "store.db"
    store = ["--store", f"sqlite:///{db}"]
    first = tmp_path / "app.yaml"
    first.write_text(yaml.safe_dump_all([DEPLOYMENT, POLICY]))
    assert run_cli_in_process([*store, "apply", "-f", str(first)]).code == 0
    break_in_store(db, "Deployment.apps", "app", "default", ("spec", "template"), [1])

    later = tmp_path / "cm.yaml"
    later.write_text(yaml.safe_dump(CONFIGMAP))
    outcome = run_cli_in_process([*store, "apply", "-f", str(later)])
    assert "configmap/nginx-config created" in outcome.stdout      # stored, and planned like any other
    assert outcome.code == 1 and "internal error" not in outcome.stderr, outcome  # the broken one says so
    assert "error: Deployment default/app not scheduled: interpreter: " in outcome.stderr
    listed = run_cli_in_process([*store, "get", "rb", "-o", "name"])
    assert "nginx-config-configmap" in listed.stdout and "app-deployment" in listed.stdout

    before = store_rows(db)
    outcome = run_cli_in_process([*store, "plan"])
    assert outcome.code == 1 and "internal error" not in outcome.stderr
    assert store_rows(db) == before

    assert run_cli_in_process([*store, "delete", "deploy", "app"]).code == 0
    assert run_cli_in_process([*store, "plan"]).code == 0


@pytest.mark.parametrize("returned, field", [
    ('{resourceRequest = "x"}', "replicaRequirements.resourceRequest: expected a mapping"),
    ("{resourceRequest = {cpu = {1}}}", "replicaRequirements.resourceRequest.cpu: quantity [1]"),
    ('{resourceRequest = {memory = "lots"}}', "replicaRequirements.resourceRequest.memory: quantity 'lots'"),
])
def test_requirements_of_a_wrong_shape_from_a_customization_are_that_bindings_error(home, tmp_path, returned, field):
    crd = CORPUS[("CustomResourceDefinition", "backends.example.io")]
    backend = CORPUS[("Backend", "b")]
    customization = {"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterCustomization",
                     "metadata": {"name": "backends"},
                     "spec": {"target": {"apiVersion": "example.io/v1", "kind": "Backend"},
                              "customizations": {"replicaResource": {"luaScript":
                                  f"function GetReplicas(obj)\n  return 2, {returned}\nend\n"}}}}
    divided = copy.deepcopy(POLICY)
    divided["spec"]["resourceSelectors"] = [{"apiVersion": "example.io/v1", "kind": "Backend"},
                                           {"apiVersion": "v1", "kind": "ConfigMap"}]
    divided["spec"]["placement"]["replicaScheduling"] = {"replicaSchedulingType": "Divided",
                                                         "replicaDivisionPreference": "Aggregated"}
    serves_all = copy.deepcopy(CLUSTER)
    del serves_all["status"]["apiEnablements"]           # a Cluster that lists no APIs serves every one
    outcome = plan_offline(tmp_path, [crd, customization, backend, CONFIGMAP, divided, serves_all])
    assert outcome.code == 1, outcome
    assert "internal error" not in outcome.stderr and field in outcome.stderr
    assert outcome.stderr.strip().splitlines()[0].startswith("error: interpreter: ")
    rows = {line.split()[1]: line for line in outcome.stdout.splitlines()[1:] if line.strip()}
    assert rows["nginx-config"].split()[5:7] == ["member1", "True"]
