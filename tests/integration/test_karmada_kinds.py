"""Karmada's other kinds through the CLI: FederatedHPA, CronFederatedHPA, FederatedResourceQuota,
MultiClusterService/Ingress, ServiceExport/ServiceImport, WorkloadRebalancer,
ResourceInterpreterWebhookConfiguration, Remedy and ResourceRegistry.

`apply` stores them and says on stderr that karmadactl does not act on them yet; `get` (with Karmada's
short names and printer columns), `describe`, `export` and `delete` work on each. Names, scope, short
names and columns are those of Karmada's kubebuilder markers:
  pkg/apis/autoscaling/v1alpha1/federatedhpa_types.go      shortName=fhpa, six printcolumns
  pkg/apis/autoscaling/v1alpha1/cronfederatedhpa_types.go  shortName=cronfhpa, REFERENCE-KIND/NAME, AGE
  pkg/apis/policy/v1alpha1/federatedresourcequota_types.go no shortName; OVERALL, OVERALL_USED
  pkg/apis/networking/v1alpha1/service_types.go            shortName=mcs, no printcolumn
  charts/karmada/_crds/bases/networking/networking.karmada.io_multiclusteringresses.yaml  shortName mci
  pkg/apis/apps/v1alpha1/workloadrebalancer_types.go       scope=Cluster, no shortName
  pkg/apis/config/v1alpha1/resourceinterpreterwebhook_types.go  scope=Cluster, no shortName
  pkg/apis/remedy/v1alpha1/remedy_types.go                 scope=Cluster
  pkg/apis/search/v1alpha1/searchregistry_types.go         ResourceRegistry, cluster-scoped
  charts/karmada/_crds/bases/multicluster/multicluster.x-k8s.io_serviceexports.yaml  shortName svcex
  kubernetes-sigs/mcs-api config/crd/multicluster.x-k8s.io_serviceimports.yaml  svcim; Type, IP, Age
"""

from __future__ import annotations

import io
import re

import pytest
import yaml

from karmadactl.apis.kinds import NOT_ACTED_ON
from karmadactl.cli.app import run
from karmadactl.cli.env import Env


def karmadactl(*argv: str, stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run(list(argv), Env(stdout=out, stderr=err, stdin=io.StringIO(stdin)))
    return code, out.getvalue(), err.getvalue()


def rows(stdout: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


@pytest.fixture
def store(tmp_path, monkeypatch):
    monkeypatch.setenv("KARMADA_HOME", str(tmp_path / "home"))
    for var in ("KARMADACTL_STORE", "KUBECONFIG", "NO_COLOR"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def write(folder, name: str, *docs: dict) -> str:
    path = folder / name
    path.write_text(yaml.safe_dump_all(docs))
    return str(path)


TARGET = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}
FHPA = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "FederatedHPA",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"scaleTargetRef": TARGET, "minReplicas": 2, "maxReplicas": 10,
                 "metrics": [{"type": "Resource", "resource": {
                     "name": "cpu", "target": {"type": "Utilization", "averageUtilization": 60}}}]}}
CRON = {"apiVersion": "autoscaling.karmada.io/v1alpha1", "kind": "CronFederatedHPA",
        "metadata": {"name": "nightly", "namespace": "shop"},
        "spec": {"scaleTargetRef": TARGET, "rules": [{"name": "night", "schedule": "0 22 * * *",
                                                      "targetReplicas": 1}]}}
FRQ = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "FederatedResourceQuota",
       "metadata": {"name": "team", "namespace": "shop"},
       "spec": {"overall": {"cpu": "10", "memory": "20Gi"},
                "staticAssignments": [{"clusterName": "member1", "hard": {"cpu": "4"}}]}}
MCS = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterService",
       "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"types": ["CrossCluster"], "providerClusters": [{"name": "member1"}],
                "consumerClusters": [{"name": "member2"}]}}
