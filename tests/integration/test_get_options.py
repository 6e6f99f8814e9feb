"""get with kubectl's output and selection options, on the store and on a sandbox member, and
the same templates through kubectl itself against that member."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
import yaml

from tests.conftest import run_cli

TEMPLATES = [
    {"apiVersion": "apps/v1", "kind": "Deployment",
     "metadata": {"name": "nginx", "namespace": "default", "labels": {"app": "nginx", "tier": "web"}},
     "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "nginx"}},
              "template": {"metadata": {"labels": {"app": "nginx"}},
                           "spec": {"containers": [{"name": "nginx", "image": "nginx:1.27"}]}}}},
    {"apiVersion": "v1", "kind": "ConfigMap",
     "metadata": {"name": "zeta", "namespace": "default", "labels": {"app": "nginx"}}, "data": {"a": "1", "b": "2"}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "alpha", "namespace": "default"},
     "data": {"a": "1"}},
    {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "default"},
     "spec": {"ports": [{"port": 80}], "selector": {"app": "nginx"}}},
]
PODS = [
    {"apiVersion": "v1", "kind": "Pod",
     "metadata": {"name": "web-1", "namespace": "default", "labels": {"app": "web", "app.kubernetes.io/name": "w"}},
     "spec": {"containers": [{"name": "c1", "image": "nginx:1.27"}, {"name": "c2", "image": "busybox<&>"}]}},
    {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "db-0", "namespace": "default", "labels": {"app": "db"}},
     "spec": {"containers": [{"name": "redis", "image": "redis:7", "ports": [{"containerPort": 6379}]}]}},
]


def ok(*args: str) -> str:
    result = run_cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def lines(text: str) -> list[list[str]]:
    return [line.split() for line in text.splitlines() if line.strip()]


@pytest.fixture
def stored(cli, tmp_path):
    path = tmp_path / "templates.yaml"
    path.write_text(yaml.safe_dump_all(TEMPLATES))
    ok("apply", "-f", str(path))
    return tmp_path


def test_several_kinds_print_a_table_each_with_resource_names(stored):
    out = ok("get", "deploy,cm")
    tables = out.split("\n\n")
    assert len(tables) == 2
    assert lines(tables[0])[0][:2] == ["NAME", "READY"] and lines(tables[0])[1][0] == "deployment.apps/nginx"
    assert [r[0] for r in lines(tables[1])] == ["NAME", "configmap/alpha", "configmap/zeta"]
    assert ok("get", "deploy/nginx", "cm/zeta", "-o", "name").split() == ["deployment.apps/nginx", "configmap/zeta"]
    # names apply to each kind asked
    assert ok("get", "cm,deploy", "nginx", "zeta", "--ignore-not-found", "-o", "name").split() == [
        "configmap/zeta", "deployment.apps/nginx"]


def test_all_lists_the_stored_kinds_of_kubectls_all_category(stored):
    out = ok("get", "all", "-o", "name")
    # kubectl's order: services before deployments; ConfigMaps are not in the category
    assert out.split() == ["service/web", "deployment.apps/nginx"]


def test_label_columns_show_labels_and_no_headers(stored):
    rows = lines(ok("get", "cm", "-L", "app", "--show-labels"))
    assert rows[0] == ["NAME", "DATA", "AGE", "APP", "LABELS"]
    assert rows[1][0] == "alpha" and rows[1][-1] == "<none>" and len(rows[1]) == 4   # empty APP cell
    assert rows[2][0] == "zeta" and rows[2][-2:] == ["nginx", "app=nginx"]
    assert [r[0] for r in lines(ok("get", "cm", "--no-headers"))] == ["alpha", "zeta"]


def test_sort_by_orders_rows_by_a_jsonpath(stored):
    # zeta has two keys, alpha one: ordered by name, then by creation, then by a label nobody lacks
    assert [r[0] for r in lines(ok("get", "cm", "--sort-by", ".metadata.name", "--no-headers"))] == ["alpha", "zeta"]
    out = ok("get", "cm", "-o", "name", "--sort-by", "{.metadata.labels.app}")
    assert out.split() == ["configmap/alpha", "configmap/zeta"]
    bad = run_cli("get", "cm", "--sort-by", ".nope")
    assert bad.returncode == 1
    assert bad.stderr.strip() == 'error: couldn\'t find any field with path "{.nope}" in the list of objects'


def test_jsonpath_and_custom_columns_on_the_store(stored, tmp_path):
    assert ok("get", "cm", "-o", "jsonpath={.items[*].metadata.name}") == "alpha zeta"
    assert ok("get", "deploy", "nginx", "-o", "jsonpath={.spec.replicas}") == "3"     # one object, not a List
    assert ok("get", "cm", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.data.a}{"\\n"}{end}') == \
        "alpha=1\nzeta=1\n"
    template = tmp_path / "t.jsonpath"
    template.write_text("{.items[0].kind}")
    assert ok("get", "cm", "-o", f"jsonpath-file={template}") == "ConfigMap"
    assert lines(ok("get", "cm,svc", "-o", "custom-columns=KIND:.kind,NAME:.metadata.name,KEYS:.data")) == [
        ["KIND", "NAME", "KEYS"], ["ConfigMap", "alpha", "map[a:1]"], ["ConfigMap", "zeta", "map[a:1", "b:2]"],
        ["Service", "web", "<none>"]]
    columns = tmp_path / "columns.txt"
    columns.write_text("NAME   REPLICAS\n.metadata.name   .spec.replicas\n")
    assert lines(ok("get", "deploy", "-o", f"custom-columns-file={columns}")) == [["NAME", "REPLICAS"],
                                                                                 ["nginx", "3"]]


def test_bad_templates_are_one_line_errors(stored, tmp_path):
    result = run_cli("get", "cm", "-o", "jsonpath={.items[")
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr.strip() == "error: error parsing jsonpath {.items[, unterminated array"
    result = run_cli("get", "cm", "-o", "custom-columns=NAME")
    assert result.returncode == 2 and result.stderr.strip() == (
        "error: unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>")
    missing = tmp_path / "missing.txt"
    result = run_cli("get", "cm", "-o", f"jsonpath-file={missing}")
    assert result.returncode == 1 and str(missing) in result.stderr and len(result.stderr.splitlines()) == 1


def test_ignore_not_found(stored):
    result = run_cli("get", "cm", "nope", "--ignore-not-found")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    assert ok("get", "cm", "zeta", "nope", "--ignore-not-found", "-o", "name").split() == ["configmap/zeta"]
    assert run_cli("get", "cm", "nope").returncode == 1


def _watch(*args: str, env: dict) -> subprocess.Popen:
    """karmadactl get ARGS in a process whose stdout lines a thread collects in proc.lines (a queue)."""
    import queue
    import threading

    proc = subprocess.Popen([sys.executable, "-m", "karmadactl", "get", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    proc.lines = queue.Queue()
    proc.errors = []        # stderr read as it comes, so a full pipe can never hold the process at exit

    def pump():
        for line in proc.stdout:
            proc.lines.put(line.rstrip("\n"))

    def pump_errors():
        for line in proc.stderr:
            proc.errors.append(line)
    threading.Thread(target=pump, daemon=True).start()
    proc.error_reader = threading.Thread(target=pump_errors, daemon=True)
    proc.error_reader.start()
    return proc


def _stopped(proc: subprocess.Popen, timeout: float = 60) -> str:
    """SIGINT, then the process's exit awaited; what it wrote on stderr (named in the failure if it hangs)."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError(f"still running {timeout:g} s after SIGINT; stderr: {''.join(proc.errors)!r}") from None
    proc.error_reader.join(timeout=10)
    return "".join(proc.errors)


