"""/openapi/v3 of a sandbox member: kube-openapi's index and per-group/version documents with schemas.

What kubectl reads is decided in kubernetes/kubernetes
staging/src/k8s.io/kubectl/pkg/explain/v2/explain.go (the index's paths, then the group/version
document as JSON) and .../explain/v2/templates/plaintext.tmpl (an operation's
x-kubernetes-group-version-kind, then the components.schemas entry carrying the same GVK).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest

from karmadactl.sandbox.member import Member
from karmadactl.sandbox.openapi import _references, convert

WIDGET_CRD = {
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {"group": "example.com", "scope": "Namespaced",
             "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "shortNames": ["wd"]},
             "versions": [{"name": "v1", "served": True, "storage": True, "schema": {"openAPIV3Schema": {
                 "type": "object", "properties": {"spec": {"type": "object", "description": "What a widget wants.",
                                                           "properties": {"size": {
                                                               "type": "integer",
                                                               "description": "How big the widget is."}}}}}}}]}}


def test_index_names_each_group_version_with_a_server_relative_url(raw):
    status, _, index = raw("GET", "/openapi/v3")
    assert status == 200
    assert index["paths"]["apis/apps/v1"]["serverRelativeURL"].startswith("/openapi/v3/apis/apps/v1?hash=")
    assert "api/v1" in index["paths"]


def test_group_version_document_marks_the_kind_schema_and_resolves_every_ref(raw):
    status, _, doc = raw("GET", "/openapi/v3/apis/apps/v1")
    assert status == 200
    schemas = doc["components"]["schemas"]
    deployment = schemas["io.k8s.api.apps.v1.Deployment"]
    assert deployment["x-kubernetes-group-version-kind"] == [{"group": "apps", "kind": "Deployment",
                                                              "version": "v1"}]
    assert deployment["description"].startswith("Deployment enables declarative updates")
    # a property naming another type: allOf [$ref] beside its own description, as kube-openapi writes it
    assert deployment["properties"]["spec"]["allOf"] == [
        {"$ref": "#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec"}]
    assert schemas["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]["type"] == "integer"
    refs: set[str] = set()
    for schema in schemas.values():
        _references(schema, refs)
    assert refs and refs <= set(schemas)       # every reference resolves inside the document
    # the PATCH operations kubectl apply reads for fieldValidation are still there
    assert any("patch" in ops for ops in doc["paths"].values())


def test_unknown_group_version_is_404(raw):
    status, _, _ = raw("GET", "/openapi/v3/apis/nope.example.com/v1")
    assert status == 404


def test_convert_drops_null_from_type_unions_and_keeps_one_of():
    assert convert({"type": ["string", "null"]}) == {"type": "string"}
    assert convert({"oneOf": [{"type": ["string", "null"]}, {"type": ["integer", "null"]}]}) == {
        "oneOf": [{"type": "string"}, {"type": "integer"}]}
    assert convert({"$ref": "#/$defs/a.B"}) == {"$ref": "#/components/schemas/a.B"}


@pytest.fixture
def tls_member(tmp_path):
    # kubectl sends bearer tokens only over TLS, so this member serves https
    m = Member("explain", nodes=1, settle_delay=0.02, tls=True)
    m.start()
    m.kubeconfig_path = tmp_path / "kubeconfig"
    m.write_kubeconfig(m.kubeconfig_path)
    yield m
    m.stop()


def _kubectl(member, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "--kubeconfig", str(member.kubeconfig_path), *args],
                          capture_output=True, text=True, timeout=60)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_explain_against_a_sandbox_member(tls_member):
    got = _kubectl(tls_member, "explain", "deployment.spec")
    assert got.returncode == 0, got.stderr
    lines = got.stdout.splitlines()
    assert lines[:3] == ["GROUP:      apps", "KIND:       Deployment", "VERSION:    v1"]
    assert "FIELD: spec <DeploymentSpec>" in lines
    assert "  replicas\t<integer>" in lines
    assert "  selector\t<LabelSelector> -required-" in lines
    quantities = _kubectl(tls_member, "explain", "pods.spec.containers.resources")
    assert quantities.returncode == 0, quantities.stderr
    assert "  limits\t<map[string]Quantity>" in quantities.stdout.splitlines()
    missing = _kubectl(tls_member, "explain", "deployment.spec.nope")
    assert missing.returncode != 0
    assert 'field "nope" does not exist' in missing.stderr


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kubectl_explain_a_custom_resource(tls_member, tmp_path):
    import json

    crd = tmp_path / "crd.json"
    crd.write_text(json.dumps(WIDGET_CRD))
    created = _kubectl(tls_member, "create", "-f", str(crd))
    assert created.returncode == 0, created.stderr
    got = _kubectl(tls_member, "explain", "widgets.spec")
    assert got.returncode == 0, got.stderr
    assert "KIND:       Widget" in got.stdout
    assert "  size\t<integer>" in got.stdout.splitlines()
    assert "How big the widget is." in got.stdout