MCI = {"apiVersion": "networking.karmada.io/v1alpha1", "kind": "MultiClusterIngress",
       "metadata": {"name": "web", "namespace": "shop"},
       "spec": {"defaultBackend": {"service": {"name": "web", "port": {"number": 80}}}}}
EXPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceExport",
          "metadata": {"name": "web", "namespace": "shop"}}
IMPORT = {"apiVersion": "multicluster.x-k8s.io/v1alpha1", "kind": "ServiceImport",
          "metadata": {"name": "web", "namespace": "shop"},
          "spec": {"type": "ClusterSetIP", "ips": ["10.96.0.40"], "ports": [{"port": 80, "protocol": "TCP"}]}}
REBALANCER = {"apiVersion": "apps.karmada.io/v1alpha1", "kind": "WorkloadRebalancer",
              "metadata": {"name": "after-outage"},
              "spec": {"workloads": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web",
                                      "namespace": "shop"}]}}
WEBHOOK = {"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterWebhookConfiguration",
           "metadata": {"name": "examples"},
           "webhooks": [{"name": "workloads.example.com", "clientConfig": {"url": "https://hooks.example.com"},
                         "interpreterContextVersions": ["v1alpha1"],
                         "rules": [{"operations": ["InterpretReplica"], "apiGroups": ["example.com"],
                                    "apiVersions": ["v1"], "kinds": ["Workload"]}]}]}
REMEDY = {"apiVersion": "remedy.karmada.io/v1alpha1", "kind": "Remedy", "metadata": {"name": "dns"},
          "spec": {"decisionMatches": [{"clusterConditionMatch": {
              "conditionType": "ServiceDomainNameResolutionReady", "operator": "Equal",
              "conditionStatus": "False"}}], "actions": ["TrafficControl"]}}
REGISTRY = {"apiVersion": "search.karmada.io/v1alpha1", "kind": "ResourceRegistry", "metadata": {"name": "cache"},
            "spec": {"targetCluster": {"clusterNames": ["member1"]},
                     "resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment"}]}}

# (manifest, every name a user may type for its kind, the resource name kubectl prints)
KINDS = [
    (FHPA, ["fhpa", "federatedhpa", "federatedhpas", "FederatedHPA", "fhpa.autoscaling.karmada.io"],
     "federatedhpa.autoscaling.karmada.io"),
    (CRON, ["cronfhpa", "cronfederatedhpas", "CronFederatedHPA"], "cronfederatedhpa.autoscaling.karmada.io"),
    (FRQ, ["federatedresourcequota", "federatedresourcequotas", "federatedresourcequotas.policy.karmada.io"],
     "federatedresourcequota.policy.karmada.io"),
    (MCS, ["mcs", "multiclusterservices", "mcs.networking.karmada.io"], "multiclusterservice.networking.karmada.io"),
    (MCI, ["mci", "multiclusteringress"], "multiclusteringress.networking.karmada.io"),
    (EXPORT, ["svcex", "serviceexports", "ServiceExport"], "serviceexport.multicluster.x-k8s.io"),
    (IMPORT, ["svcim", "serviceimport"], "serviceimport.multicluster.x-k8s.io"),
    (REBALANCER, ["workloadrebalancer", "workloadrebalancers"], "workloadrebalancer.apps.karmada.io"),
    (WEBHOOK, ["resourceinterpreterwebhookconfigurations", "ResourceInterpreterWebhookConfiguration"],
     "resourceinterpreterwebhookconfiguration.config.karmada.io"),
    (REMEDY, ["remedy", "remedies"], "remedy.remedy.karmada.io"),
    (REGISTRY, ["resourceregistries", "resourceregistry.search.karmada.io"], "resourceregistry.search.karmada.io"),
]


def _ns_args(obj: dict) -> list[str]:
    return ["-n", obj["metadata"]["namespace"]] if "namespace" in obj["metadata"] else []