def _read_until(proc: subprocess.Popen, wanted, deadline: float = 30, got: list | None = None) -> list[str]:
    """Lines of the watcher's stdout (added to `got`) until one satisfies `wanted`, with a deadline."""
    import queue

    got, end = [] if got is None else got, time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            line = proc.lines.get(timeout=0.5)
        except queue.Empty:
            continue
        got.append(line)
        if wanted(line):
            return got
    raise AssertionError(f"not seen in time; got {got!r}")


def test_watch_prints_the_table_then_a_row_per_change_and_stops_on_sigint(stored, tmp_path):
    env = {**os.environ}
    proc = _watch("cm", "-w", env=env)
    try:
        _read_until(proc, lambda line: line.startswith("zeta"))
        extra = tmp_path / "extra.yaml"
        extra.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                         "metadata": {"name": "mid", "namespace": "default"}}))
        ok("apply", "-f", str(extra))
        _read_until(proc, lambda line: line.split()[:2] == ["mid", "0"])
        changed = dict(TEMPLATES[2], data={"a": "1", "b": "2", "c": "3"})
        extra.write_text(yaml.safe_dump(changed))
        ok("apply", "-f", str(extra))
        _read_until(proc, lambda line: line.split()[:2] == ["alpha", "3"])
    finally:
        errors = _stopped(proc)
    assert proc.returncode == 0, errors


