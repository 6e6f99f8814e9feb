"""Members' objects through the store's lens: get -s members for any kind, describe -s members,
api-resources and explain, against sandbox members over HTTP(S)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from karmadactl.sandbox.member import Member
from tests.conftest import isolated_home, run_cli

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.lens.example.com"},
    "spec": {"group": "lens.example.com", "scope": "Namespaced",
             "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "shortNames": ["gdg"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "properties": {
                     "size": {"type": "integer", "description": "How big the gadget is."}}}}}}}]}}


def rows(stdout: str) -> list[list[str]]:
    return [re.split(r"\s{2,}", line.strip()) for line in stdout.splitlines() if line.strip()]


def ok(*args: str):
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result


@pytest.fixture(scope="module")
def lens(tmp_path_factory):
    """Two members joined into one store: lens1 serves https (so kubectl sends its token), lens2 http.
    Each has a Pod `web` with an event of its own; only lens1 has the Gadget CRD and a gadget."""
    from kubernetes import client as k
    from kubernetes.config import new_client_from_config_dict

    folder = tmp_path_factory.mktemp("lens")
    started = [Member("lens1", nodes=2, settle_delay=0.02, tls=True), Member("lens2", nodes=1, settle_delay=0.02)]
    with isolated_home(str(folder / "home")):
        try:
            for m in started:
                m.start()
                m.kubeconfig_path = folder / f"{m.name}.kubeconfig"
                m.write_kubeconfig(m.kubeconfig_path)
                ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path))
                api = new_client_from_config_dict(m.kubeconfig(), persist_config=False)
                core = k.CoreV1Api(api)
                pod = core.create_namespaced_pod("default", {
                    "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "web", "labels": {"app": "web"}},
                    "spec": {"containers": [{"name": "c", "image": "nginx"}]}})
                core.create_namespaced_event("default", {
                    "apiVersion": "v1", "kind": "Event", "metadata": {"name": "web.1"},
                    "involvedObject": {"kind": "Pod", "name": "web", "namespace": "default",
                                       "uid": pod.metadata.uid, "apiVersion": "v1"},
                    "reason": "Pulled", "message": f"image pulled on {m.name}", "type": "Normal",
                    "source": {"component": "kubelet"}, "count": 3,
                    "firstTimestamp": "2026-01-01T00:00:00Z", "lastTimestamp": "2026-01-01T00:05:00Z"})
                if m.name == "lens1":
                    k.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
                    k.CustomObjectsApi(api).create_namespaced_custom_object(
                        "lens.example.com", "v1", "default", "gadgets",
                        {"apiVersion": "lens.example.com/v1", "kind": "Gadget", "metadata": {"name": "g1"},
                         "spec": {"size": 3}})
                api.close()
            yield {m.name: m for m in started}
        finally:
            for m in started:
                m.stop()


# -- get -s members ------------------------------------------------------------------------------

def test_get_pods_nodes_and_events_from_members_with_kubectls_columns(lens):
    pods = rows(ok("get", "pods", "-s", "members").stdout)
    assert pods[0] == ["NAME", "CLUSTER", "READY", "STATUS", "RESTARTS", "AGE"]
    assert [r[:2] for r in pods[1:]] == [["web", "lens1"], ["web", "lens2"]]
    nodes = rows(ok("get", "nodes", "-s", "members").stdout)
    # kubectl's node columns (pkg/printers/internalversion/printers.go: nodeColumnDefinitions)
    assert nodes[0] == ["NAME", "CLUSTER", "STATUS", "ROLES", "AGE", "VERSION", "ADOPTION"]
    assert sorted(r[1] for r in nodes[1:]) == ["lens1", "lens1", "lens2"]
    assert all(r[2] == "Ready" for r in nodes[1:])
    # events: kubectl's LAST SEEN TYPE REASON OBJECT MESSAGE (kubernetes/kubernetes
    # pkg/printers/internalversion/printers.go, printEvent); no NAME column, so CLUSTER comes first
    events = rows(ok("get", "events", "-s", "members").stdout)
    assert events[0][:6] == ["CLUSTER", "LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
    assert [(r[0], r[3], r[4], r[5]) for r in events[1:]] == [
        ("lens1", "Pulled", "pod/web", "image pulled on lens1"),
        ("lens2", "Pulled", "pod/web", "image pulled on lens2")]


def test_get_a_kind_only_a_member_serves_is_found_through_its_discovery(lens):
    # no CRD for gadgets in the store: the members' discovery knows the kind (and its short name)
    got = ok("get", "gdg", "-s", "members")
    assert [r[:2] for r in rows(got.stdout)] == [["NAME", "CLUSTER"], ["g1", "lens1"]]
    unknown = run_cli("get", "nosuchthings", "-s", "members")
    assert unknown.returncode == 2
    assert 'resource type "nosuchthings"' in unknown.stderr
    # the store's own scope does not ask the members
    assert run_cli("get", "gdg").returncode == 2


# -- describe -s members -------------------------------------------------------------------------

def test_describe_members_prints_one_block_per_cluster_with_that_members_events(lens):
    got = ok("describe", "pod", "web", "-s", "members")
    blocks = got.stdout.split("\nCluster:")
    assert len(blocks) == 2
    first, second = blocks[0], "Cluster:" + blocks[1]
    assert first.startswith("Cluster:      lens1\nName:         web\nNamespace:    default\n")
    assert "Labels:       app=web" in first
    assert "Image:  nginx" in first
    # kubectl describe: lastTimestamp (x count over the first time), From = source.component
    # (kubernetes/kubernetes staging/src/k8s.io/kubectl/pkg/describe/describe.go, DescribeEvents)
    assert re.search(r"Normal\s+Pulled\s+\S+ \(x3 over \S+\)\s+kubelet\s+image pulled on lens1", first)
    assert "lens2" not in first
    assert "image pulled on lens2" in second and "image pulled on lens1" not in second
    only = ok("describe", "pod", "web", "-s", "members", "-C", "lens2")
    assert only.stdout.startswith("Cluster:      lens2\n") and "lens1" not in only.stdout


def test_describe_members_of_a_missing_object_is_not_found(lens):
    got = run_cli("describe", "pod", "nope", "-s", "members")
    assert got.returncode == 1
    assert got.stderr.strip() == 'error: pods "nope" not found in namespace "default" in any member cluster'
    assert run_cli("describe", "pod", "web", "-C", "lens1").returncode == 2     # -C needs -s members


# -- api-resources -------------------------------------------------------------------------------

def test_api_resources_of_a_member_and_of_the_store(lens):
    got = rows(ok("api-resources", "-C", "lens1").stdout)
    assert got[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"]
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment"] in got
    assert ["gadgets", "gdg", "lens.example.com/v1", "true", "Gadget"] in got
    other = ok("api-resources", "-C", "lens2").stdout
    assert "gadgets" not in other
    names = ok("api-resources", "-C", "lens1", "-o", "name", "--namespaced=false").stdout.split()
    assert "nodes" in names and "pods" not in names
    wide = rows(ok("api-resources", "-C", "lens1", "-o", "wide", "--api-group", "apps").stdout)
    assert wide[0] == ["NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND", "VERBS", "CATEGORIES"]
    assert len(wide) > 3 and all("apps/v1" in r for r in wide[1:])      # that group only
    assert ["deployments", "deploy", "apps/v1", "true", "Deployment",
            "create,delete,deletecollection,get,list,patch,update,watch", "all"] in wide
    store = rows(ok("api-resources").stdout)
    assert ["propagationpolicies", "pp", "policy.karmada.io/v1alpha1", "true", "PropagationPolicy"] in store
    assert ["configmaps", "cm", "v1", "true", "ConfigMap"] in store
    assert not any(r[0] == "gadgets" for r in store)          # the CRD lives only in lens1


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_api_resources_prints_what_kubectl_prints(lens):
    kubectl = subprocess.run(["kubectl", "--kubeconfig", str(lens["lens1"].kubeconfig_path), "api-resources"],
                             capture_output=True, text=True, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr
    assert ok("api-resources", "-C", "lens1").stdout == kubectl.stdout


# -- explain -------------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("args", [["deployment"], ["deployment.spec"], ["pods.spec.containers"],
                                  ["svc.spec.type"], ["deploy.spec.strategy", "--recursive"],
                                  ["gadgets.spec"]])
def test_explain_prints_what_kubectl_explain_prints(lens, args):
    # the same /openapi/v3 document, laid out as kubectl's template does it
    # (kubernetes/kubernetes staging/src/k8s.io/kubectl/pkg/explain/v2/templates/plaintext.tmpl)
    kubectl = subprocess.run(["kubectl", "--kubeconfig", str(lens["lens1"].kubeconfig_path), "explain", *args],
                             capture_output=True, text=True, timeout=60)
    assert kubectl.returncode == 0, kubectl.stderr
    assert ok("explain", *args, "-C", "lens1").stdout == kubectl.stdout


def test_explain_fields_and_errors(lens):
    got = ok("explain", "deploy.spec.replicas", "-C", "lens2").stdout
    assert got.splitlines()[:5] == ["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1", "",
                                    "FIELD: replicas <integer>"]
    pinned = ok("explain", "deployments", "--api-version", "apps/v1", "-C", "lens2").stdout
    assert pinned.startswith("GROUP:      apps\nKIND:       Deployment\nVERSION:    v1\n\nDESCRIPTION:\n")
    assert run_cli("explain", "deployments", "--api-version", "apps/v2", "-C", "lens2").returncode == 1
    missing = run_cli("explain", "deploy.spec.nope", "-C", "lens2")
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'error: field "nope" does not exist'
    unknown = run_cli("explain", "gadgets", "-C", "lens2")       # lens2 has no such CRD
    assert unknown.returncode == 1
    assert 'cluster lens2: the server doesn\'t have a resource type "gadgets"' in unknown.stderr


# -- an unreachable member -----------------------------------------------------------------------

def test_an_unreachable_member_is_named_while_the_others_print(lens, tmp_path):
    down = Member("lens0", nodes=1)        # first by name: explain without -C meets it first
    down.start()
    config = tmp_path / "lens0.kubeconfig"
    down.write_kubeconfig(config)
    ok("join", "lens0", "--kubeconfig", str(config))
    down.stop()
    try:
        got = run_cli("get", "pods", "-s", "members")
        assert got.returncode == 3
        assert [r[:2] for r in rows(got.stdout)[1:]] == [["web", "lens1"], ["web", "lens2"]]
        assert got.stderr.startswith("error: cluster lens0: ")
        described = run_cli("describe", "pod", "web", "-s", "members")
        assert described.returncode == 3
        assert described.stdout.count("Cluster:") == 2
        assert described.stderr.strip().splitlines() == [
            line for line in described.stderr.strip().splitlines() if line.startswith("error: cluster lens0: ")]
        # explain -C of a member that does not answer: one line naming it
        alone = run_cli("explain", "pods", "-C", "lens0")
        assert alone.returncode == 1 and alone.stderr.startswith("error: cluster lens0: ")
        # without -C the next cluster by name answers, after a warning naming the silent one
        skipped = run_cli("explain", "pods")
        assert skipped.returncode == 0, skipped.stderr
        assert skipped.stdout.startswith("KIND:       Pod\n")
        assert skipped.stderr.startswith("warning: cluster lens0: ")
    finally:
        ok("unjoin", "lens0", "--force")