@pytest.mark.parametrize("obj, names, resource", KINDS, ids=[k[0]["kind"] for k in KINDS])
def test_each_kind_is_stored_listed_described_exported_and_deleted(store, obj, names, resource):
    kind, name = obj["kind"], obj["metadata"]["name"]
    path = write(store, "kind.yaml", obj)
    warning = f"warning: {kind} is stored but karmadactl does not act on it yet"
    warned = 1 if f"{kind}.{obj['apiVersion'].rpartition('/')[0]}" in NOT_ACTED_ON else 0   # CronFederatedHPA: acted on

    code, out, err = karmadactl("apply", "-f", path)
    assert code == 0, err
    assert f"{resource}/{name} created" in out
    assert err.count(warning) == warned, err
    code, out, err = karmadactl("apply", "-f", path)          # said again at every apply
    assert code == 0 and f"{resource}/{name} unchanged" in out and err.count(warning) == warned

    for typed in names:
        code, out, err = karmadactl("get", typed, *_ns_args(obj))
        assert code == 0, f"get {typed}: {err}"
        assert rows(out)[0][0] == "NAME" and rows(out)[1][0] == name, out
    code, out, _ = karmadactl("get", names[0], name, *_ns_args(obj), "-o", "yaml")
    got = yaml.safe_load(out)
    assert code == 0 and got["kind"] == kind and got["metadata"]["name"] == name
    assert {k: v for k, v in got.items() if k not in ("metadata", "status")} == \
        {k: v for k, v in obj.items() if k != "metadata"}

    code, out, err = karmadactl("describe", names[0], name, *_ns_args(obj))
    assert code == 0, err
    assert re.search(rf"^Kind:\s+{kind}$", out, re.M) and re.search(rf"^Name:\s+{name}$", out, re.M)
    if obj["apiVersion"].startswith("multicluster.x-k8s.io/"):       # a template: its policy and binding
        assert re.search(r"^Policy:\s+<none>", out, re.M), out
    else:
        for body in (k for k in obj if k not in ("apiVersion", "kind", "metadata")):   # spec, or webhooks
            assert re.search(rf"^{body.capitalize()}:$", out, re.M), out
    assert err.count(warning) == warned

    code, out, _ = karmadactl("export")
    exported = [o for o in yaml.safe_load(out)["items"] if o["kind"] == kind]
    assert code == 0 and [o["metadata"]["name"] for o in exported] == [name]
    assert "uid" not in exported[0]["metadata"] and "resourceVersion" not in exported[0]["metadata"]

    code, out, err = karmadactl("delete", names[0], name, *_ns_args(obj))
    assert code == 0, err
    assert f"{resource}/{name} deleted" in out
    code, out, err = karmadactl("get", names[0], *_ns_args(obj))
    assert code == 0 and out == "" and "No resources found" in err
    code, out, _ = karmadactl("export")
    assert kind not in {o["kind"] for o in yaml.safe_load(out)["items"]}
    code, _, err = karmadactl("delete", names[0], name, *_ns_args(obj))
    assert code == 1 and "not found" in err