def test_watch_only_with_json_prints_each_changed_object(stored, tmp_path):
    proc = _watch("cm", "--watch-only", "-o", "json", env={**os.environ})
    try:
        extra, got = tmp_path / "extra.yaml", []
        for attempt in range(60):   # until the watcher has read once, a change is what it reports
            extra.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": f"late{attempt}", "namespace": "default"}}))
            ok("apply", "-f", str(extra))
            try:
                _read_until(proc, lambda line: '"name": "late' in line, deadline=2, got=got)
                break
            except AssertionError:
                continue
        else:
            raise AssertionError("the watcher reported no change")
        assert got[0] == "{"          # an object, not a table and not a List
    finally:
        _stopped(proc)
    assert proc.returncode == 0


# -- a member, compared with kubectl ---------------------------------------------------------


@pytest.fixture(scope="module")
def tls_member(tmp_path_factory):
    """A TLS sandbox member (kubectl sends its bearer token only over TLS) holding two pods."""
    from kubernetes import client as k8s
    from kubernetes.config import new_client_from_config_dict

    from karmadactl.sandbox.member import Member

    member = Member("tlsmember", nodes=2, tls=True)
    member.start()
    member.kubeconfig_path = tmp_path_factory.mktemp("kc") / "tlsmember.kubeconfig"
    member.write_kubeconfig(member.kubeconfig_path)
    api = new_client_from_config_dict(member.kubeconfig(), persist_config=False)
    for pod in PODS:
        k8s.CoreV1Api(api).create_namespaced_pod("default", pod, _preload_content=False)
    api.close()
    yield member
    member.stop()


@pytest.fixture
def joined(cli, tls_member):
    ok("join", tls_member.name, "--kubeconfig", str(tls_member.kubeconfig_path))
    return tls_member


def _kubectl(member, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["kubectl", "--kubeconfig", str(member.kubeconfig_path), *args],
                          capture_output=True, text=True, timeout=60)


TEMPLATES_COMPARED = [
    "jsonpath={.items[*].metadata.name}",
    'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.containers[*].image}{"\\n"}{end}',
    "jsonpath={.items[0].spec.containers}",
    "jsonpath={.items[?(@.metadata.labels.app==\"db\")].spec.containers[0].ports[0].containerPort}",
    "jsonpath={.items[*].metadata.labels.app\\.kubernetes\\.io/name}",
    "custom-columns=NAME:.metadata.name,IMAGES:.spec.containers[*].image,LABELS:.metadata.labels,X:.nope",
]


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
@pytest.mark.parametrize("output", TEMPLATES_COMPARED)
def test_members_templates_print_what_kubectl_prints(joined, output):
    theirs = _kubectl(joined, "get", "pods", "-o", output, "--sort-by", ".metadata.name")
    assert theirs.returncode == 0, theirs.stderr
    ours = ok("get", "pods", "-s", "members", "-C", joined.name, "-o", output, "--sort-by", ".metadata.name")
    assert ours == theirs.stdout


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_members_label_columns_and_sort_as_kubectl(joined):
    theirs = _kubectl(joined, "get", "pods", "--sort-by", "{.metadata.labels.app}", "-o", "name")
    ours = ok("get", "pods", "-s", "members", "-C", joined.name, "--sort-by", "{.metadata.labels.app}", "-o", "name")
    assert [line.rpartition("/")[2] for line in ours.split()] == [line.rpartition("/")[2]
                                                                  for line in theirs.stdout.split()]
    # one object asked by name: the template sees the object, as kubectl's does
    theirs = _kubectl(joined, "get", "pod", "db-0", "-o", "jsonpath={.metadata.name}")
    assert ok("get", "pod", "db-0", "-s", "members", "-C", joined.name, "-o", "jsonpath={.metadata.name}") == \
        theirs.stdout == "db-0"
    rows = lines(ok("get", "pods", "-s", "members", "-C", joined.name, "-L", "app", "--no-headers",
                    "--sort-by", ".metadata.name"))
    assert [(r[0], r[1], r[-1]) for r in rows] == [("db-0", joined.name, "db"), ("web-1", joined.name, "web")]


