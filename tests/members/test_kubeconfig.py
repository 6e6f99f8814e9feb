"""Kubeconfig loading and merging, as kubectl does it; errors name the file and field."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
import yaml

from karmadactl.errors import InvalidInput
from karmadactl.members.kubeconfig import Kubeconfig, describe_user, load_kubeconfig

TOKEN = "s3cr3t-token-value-0123456789"


def write(path: Path, doc: dict | str) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else yaml.safe_dump(doc))
    return str(path)


def config(*, clusters=(), users=(), contexts=(), current: str | None = None) -> dict:
    doc = {
        "apiVersion": "v1", "kind": "Config",
        "clusters": [{"name": n, "cluster": c} for n, c in clusters],
        "users": [{"name": n, "user": u} for n, u in users],
        "contexts": [{"name": n, "context": c} for n, c in contexts],
    }
    if current is not None:
        doc["current-context"] = current
    return doc


def simple(name: str, server: str, user: dict | None = None, current: bool = True) -> dict:
    return config(clusters=[(name, {"server": server})], users=[(name, user or {"token": TOKEN})],
                  contexts=[(name, {"cluster": name, "user": name})],
                  current=name if current else None)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def error_of(*args, **kwargs) -> str:
    with pytest.raises(InvalidInput) as info:
        load_kubeconfig(*args, **kwargs)
    message = str(info.value)
    assert "\n" not in message
    return message


# -- finding and merging files ------------------------------------------------------------

def test_explicit_path_and_current_context(tmp_path):
    path = write(tmp_path / "kc", simple("kind-a", "https://a.example:6443/"))
    kc = load_kubeconfig(path)
    assert (kc.context, kc.server, kc.cluster_name) == ("kind-a", "https://a.example:6443", "kind-a")
    assert kc.source == path
    assert kc.user == {"token": TOKEN}


def test_default_is_home_kube_config(tmp_path):
    write(tmp_path / "home" / ".kube" / "config", simple("home", "https://home:6443"))
    assert load_kubeconfig().context == "home"


def test_kubeconfig_env_first_file_wins_for_each_name(tmp_path, monkeypatch):
    first = config(clusters=[("shared", {"server": "https://first:6443"})],
                   users=[("u", {"token": "first-token-000"})],
                   contexts=[("ctx", {"cluster": "shared", "user": "u"})])
    second = config(clusters=[("shared", {"server": "https://second:6443"}),
                              ("only2", {"server": "https://only2:6443"})],
                    users=[("u", {"token": "second-token-00"})],
                    contexts=[("ctx", {"cluster": "only2", "user": "u"}),
                              ("other", {"cluster": "shared", "user": "u"})],
                    current="other")
    a, b = write(tmp_path / "a.yaml", first), write(tmp_path / "b.yaml", second)
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, "", str(tmp_path / "missing"), b]))
    kc = load_kubeconfig()
    # current-context comes from the first file that sets it (b); the context "other"
    # names cluster "shared", which the first file defines.
    assert kc.context == "other"
    assert kc.server == "https://first:6443"
    assert kc.user == {"token": "first-token-000"}
    # "ctx" is defined by both files: a's definition wins.
    assert load_kubeconfig(context="ctx").server == "https://first:6443"
    assert kc.source == os.environ["KUBECONFIG"]
    # the source of a merged load can be given back as the path
    assert load_kubeconfig(kc.source, "ctx").server == "https://first:6443"


def test_current_context_from_first_file_that_sets_it(tmp_path, monkeypatch):
    a = write(tmp_path / "a", simple("alpha", "https://alpha:6443", current=False))
    b = write(tmp_path / "b", simple("beta", "https://beta:6443"))
    c = write(tmp_path / "c", simple("gamma", "https://gamma:6443"))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, b, c]))
    assert load_kubeconfig().context == "beta"


def test_relative_paths_resolved_against_their_own_file(tmp_path, monkeypatch):
    for name in ("ca.crt", "client.crt", "client.key", "token"):
        (tmp_path / "certs" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "certs" / name).write_text(name)
    first = config(clusters=[("c", {"server": "https://c:6443",
                                    "certificate-authority": "../certs/ca.crt"})],
                   contexts=[("ctx", {"cluster": "c", "user": "u"})], current="ctx")
    second = config(users=[("u", {"client-certificate": "certs/client.crt",
                                  "client-key": "certs/client.key",
                                  "tokenFile": "certs/token",
                                  "exec": {"apiVersion": "client.authentication.k8s.io/v1",
                                           "command": "./bin/plugin"}})])
    a = write(tmp_path / "sub" / "a", first)
    b = write(tmp_path / "b", second)
    monkeypatch.chdir("/")
    kc = load_kubeconfig(os.pathsep.join([a, b]))
    assert kc.cluster["certificate-authority"] == str(tmp_path / "certs" / "ca.crt")
    assert kc.user["client-certificate"] == str(tmp_path / "certs" / "client.crt")
    assert kc.user["client-key"] == str(tmp_path / "certs" / "client.key")
    assert kc.user["tokenFile"] == str(tmp_path / "certs" / "token")
    assert kc.user["exec"]["command"] == str(tmp_path / "bin" / "plugin")
    minimal = kc.minimal()
    assert minimal["clusters"][0]["cluster"]["certificate-authority"] == str(tmp_path / "certs" / "ca.crt")


def test_exec_command_without_slash_is_left_to_path_lookup(tmp_path):
    user = {"exec": {"apiVersion": "client.authentication.k8s.io/v1beta1", "command": "aws",
                     "args": ["eks", "get-token"]}}
    kc = load_kubeconfig(write(tmp_path / "kc", simple("eks", "https://eks:443", user)))
    assert kc.user["exec"]["command"] == "aws"
    assert describe_user(kc.user) == "exec plugin aws"


# -- errors --------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    path = str(tmp_path / "nope")
    assert error_of(path) == f"kubeconfig {path}: cannot read: No such file or directory"


def test_kubeconfig_env_with_only_missing_files(tmp_path, monkeypatch):
    value = os.pathsep.join([str(tmp_path / "x"), str(tmp_path / "y")])
    monkeypatch.setenv("KUBECONFIG", value)
    assert error_of() == f"kubeconfig {value}: cannot read: No such file or directory"


def test_not_yaml_names_the_line(tmp_path):
    path = write(tmp_path / "kc", "apiVersion: v1\nkind: Config\ncurrent-context: a: b\n")
    assert error_of(path) == f"kubeconfig {path}: not valid YAML (line 3)"


def test_unknown_context_lists_the_known_ones(tmp_path):
    doc = simple("b", "https://b:6443")
    doc["contexts"].insert(0, {"name": "a", "context": {"cluster": "b", "user": "b"}})
    path = write(tmp_path / "kc", doc)
    assert error_of(path, "foo") == f'kubeconfig {path}: context "foo" not found (contexts: a, b)'


def test_context_naming_an_unknown_cluster(tmp_path):
    doc = simple("a", "https://a:6443")
    doc["contexts"][0]["context"]["cluster"] = "c"
    path = write(tmp_path / "kc", doc)
    assert error_of(path) == f'kubeconfig {path}: contexts[0].context.cluster "c" not found'


def test_context_naming_an_unknown_user(tmp_path):
    doc = simple("a", "https://a:6443")
    doc["contexts"][0]["context"]["user"] = "ghost"
    path = write(tmp_path / "kc", doc)
    assert error_of(path) == f'kubeconfig {path}: contexts[0].context.user "ghost" not found'


def test_no_current_context(tmp_path):
    path = write(tmp_path / "kc", simple("a", "https://a:6443", current=False))
    assert error_of(path) == f"kubeconfig {path}: no current-context; pass --context"
    assert load_kubeconfig(path, "a").context == "a"


def test_empty_file_has_no_current_context(tmp_path):
    path = write(tmp_path / "kc", "")
    assert error_of(path) == f"kubeconfig {path}: no current-context; pass --context"


def test_cluster_without_server(tmp_path):
    doc = simple("a", "https://a:6443")
    del doc["clusters"][0]["cluster"]["server"]
    path = write(tmp_path / "kc", doc)
    assert error_of(path) == f"kubeconfig {path}: clusters[0].cluster.server missing"


def test_unreadable_client_key_names_the_value_as_written(tmp_path):
    (tmp_path / "c.pem").write_text("cert")
    doc = simple("a", "https://a:6443", {"client-certificate": "c.pem", "client-key": "k.pem"})
    doc["users"].insert(0, {"name": "other", "user": {}})
    doc["users"][0], doc["users"][1] = doc["users"][1], doc["users"][0]
    path = write(tmp_path / "kc", doc)
    assert error_of(path) == f'kubeconfig {path}: users[0].user.client-key "k.pem" cannot be read'


def test_missing_file_is_fine_when_data_is_inline(tmp_path):
    user = {"client-certificate": "gone.pem", "client-certificate-data": "Y2VydA==",
            "client-key-data": "a2V5"}
    kc = load_kubeconfig(write(tmp_path / "kc", simple("a", "https://a:6443", user)))
    embedded = kc.embedded()["users"][0]["user"]
    assert embedded == {"client-certificate-data": "Y2VydA==", "client-key-data": "a2V5"}


def test_error_names_the_file_that_defines_the_entry(tmp_path, monkeypatch):
    a = write(tmp_path / "a", config(contexts=[("ctx", {"cluster": "c", "user": "u"})],
                                     current="ctx"))
    b = write(tmp_path / "b", config(clusters=[("c", {"server": "https://c:6443"})],
                                     users=[("x", {}), ("u", {"tokenFile": "tok"})]))
    monkeypatch.setenv("KUBECONFIG", os.pathsep.join([a, b]))
    assert error_of() == f'kubeconfig {b}: users[1].user.tokenFile "tok" cannot be read'


# -- minimal, embedded, repr -----------------------------------------------------------------

@pytest.fixture
def with_files(tmp_path) -> Kubeconfig:
    files = {"ca.crt": b"CA-BYTES", "client.crt": b"CERT-BYTES", "client.key": b"KEY-BYTES",
             "token": (TOKEN + "\n").encode()}
    for name, data in files.items():
        (tmp_path / "pki" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "pki" / name).write_bytes(data)
    doc = config(clusters=[("prod", {"server": "https://prod:6443",
                                     "certificate-authority": "pki/ca.crt"})],
                 users=[("admin", {"client-certificate": "pki/client.crt",
                                   "client-key": "pki/client.key", "tokenFile": "pki/token"})],
                 contexts=[("prod-admin", {"cluster": "prod", "user": "admin",
                                           "namespace": "web"})],
                 current="prod-admin")
    return load_kubeconfig(write(tmp_path / "kc", doc))


def test_minimal_keeps_only_the_context(with_files, tmp_path):
    minimal = with_files.minimal()
    assert minimal["current-context"] == "prod-admin"
    assert minimal["contexts"] == [{"name": "prod-admin", "context": {
        "cluster": "prod", "user": "admin", "namespace": "web"}}]
    assert [c["name"] for c in minimal["clusters"]] == ["prod"]
    assert minimal["users"][0]["user"]["client-key"] == str(tmp_path / "pki" / "client.key")
    # it is a standalone kubeconfig: loading it gives the same context back
    path = write(tmp_path / "elsewhere" / "kc", minimal)
    again = load_kubeconfig(path)
    assert (again.context, again.server, again.user) == ("prod-admin", "https://prod:6443",
                                                         with_files.user)


def test_embedded_inlines_files_and_works_without_them(with_files, tmp_path):
    embedded = with_files.embedded()
    cluster = embedded["clusters"][0]["cluster"]
    user = embedded["users"][0]["user"]
    assert base64.b64decode(cluster["certificate-authority-data"]) == b"CA-BYTES"
    assert "certificate-authority" not in cluster
    assert base64.b64decode(user["client-certificate-data"]) == b"CERT-BYTES"
    assert base64.b64decode(user["client-key-data"]) == b"KEY-BYTES"
    assert user["token"] == TOKEN
    assert set(user) == {"client-certificate-data", "client-key-data", "token"}
    for name in ("ca.crt", "client.crt", "client.key", "token"):
        (tmp_path / "pki" / name).unlink()
    kc = Kubeconfig.from_dict(embedded, source="store secret prod")
    assert kc.user == user and kc.context == "prod-admin"


def test_embedded_reports_a_file_that_vanished(with_files, tmp_path):
    (tmp_path / "pki" / "client.key").unlink()
    with pytest.raises(InvalidInput) as info:
        with_files.embedded()
    assert str(info.value) == (f'kubeconfig {tmp_path / "kc"}: users[0].user.client-key '
                               f'"pki/client.key" cannot be read')


def test_embedded_keeps_exec_plugins(tmp_path):
    exec_config = {"apiVersion": "client.authentication.k8s.io/v1", "command": "/usr/bin/gke-auth",
                   "args": ["--x"]}
    kc = load_kubeconfig(write(tmp_path / "kc", simple("g", "https://g:443", {"exec": exec_config})))
    assert kc.embedded()["users"][0]["user"] == {"exec": exec_config}


def test_repr_never_shows_credentials(tmp_path):
    user = {"token": TOKEN, "password": "hunter2-password", "username": "bob",
            "client-key-data": "UFJJVkFURS1LRVk="}
    kc = load_kubeconfig(write(tmp_path / "kc", simple("a", "https://a:6443", user)))
    for text in (repr(kc), str(kc), f"{kc}", repr([kc])):
        assert TOKEN not in text and "hunter2" not in text and "UFJJVkFURS1LRVk" not in text
        assert "https://a:6443" in text


@pytest.mark.parametrize("user, expected", [
    ({"token": TOKEN}, "token"),
    ({"tokenFile": "/t"}, "token"),
    ({"client-certificate-data": "x", "client-key-data": "y"}, "client certificate"),
    ({"username": "u", "password": "p"}, "basic auth"),
    ({"exec": {"command": "/opt/bin/aws-iam-authenticator"}}, "exec plugin aws-iam-authenticator"),
    ({"auth-provider": {"name": "oidc", "config": {"id-token": TOKEN}}}, "auth provider oidc"),
    ({}, "anonymous"),
])
def test_describe_user(user, expected):
    assert describe_user(user) == expected
    assert TOKEN not in describe_user(user)