def test_printer_columns_are_karmadas(store):
    """FederatedHPA, CronFederatedHPA, FederatedResourceQuota and ServiceImport print the columns their
    markers declare; a kind without any prints NAME and AGE (the API server's default)."""
    karmadactl("apply", "-f", write(store, "all.yaml", FHPA, CRON, FRQ, IMPORT, MCS, REBALANCER))

    code, out, _ = karmadactl("get", "fhpa", "-n", "shop")
    assert code == 0
    header, row = rows(out)
    assert header == ["NAME", "REFERENCE-KIND", "REFERENCE-NAME", "MINPODS", "MAXPODS", "REPLICAS", "AGE"]
    assert row[:6] == ["web", "Deployment", "web", "2", "10", "<none>"]     # no status: nothing scaled it
    assert re.fullmatch(r"\d+s", row[6])

    _, out, _ = karmadactl("get", "cronfhpa", "-A")
    header, row = rows(out)
    assert header == ["NAMESPACE", "NAME", "REFERENCE-KIND", "REFERENCE-NAME", "AGE"]
    assert row[:4] == ["shop", "nightly", "Deployment", "web"]

    _, out, _ = karmadactl("get", "federatedresourcequotas", "-n", "shop")
    # acted on: the status controller copies spec.overall at once; nothing is used without members
    assert rows(out) == [["NAME", "OVERALL", "OVERALL_USED"], ["team", '{"cpu":"10","memory":"20Gi"}', "<none>"]]

    _, out, _ = karmadactl("get", "svcim", "-n", "shop")
    header, row = rows(out)
    assert header == ["NAME", "TYPE", "IP", "AGE"]
    assert row[:3] == ["web", "ClusterSetIP", '["10.96.0.40"]']            # a list prints as JSON

    for typed, ns in (("mcs", ["-n", "shop"]), ("workloadrebalancers", [])):
        _, out, _ = karmadactl("get", typed, *ns)
        assert rows(out)[0] == ["NAME", "AGE"]


def test_printer_cells_render_maps_as_compact_sorted_json():
    """The apiserver renders a map or list column with encoding/json (keys sorted, no spaces)."""
    from karmadactl.cli.get import printer_columns

    columns = printer_columns(("OVERALL", ".status.overall", "string"), ("MIN", ".spec.minReplicas", "integer"))
    frq = {"metadata": {"name": "team"}, "spec": {"minReplicas": "3"},
           "status": {"overall": {"memory": "20Gi", "cpu": "10"}}}
    assert columns.headers == ("NAME", "OVERALL", "MIN")
    assert columns.row(frq) == ["team", '{"cpu":"10","memory":"20Gi"}', "<none>"]


def test_frq_has_no_short_name_in_karmada(store):
    """Karmada's FederatedResourceQuota marker declares no shortName
    (pkg/apis/policy/v1alpha1/federatedresourcequota_types.go), so `frq` is not a resource type."""
    code, _, err = karmadactl("get", "frq")
    assert code == 2 and 'doesn\'t have a resource type "frq"' in err


def test_delete_by_file_removes_them(store):
    path = write(store, "quota.yaml", FRQ, FHPA, REMEDY)
    assert karmadactl("apply", "-f", path)[0] == 0
    code, out, err = karmadactl("delete", "-f", path)
    assert code == 0, err
    assert out.splitlines()[:3] == ["federatedresourcequota.policy.karmada.io/team deleted",
                                    "federatedhpa.autoscaling.karmada.io/web deleted",
                                    "remedy.remedy.karmada.io/dns deleted"]
    code, out, _ = karmadactl("export")
    assert yaml.safe_load(out)["items"] == []


def test_kinds_karmadactl_acts_on_get_no_warning(store):
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},
                  "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                           "template": {"metadata": {"labels": {"app": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx"}]}}}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "web", "namespace": "shop"},
              "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}}
    taints = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "ClusterTaintPolicy",
              "metadata": {"name": "not-ready"},
              "spec": {"addOnConditions": [{"conditionType": "Ready", "operator": "In", "statusValues": ["False"]}],
                       "taints": [{"key": "example.com/not-ready", "effect": "NoSchedule"}]}}
    code, _, err = karmadactl("apply", "-f", write(store, "acted.yaml", deployment, policy, taints))
    assert code == 0, err
    assert "does not act on" not in err
    code, _, err = karmadactl("apply", "-f", write(store, "mixed.yaml", deployment, FHPA, CRON, REMEDY, FHPA))
    assert [line for line in err.splitlines() if "does not act on" in line] == [
        "warning: Remedy is stored but karmadactl does not act on it yet"]