def test_watch_on_members_follows_their_watch_api(joined):
    from kubernetes import client as k8s
    from kubernetes.config import new_client_from_config_dict

    api = new_client_from_config_dict(joined.kubeconfig(), persist_config=False)
    core = k8s.CoreV1Api(api)
    proc = _watch("pods", "-s", "members", "-C", joined.name, "-w", "--no-headers", env={**os.environ})
    try:
        _read_until(proc, lambda line: line.startswith("web-1"))
        core.create_namespaced_pod("default", {"apiVersion": "v1", "kind": "Pod",
                                               "metadata": {"name": "watched", "namespace": "default"},
                                               "spec": {"containers": [{"name": "c", "image": "busybox"}]}},
                                   _preload_content=False)
        _read_until(proc, lambda line: line.split()[:2] == ["watched", joined.name])
        core.delete_namespaced_pod("watched", "default", _preload_content=False)
        got = _read_until(proc, lambda line: line.split()[:2] == ["watched", joined.name])
        assert not any(line.startswith(("web-1", "db-0")) for line in got)   # listed objects are not repeated
    finally:
        errors = _stopped(proc)
        api.close()
    assert proc.returncode == 0, errors


def test_all_on_members_lists_the_kinds_of_the_category_a_member_serves(joined):
    names = ok("get", "all", "-s", "members", "-C", joined.name, "-o", "name").split()
    assert names == [f"{joined.name}/pod/db-0", f"{joined.name}/pod/web-1"]


def test_watch_only_prints_the_header_with_the_first_change(stored, tmp_path):
    proc = _watch("cm", "--watch-only", env={**os.environ})
    extra, got = tmp_path / "extra.yaml", []
    try:
        for attempt in range(60):   # until the watcher has read once, a change is what it reports
            extra.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "ConfigMap",
                                             "metadata": {"name": f"late{attempt}", "namespace": "default"}}))
            ok("apply", "-f", str(extra))
            try:
                _read_until(proc, lambda line: line.startswith("late"), deadline=2, got=got)
                break
            except AssertionError:
                continue
    finally:
        _stopped(proc)
    assert got[0].split() == ["NAME", "DATA", "AGE"] and got[1].startswith("late")
    assert not any(line.startswith(("alpha", "zeta")) for line in got)      # nothing listed first


def test_watch_names_a_member_that_cannot_be_watched(cli, joined):
    from karmadactl.sandbox.member import Member

    gone = Member("gone", nodes=1)
    gone.start()
    gone.write_kubeconfig(joined.kubeconfig_path.parent / "gone.kubeconfig")
    ok("join", "gone", "--kubeconfig", str(joined.kubeconfig_path.parent / "gone.kubeconfig"))
    gone.stop()
    proc = _watch("pods", "-s", "members", "-C", f"gone,{joined.name}", "-w", env={**os.environ})
    try:
        _read_until(proc, lambda line: line.startswith("web-1"))       # the member that answers is listed
    finally:
        errors = _stopped(proc)
    assert "cluster gone" in errors
