"""Edit in place: label, annotate, patch and edit of stored templates, policies and clusters.

Each change is validated as `apply` validates a file, stored in one transaction and followed by the
usual pass, so the members (the session's sandbox clusters, read with the official client) follow.
A bad change leaves the store and the members exactly as they were.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import uuid

import pytest
import yaml

from tests.cli import run_cli, run_in_process


def ok(*argv: str, **kw) -> str:
    result = run_in_process(*argv, **kw)
    assert result.returncode == 0, f"{argv}: exit {result.returncode}: {result.stderr}"
    return result.stdout


def stored(*argv: str) -> dict:
    return json.loads(ok("get", *argv, "-o", "json"))


def everything() -> str:
    """The whole store as Karmada objects: what a failed change must leave as it was."""
    return ok("export", "-o", "json")


@pytest.fixture
def apps(member_client):
    from kubernetes import client as k8s

    return lambda member: k8s.AppsV1Api(member_client(member))


def deployment(ns: str, name: str = "web") -> dict:
    labels = {"app": name}
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": dict(labels)},
            "spec": {"replicas": 2, "selector": {"matchLabels": labels},
                     "template": {"metadata": {"labels": labels},
                                  "spec": {"containers": [{"name": "web", "image": "nginx:1.25",
                                                           "env": [{"name": "MODE", "value": "a"}]}]}}}}


def policy(ns: str, placement: dict, name: str = "web-pp") -> dict:
    return {"apiVersion": "policy.karmada.io/v1alpha1", "kind": "PropagationPolicy",
            "metadata": {"name": name, "namespace": ns},
            "spec": {"resourceSelectors": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}],
                     "placement": placement}}


def apply_web_to_env_prod(tmp_path) -> str:
    """Apply web to a new namespace with a policy that selects the clusters labelled env=prod; its namespace."""
    ns = f"edit-{uuid.uuid4().hex[:6]}"
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, deployment(ns),
        policy(ns, {"clusterAffinity": {"labelSelector": {"matchLabels": {"env": "prod"}}}})]))
    ok("apply", "-f", str(path))
    return ns


@pytest.fixture
def setup(home, members, tmp_path):
    """member1 and member2 joined; a Deployment propagated to both in a namespace of its own."""
    for m in members[:2]:
        ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path))
    ns = f"edit-{uuid.uuid4().hex[:6]}"
    path = tmp_path / "web.yaml"
    path.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}}, deployment(ns),
        policy(ns, {"clusterAffinity": {"clusterNames": ["member1", "member2"]}})]))
    ok("apply", "-f", str(path))
    return ns


def live(apps, member, ns: str, name: str = "web"):
    return apps(member).read_namespaced_deployment(name, ns)


def editor(tmp_path, body: str) -> str:
    """A script to use as KUBE_EDITOR: `body` runs with the file to edit as $1."""
    path = tmp_path / f"editor-{uuid.uuid4().hex[:6]}.sh"
    path.write_text("#!/bin/sh\nset -e\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


# -- label and annotate ----------------------------------------------------------------------------


def test_label_a_template_as_kubectl_label_does_and_the_members_follow(setup, members, apps):
    ns = setup
    assert ok("label", "deploy", "web", "tier=front", "-n", ns).splitlines()[0] == "deployment.apps/web labeled"
    for m in members[:2]:      # the pass ran: the members' copies carry the label now
        assert live(apps, m, ns).metadata.labels["tier"] == "front"

    before = everything()
    result = run_in_process("label", "deploy", "web", "tier=back", "-n", ns)
    # kubectl: validateNoOverwrites in staging/src/k8s.io/kubectl/pkg/cmd/label/label.go
    assert (result.returncode, result.stdout) == (1, "")
    assert result.stderr == ("error: Deployment web: label 'tier' already has a value (front), "
                             "and --overwrite is false\n")
    assert everything() == before

    assert ok("label", "deploy/web", "tier=back", "--overwrite", "-n", ns).startswith("deployment.apps/web labeled\n")
    assert run_in_process("label", "deploy", "web", "tier=back", "-n", ns).returncode == 1   # even the same value
    assert ok("label", "deploy", "web", "nothere-", "-n", ns) == ('label "nothere" not found.\n'
                                                                  "deployment.apps/web not labeled\n")
    printed = ok("label", "deploy", "web", "x=1", "-n", ns, "--dry-run", "-o", "yaml")
    assert yaml.safe_load(printed)["metadata"]["labels"] == {"app": "web", "tier": "back", "x": "1"}
    assert "x" not in stored("deploy", "web", "-n", ns)["metadata"]["labels"]     # a dry run stores nothing
    out = ok("label", "deploy", "web", "tier-", "gone-", "-n", ns)
    assert out.splitlines()[:2] == ['label "gone" not found.', "deployment.apps/web unlabeled"]
    assert stored("deploy", "web", "-n", ns)["metadata"]["labels"] == {"app": "web"}
    for m in members[:2]:
        assert "tier" not in live(apps, m, ns).metadata.labels

    assert ok("annotate", "deploy", "web", "owner=team a", "-n", ns).startswith("deployment.apps/web annotated\n")
    assert stored("deploy", "web", "-n", ns)["metadata"]["annotations"] == {"owner": "team a"}
    assert live(apps, members[0], ns).metadata.annotations["owner"] == "team a"
    assert ok("annotate", "deploy", "web", "owner=team a", "-n", ns).startswith("deployment.apps/web annotated")

    before = everything()
    for argv, code in ((("label", "widgets", "web", "a=b"), 2),          # no such kind
                       (("label", "deploy", "ghost", "a=b", "-n", ns), 1),
                       (("label", "deploy", "web", "bad key=1", "-n", ns), 1),
                       (("label", "deploy", "web", "-n", ns), 1),            # no label change given
                       (("annotate", "deploy", "web", "owner=x", "-n", ns), 1)):   # --overwrite needed
        result = run_in_process(*argv)
        assert (result.returncode, result.stdout) == (code, ""), (argv, result.stderr)
        assert result.stderr.startswith("error: ") and result.stderr.count("\n") == 1, result.stderr
    assert everything() == before


def test_label_a_policy_but_never_its_permanent_id(setup):
    ns = setup
    assert ok("label", "pp", "web-pp", "team=a", "-n", ns).startswith(
        "propagationpolicy.policy.karmada.io/web-pp labeled")
    labels = stored("pp", "web-pp", "-n", ns)["metadata"]["labels"]
    # set by Karmada's webhook on create (pkg/webhook/propagationpolicy/mutating.go), never changed
    key = "propagationpolicy.karmada.io/permanent-id"
    assert labels["team"] == "a" and labels[key]

    before = everything()
    for change in (f"{key}-", f"{key}=other"):
        result = run_in_process("label", "pp", "web-pp", change, "--overwrite", "-n", ns)
        assert result.returncode == 1 and result.stderr.count("\n") == 1
        assert f"metadata.labels.{key}: the policy's permanent id cannot be" in result.stderr
    assert everything() == before


def test_a_label_change_on_a_cluster_reschedules_what_depends_on_it(home, members, apps, tmp_path):
    for m in members:
        ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path), "-l", "env-")
    ok("label", "clusters", "member1", "env=prod")
    ns = apply_web_to_env_prod(tmp_path)
    names = lambda m: [d.metadata.name for d in apps(m).list_namespaced_deployment(ns).items]   # noqa: E731
    assert [names(m) for m in members] == [["web"], [], []]

    out = ok("label", "clusters", "member3", "env=prod")
    assert out.splitlines()[0] == "cluster/member3 labeled"
    assert [names(m) for m in members] == [["web"], [], ["web"]]      # no sync needed: the pass ran
    assert ok("label", "clusters", "member1", "env-").splitlines()[0] == "cluster/member1 unlabeled"
    assert [names(m) for m in members] == [[], [], ["web"]]


# -- patch -----------------------------------------------------------------------------------------


def test_patch_types_as_kubectl_patch_applies_them(setup, members, apps, tmp_path):
    ns = setup
    # strategic: containers merge by name (patchMergeKey:"name" on PodSpec.Containers in
    # staging/src/k8s.io/api/core/v1/types.go), so the env list of "web" stays
    out = ok("patch", "deploy", "web", "-n", ns, "-p",
             '{"spec":{"template":{"spec":{"containers":[{"name":"web","image":"nginx:1.26"}]}}}}')
    assert out.splitlines()[0] == "deployment.apps/web patched"
    container = stored("deploy", "web", "-n", ns)["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "web", "image": "nginx:1.26", "env": [{"name": "MODE", "value": "a"}]}
    for m in members[:2]:
        assert live(apps, m, ns).spec.template.spec.containers[0].image == "nginx:1.26"
    # env merges by name too; the patch from stdin (--patch-file -), in YAML
    result = run_in_process("patch", "deploy", "web", "-n", ns, "--patch-file", "-", input=(
        "spec:\n  template:\n    spec:\n      containers:\n      - name: web\n        env:\n"
        "        - {name: LEVEL, value: '2'}\n"))
    assert result.returncode == 0, result.stderr
    env = stored("deploy", "web", "-n", ns)["spec"]["template"]["spec"]["containers"][0]["env"]
    assert env == [{"name": "MODE", "value": "a"}, {"name": "LEVEL", "value": "2"}]

    # merge (RFC 7386): a list is replaced whole, null deletes
    patch_file = tmp_path / "patch.yaml"
    patch_file.write_text("spec:\n  template:\n    spec:\n      containers:\n      - name: web\n"
                          "        image: nginx:1.27\nmetadata:\n  labels:\n    app: null\n")
    ok("patch", "deploy", "web", "-n", ns, "--type", "merge", "--patch-file", str(patch_file))
    obj = stored("deploy", "web", "-n", ns)
    assert obj["spec"]["template"]["spec"]["containers"] == [{"name": "web", "image": "nginx:1.27"}]
    assert "app" not in (obj["metadata"].get("labels") or {})

    # json (RFC 6902)
    ok("patch", "deploy/web", "-n", ns, "--type", "json", "-p", '[{"op":"replace","path":"/spec/replicas","value":3}]')
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 3
    assert ok("patch", "deploy", "web", "-n", ns, "--type", "merge", "-p", '{"spec":{"replicas":3}}') \
        == "deployment.apps/web patched (no change)\n"
    printed = ok("patch", "deploy", "web", "-n", ns, "--type", "merge", "-p", '{"spec":{"replicas":5}}',
                 "--dry-run", "-o", "json")
    assert json.loads(printed)["spec"]["replicas"] == 5
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 3

    before = everything()
    for argv, code, says in (
            (("--type", "merge", "-p", '{"spec":{"replicas":"many"}}'), 1, "spec.replicas: must be of type integer"),
            (("--type", "merge", "-p", '{"metadata":{"name":"other"}}'), 1, "metadata.name: cannot be changed"),
            (("--type", "merge", "-p", '{"metadata":{"namespace":"x"}}'), 1, "metadata.namespace: cannot be"),
            (("--type", "merge", "-p", '{"kind":"StatefulSet"}'), 1, "kind: cannot be changed"),
            (("--type", "json", "-p", '[{"op":"remove","path":"/spec/nothere"}]'), 1, "--patch"),
            (("--type", "json", "-p", '{"spec":{}}'), 1, "a json patch is a list of operations"),
            (("-p", "{not: [json"), 1, "--patch: not JSON or YAML"),
            (("--type", "apply", "-p", "{}"), 2, "--type must be one of strategic, merge, json"),
            (("-p", "{}", "--patch-file", str(patch_file)), 2, "one of them"),
            ((), 2, "one of them")):
        result = run_in_process("patch", "deploy", "web", "-n", ns, *argv)
        assert result.returncode == code and result.stdout == "", (argv, result.stderr)
        assert says in result.stderr and result.stderr.count("\n") == 1, (argv, result.stderr)
    assert everything() == before
    assert live(apps, members[0], ns).spec.replicas == 3


def test_patch_in_a_real_process(setup):
    ns = setup
    result = run_cli("patch", "deploy", "web", "-n", ns, "--type", "merge", "-p", '{"spec":{"replicas":1}}',
                     subprocess=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("deployment.apps/web patched\n")
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 1


# -- edit ------------------------------------------------------------------------------------------


def test_edit_stores_what_the_editor_saved_and_pushes_it(setup, members, apps, tmp_path):
    ns = setup
    script = editor(tmp_path, 'sed -i "s/image: nginx:1.25/image: nginx:1.28/" "$1"')
    out = ok("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": script, "EDITOR": "false"})
    assert out.splitlines()[0] == "deployment.apps/web edited"
    assert stored("deploy", "web", "-n", ns)["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.28"
    for m in members[:2]:
        assert live(apps, m, ns).spec.template.spec.containers[0].image == "nginx:1.28"

    # $EDITOR when KUBE_EDITOR is not set; JSON with -o json
    script = editor(tmp_path, 'sed -i "s/\\"replicas\\": 2/\\"replicas\\": 4/" "$1"')
    out = ok("edit", "deploy/web", "-n", ns, "-o", "json", env={"KUBE_EDITOR": None, "EDITOR": script})
    assert out.startswith("deployment.apps/web edited\n")
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 4


def test_a_failing_edit_reopens_with_the_error_at_the_top(setup, tmp_path):
    ns = setup
    seen = tmp_path / "seen"
    # first round: an invalid value; second round (the file now has the error): a valid one
    script = editor(tmp_path, f'''n=$(ls {seen}* 2>/dev/null | wc -l); cp "$1" {seen}$n
if grep -q "^# \\* " "$1"; then sed -i "s/replicas: many/replicas: 6/" "$1"
else sed -i "s/replicas: 2/replicas: many/" "$1"; fi''')
    out = ok("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": script})
    assert out.startswith("deployment.apps/web edited\n")
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 6
    first, second = (tmp_path / "seen0").read_text(), (tmp_path / "seen1").read_text()
    assert "replicas: 2" in first and not first.startswith("# The edit was not stored")
    header = second.split("\n# Edit the object below")[0]
    assert header.startswith("# The edit was not stored:\n# * ")
    assert "spec.replicas: must be of type integer" in header
    assert "replicas: many" in second          # the user's edit is kept, not the stored object


def test_an_edit_that_fails_twice_alike_ends_and_stores_nothing(setup, tmp_path):
    ns = setup
    before = everything()
    script = editor(tmp_path, 'sed -i "s/replicas: 2/replicas: many/" "$1"')
    result = run_in_process("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": script})
    assert result.returncode == 1 and result.stdout == ""
    assert "spec.replicas: must be of type integer" in result.stderr and result.stderr.count("\n") == 1
    assert everything() == before
    kept = result.stderr.rstrip().rsplit("your changes are in ", 1)[1].rstrip(")")     # as kubectl keeps them
    assert "replicas: many" in open(kept).read()
    os.remove(kept)


@pytest.mark.parametrize("body", ["true", ': > "$1"', 'sed -i "s/^#.*//" "$1"'],
                         ids=["unchanged", "emptied", "only-comments-removed"])
def test_an_unchanged_or_empty_buffer_cancels_the_edit(setup, tmp_path, body):
    ns = setup
    before = everything()
    result = run_in_process("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": editor(tmp_path, body)})
    assert (result.returncode, result.stdout, result.stderr) == (0, "Edit cancelled, no changes made.\n", "")
    assert everything() == before


def test_edit_without_an_editor_or_with_a_failing_one(setup, tmp_path):
    ns = setup
    before = everything()
    result = run_in_process("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": None, "EDITOR": None})
    assert result.returncode == 2 and "set KUBE_EDITOR or EDITOR" in result.stderr
    script = editor(tmp_path, 'sed -i "s/replicas: 2/replicas: 9/" "$1"; exit 3')
    result = run_in_process("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": script})
    assert result.returncode == 1 and "exited with 3" in result.stderr
    result = run_in_process("edit", "deploy", "ghost", "-n", ns, env={"KUBE_EDITOR": "true"})
    assert result.returncode == 1 and 'deployment.apps "ghost" not found' in result.stderr
    assert everything() == before


def test_without_an_editor_set_a_terminal_gets_vi(setup, tmp_path):
    ns = setup
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "vi").write_text('#!/bin/sh\nsed -i "s/replicas: 2/replicas: 7/" "$1"\n')
    (folder / "vi").chmod(0o755)
    path = f"{folder}:{os.environ['PATH']}"
    result = run_in_process("edit", "deploy", "web", "-n", ns, stdin_tty=True,
                            env={"KUBE_EDITOR": None, "EDITOR": None, "PATH": path})
    assert result.returncode == 0 and result.stdout.startswith("deployment.apps/web edited\n"), result.stderr
    assert stored("deploy", "web", "-n", ns)["spec"]["replicas"] == 7


def test_what_another_writer_changed_while_the_editor_was_open_is_kept(setup, tmp_path):
    ns = setup
    home = os.environ["KARMADA_HOME"]
    # the editor first lets another karmadactl (a process of its own) label the object, then edits it
    script = editor(tmp_path, f'KARMADA_HOME={home} {sys.executable} -m karmadactl label deploy web '
                              f'other=1 -n {ns} >/dev/null\nsed -i "s/image: nginx:1.25/image: nginx:1.29/" "$1"')
    out = ok("edit", "deploy", "web", "-n", ns, env={"KUBE_EDITOR": script})
    assert out.startswith("deployment.apps/web edited\n")
    obj = stored("deploy", "web", "-n", ns)
    assert obj["metadata"]["labels"]["other"] == "1"                  # the other writer's change stays
    assert obj["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.29"


def test_patch_and_edit_a_cluster_change_only_what_join_does_not_own(home, members, apps, tmp_path):
    for m in members[:2]:
        ok("join", m.name, "--kubeconfig", str(m.kubeconfig_path), "-l", "env-")
    ns = apply_web_to_env_prod(tmp_path)
    names = lambda m: [d.metadata.name for d in apps(m).list_namespaced_deployment(ns).items]   # noqa: E731
    assert [names(m) for m in members[:2]] == [[], []]

    out = ok("patch", "clusters", "member2", "--type", "merge", "-p", '{"metadata":{"labels":{"env":"prod"}}}')
    assert out.splitlines()[0] == "cluster/member2 patched"
    assert [names(m) for m in members[:2]] == [[], ["web"]]          # the pass ran
    script = editor(tmp_path, 'sed -i "s/^spec:$/spec:\\n  region: eu-west-1/" "$1"')
    assert ok("edit", "clusters", "member2", env={"KUBE_EDITOR": script}).startswith("cluster/member2 edited\n")
    assert stored("clusters", "member2")["spec"]["region"] == "eu-west-1"
    ok("patch", "clusters", "member2", "-p", '{"spec":{"taints":[{"key":"k","value":"v","effect":"NoSchedule"}]}}')
    taint = stored("clusters", "member2")["spec"]["taints"][0]
    assert (taint["key"], taint["value"], taint["effect"], bool(taint["timeAdded"])) == ("k", "v", "NoSchedule", True)

    before = everything()
    for patch, says in (('{"spec":{"apiEndpoint":"https://elsewhere"}}', "spec.apiEndpoint: cannot be changed here"),
                        ('{"spec":{"taints":[{"key":"k","effect":"Sometimes"}]}}', "spec.taints[0].effect: expected one of"),
                        ('{"metadata":{"labels":{"bad key":"1"}}}', "metadata.labels"),
                        ('{"metadata":{"annotations":{"karmadactl.io/kubeconfig":"/x"}}}', "set by join"),
                        ('{"status":{"conditions":[]}}', None)):
        result = run_in_process("patch", "clusters", "member2", "--type", "merge", "-p", patch)
        if says is None:         # status is the store's: a patch of it changes nothing
            assert result.returncode == 0 and result.stdout == "cluster/member2 patched (no change)\n"
            continue
        assert result.returncode == 1 and says in result.stderr and result.stderr.count("\n") == 1, result.stderr
    assert everything() == before


def test_label_and_annotate_by_selector_or_all(setup, tmp_path):
    ns = setup
    path = tmp_path / "more.yaml"
    path.write_text(yaml.safe_dump_all([
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": n, "namespace": ns, "labels": {"app": a}},
         "data": {"k": "v"}} for n, a in (("a", "x"), ("b", "y"), ("c", "x"))]))
    ok("apply", "-f", str(path))
    out = ok("label", "cm", "-l", "app=x", "tier=1", "-n", ns)
    assert out.splitlines()[:2] == ["configmap/a labeled", "configmap/c labeled"]
    assert [c["metadata"]["labels"].get("tier") for c in stored("cm", "-n", ns)["items"]] == ["1", None, "1"]
    out = ok("annotate", "cm", "--all", "note=n", "-n", ns)
    assert out.splitlines()[:3] == ["configmap/a annotated", "configmap/b annotated", "configmap/c annotated"]
    # several objects: each gets kubectl's word; one that cannot change and none is stored
    assert ok("label", "cm", "a", "b", "tier=2", "--overwrite", "-n", ns).splitlines()[:2] == [
        "configmap/a labeled", "configmap/b labeled"]
    assert ok("label", "cm", "a", "c", "extra-", "-n", ns).splitlines() == [
        'label "extra" not found.', "configmap/a not labeled", 'label "extra" not found.', "configmap/c not labeled"]
    before = everything()
    result = run_in_process("label", "cm", "--all", "app=z", "-n", ns)      # a has app: x already
    assert result.returncode == 1 and "label 'app' already has a value (x)" in result.stderr
    ok("label", "cm", "b", "app-", "-n", ns)
    before = everything()
    result = run_in_process("label", "cm", "b", "a", "app=z", "-n", ns)     # b could, a cannot: neither
    assert result.returncode == 1 and result.stdout == ""
    assert everything() == before
    result = run_in_process("label", "cm", "-l", "app=none", "t=1", "-n", ns)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "No resources found\n")
    result = run_in_process("label", "cm", "a", "-l", "app=x", "t=1", "-n", ns)
    assert result.returncode == 2 and "one of them" in result.stderr


def test_a_write_that_lost_a_race_is_done_again_on_the_newer_object(setup):
    """Between the read and the compare-and-swap another writer stores a label: the change runs again
    on what that writer left, so both changes are kept."""
    from karmadactl.controllers import edit
    from karmadactl.store import Store

    ns = setup
    calls = []
    with Store.open() as store:
        ref = edit.resolve(store, "deploy", ["web"], ns)[0]

        def change(obj: dict) -> dict:
            calls.append(obj["metadata"]["resourceVersion"])
            if len(calls) == 1:      # the other writer, in a process of its own, comes first
                assert run_cli("label", "deploy", "web", "racer=1", "-n", ns, subprocess=True).returncode == 0
            obj["spec"]["replicas"] = 5
            return obj
        result = edit.change(store, ref, change, source="test", reason="Patched")
    assert result.changed and len(calls) == 2 and calls[0] != calls[1]
    obj = stored("deploy", "web", "-n", ns)
    assert (obj["spec"]["replicas"], obj["metadata"]["labels"]["racer"]) == (5, "1")