def test_unknown_karmada_kind_is_refused_and_nothing_is_stored(store):
    """Karmada's API server serves no such kind, so nothing of the apply is stored."""
    path = write(store, "typo.yaml", FRQ, {"apiVersion": "policy.karmada.io/v1alpha1",
                                           "kind": "FederatedResourceQuotas",
                                           "metadata": {"name": "team", "namespace": "shop"}, "spec": {}})
    code, out, err = karmadactl("apply", "-f", path)
    assert code == 1 and out == ""
    assert err.strip() == (f'error: {path} (document 2): FederatedResourceQuotas team: kind: no kind '
                           '"FederatedResourceQuotas" is known in version "policy.karmada.io/v1alpha1"')
    assert len(err.strip().splitlines()) == 1
    code, out, _ = karmadactl("export")
    assert yaml.safe_load(out)["items"] == []


def test_templates_of_kinds_without_a_crd_can_be_listed_and_deleted(store):
    """A custom resource whose CRD lives only in the members is a template like any other."""
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1", "namespace": "shop"},
              "spec": {"size": 3}}
    assert karmadactl("apply", "-f", write(store, "widget.yaml", widget))[0] == 0
    for typed in ("widgets", "widget", "Widget", "widgets.example.com"):
        code, out, err = karmadactl("get", typed, "-n", "shop")
        assert code == 0, err
        assert rows(out) == [["NAME", "AGE"], ["w1", rows(out)[1][1]]]
    code, out, err = karmadactl("describe", "widget", "w1", "-n", "shop")
    assert code == 0 and "Kind:" in out and "does not act on" not in err
    code, out, _ = karmadactl("delete", "widget", "w1", "-n", "shop")
    assert code == 0 and out.splitlines()[0] == "widget.example.com/w1 deleted"
    code, _, err = karmadactl("get", "widgets", "-n", "shop")    # nothing stored, no CRD: unknown again
    assert code == 2 and 'resource type "widgets"' in err


def test_builtin_kinds_not_yet_applied_still_list_nothing(store):
    for typed in ("deploy", "cronjobs", "hpa", "svc"):
        code, out, err = karmadactl("get", typed, "-A")
        assert (code, out) == (0, ""), err
        assert "No resources found" in err


def test_completion_offers_the_kinds(tmp_path):
    import shutil
    import subprocess

    if not shutil.which("bash"):
        pytest.skip("bash is not installed")
    _, script, _ = karmadactl("completion", "bash")
    (tmp_path / "c.bash").write_text(script)
    probe = ""
    for command in ("get", "describe", "delete"):
        probe += f'COMP_WORDS=(karmadactl {command} f); COMP_CWORD=2; _karmadactl; echo "${{COMPREPLY[*]}}"; '
    lines = subprocess.run(["bash", "-c", "source c.bash; " + probe], cwd=tmp_path, capture_output=True,
                           text=True).stdout.splitlines()
    assert len(lines) == 3
    for line in lines:
        assert {"fhpa", "federatedhpas", "federatedresourcequotas"} <= set(line.split())


SERVICE_EXPORT_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "serviceexports.multicluster.x-k8s.io"},
    "spec": {"group": "multicluster.x-k8s.io", "scope": "Namespaced",
             "names": {"plural": "serviceexports", "singular": "serviceexport", "kind": "ServiceExport",
                       "shortNames": ["svcex"]},
             "versions": [{"name": "v1alpha1", "served": True, "storage": True,
                           "schema": {"openAPIV3Schema": {"type": "object",
                                                          "x-kubernetes-preserve-unknown-fields": True}}}]}}


def test_on_members_only_the_service_export_template_arrives(store, members, member_client):
    """What the README promises on a member: a ServiceExport claimed by a policy is pushed as an ordinary
    template; a FederatedHPA changes nothing there (a FederatedResourceQuota's ResourceQuotas:
    tests/integration/test_quota_rebalancer.py)."""
    from kubernetes import client as k8s
    from kubernetes.client.exceptions import ApiException

    member1 = members[0]
    api = member_client(member1)
    crds = k8s.ApiextensionsV1Api(api)
    try:
        crds.create_custom_resource_definition(SERVICE_EXPORT_CRD)
    except ApiException as e:
        if e.status != 409:
            raise
    ns = "kinds-h8"
    export = {**EXPORT, "metadata": {"name": "web", "namespace": ns}}
    fhpa = {**FHPA, "metadata": {"name": "web", "namespace": ns}}
    policy = {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
              "metadata": {"name": "exports", "namespace": ns},
              "spec": {"resourceSelectors": [{"apiVersion": "multicluster.x-k8s.io/v1alpha1",
                                              "kind": "ServiceExport"}],
                       "placement": {"clusterAffinity": {"clusterNames": ["member1"]}}}}
    path = write(store, "mcs.yaml", export, policy, fhpa)
    try:
        code, _, err = karmadactl("join", member1.name, "--kubeconfig", str(member1.kubeconfig_path))
        assert code == 0, err
        code, out, err = karmadactl("apply", "-f", path)
        assert code == 0, err
        assert "member1: 1 created" in out
        assert "ServiceExport is stored but karmadactl does not act on it" not in err

        pushed = k8s.CustomObjectsApi(api).get_namespaced_custom_object(
            "multicluster.x-k8s.io", "v1alpha1", ns, "serviceexports", "web")
        assert pushed["metadata"]["labels"]["karmada.io/managed"] == "true"
        code, out, _ = karmadactl("get", "svcex", "web", "-n", ns, "--scope", "members")
        assert code == 0 and rows(out)[1][:2] == ["web", "member1"]
    finally:
        karmadactl("delete", "-f", path, "--ignore-not-found")
        karmadactl("unjoin", member1.name, "--force")
        crds.delete_custom_resource_definition(SERVICE_EXPORT_CRD["metadata"]["name"])


def test_a_crd_in_the_store_prints_its_own_columns(store):
    """kubectl prints a custom resource with its CRD's additionalPrinterColumns (upper-cased; priority above 0
    only with -o wide), and NAME, AGE when the CRD declares none."""
    crd = {"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
           "metadata": {"name": "gateways.net.example.com"},
           "spec": {"group": "net.example.com", "scope": "Namespaced",
                    "names": {"plural": "gateways", "singular": "gateway", "kind": "Gateway", "shortNames": ["gw"]},
                    "versions": [{"name": "v1", "served": True, "storage": True,
                                  "schema": {"openAPIV3Schema": {"type": "object",
                                                                 "x-kubernetes-preserve-unknown-fields": True}},
                                  "additionalPrinterColumns": [
                                      {"name": "Class", "type": "string", "jsonPath": ".spec.className"},
                                      {"name": "Http", "type": "integer",
                                       "jsonPath": '.spec.listeners[?(@.name=="http")].port'},
                                      {"name": "Hosts", "type": "string", "jsonPath": ".spec.hosts", "priority": 1},
                                      {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"}]}]}}
    gateway = {"apiVersion": "net.example.com/v1", "kind": "Gateway", "metadata": {"name": "edge", "namespace": "shop"},
               "spec": {"className": "public", "hosts": ["a.example.com", "b.example.com"],
                        "listeners": [{"name": "https", "port": 443}, {"name": "http", "port": 80}]}}
    code, _, err = karmadactl("apply", "-f", write(store, "gw.yaml", crd, gateway))
    assert code == 0, err
    _, out, _ = karmadactl("get", "gw", "-n", "shop")
    header, row = rows(out)
    assert header == ["NAME", "CLASS", "HTTP", "AGE"] and row[:3] == ["edge", "public", "80"]
    _, out, _ = karmadactl("get", "gateways", "-n", "shop", "-o", "wide")
    header, row = rows(out)
    assert header == ["NAME", "CLASS", "HTTP", "HOSTS", "AGE"]
    assert row[3] == '["a.example.com","b.example.com"]'
