"""kubectl's JSONPath templates: the documented examples and what kubectl itself prints.

The examples are the table of https://kubernetes.io/docs/reference/kubectl/jsonpath/. Where the page
shows Go's old `map[cpu:4]` or `[a b]`, the expectation is what kubectl v1.32 printed for the same
template against a sandbox member (maps and lists as compact JSON, several values joined by a space):
k8s.io/client-go/util/jsonpath/jsonpath.go (PrintResults, evalUnion, evalRecursive) and
k8s.io/cli-runtime/pkg/genericclioptions/jsonpath_flags.go ("error parsing jsonpath %s, %v").
"""

from __future__ import annotations

import pytest

from karmadactl.cli.jsonpath import JSONPathError, template
from karmadactl.cli.printers import column_cells, custom_columns, parse_output, sort_by

DOC = {
    "kind": "List",
    "items": [
        {"kind": "None", "metadata": {"name": "127.0.0.1"},
         "status": {"capacity": {"cpu": "4"}, "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.1"}]}},
        {"kind": "None", "metadata": {"name": "127.0.0.2"},
         "status": {"capacity": {"cpu": "8"}, "addresses": [{"type": "LegacyHostIP", "address": "127.0.0.2"},
                                                            {"type": "another", "address": "127.0.0.3"}]}},
    ],
    "users": [{"name": "myself", "user": {}},
              {"name": "e2e", "user": {"username": "admin", "password": "secret"}}],
}


@pytest.mark.parametrize("source, expected", [
    ("kind is {.kind}", "kind is List"),
    ("{.kind}", "List"),
    ("{['kind']}", "List"),
    ("{$.kind}", "List"),
    ("{..name}", "127.0.0.1 127.0.0.2 myself e2e"),
    ("{.items[*].metadata.name}", "127.0.0.1 127.0.0.2"),
    ("{.users[0].name}", "myself"),
    ("{.users[-1:].name}", "e2e"),
    ("{.items[*]['metadata.name', 'status.capacity']}", '127.0.0.1 127.0.0.2 {"cpu":"4"} {"cpu":"8"}'),
    ('{.users[?(@.name=="e2e")].user.password}', "secret"),
    ("{range .items[*]}[{.metadata.name}, {.status.capacity}] {end}",
     '[127.0.0.1, {"cpu":"4"}] [127.0.0.2, {"cpu":"8"}] '),
    ('{range .items[*]}{.metadata.name}{"\\t"}{.status.addresses[0].address}{"\\n"}{end}',
     "127.0.0.1\t127.0.0.1\n127.0.0.2\t127.0.0.2\n"),
    ('{.items[?(@.metadata.name=="127.0.0.2")].status.addresses[*].address}', "127.0.0.2 127.0.0.3"),
    ("{.users[1].user}", '{"password":"secret","username":"admin"}'),
    ("{.nothing.here}{.kind}", "List"),          # a missing key prints nothing (allow-missing-template-keys)
])
def test_documented_examples_print_as_kubectl_does(source, expected):
    assert template(source).render(DOC) == expected


def test_go_json_for_maps_escapes_html_characters_as_kubectl():
    pod = {"spec": {"containers": [{"name": "c", "image": "busybox<&>"}]}}
    assert template("{.spec.containers}").render(pod) == '[{"image":"busybox\\u003c\\u0026\\u003e","name":"c"}]'


def test_label_keys_with_dots_and_slashes():
    obj = {"metadata": {"labels": {"app.kubernetes.io/name": "web", "tier": "front"}}}
    assert template("{.metadata.labels.app\\.kubernetes\\.io/name}").render(obj) == "web"
    assert template("{.metadata.labels['app\\.kubernetes\\.io/name']}").render(obj) == "web"


@pytest.mark.parametrize("source, why", [
    ("{.items[", "unterminated array"),
    ("{.kind", "unclosed action"),
    ("{end}", "not in range, nothing to end"),
])
def test_bad_templates_get_kubectls_parse_error(source, why):
    with pytest.raises(JSONPathError) as e:
        template(source)
    assert str(e.value) == f"error parsing jsonpath {source}, {why}"


def test_output_flag_forms():
    assert parse_output("jsonpath={.kind}").template.render(DOC) == "List"
    assert [h for h, _ in parse_output("custom-columns=NAME:.metadata.name").columns] == ["NAME"]
    with pytest.raises(Exception, match="template format specified but no template given"):
        parse_output("jsonpath=")
    with pytest.raises(Exception, match='unable to match a printer suitable for the output format "bogus"'):
        parse_output("bogus")
    with pytest.raises(Exception, match="Go templates are not supported"):
        parse_output("go-template={{.kind}}")


def test_custom_columns_cells_as_kubectl_prints_them():
    # kubectl v1.32 on a sandbox member: lists joined by commas, missing <none>, maps in Go's %v
    pod = {"metadata": {"name": "alpha", "labels": {"tier": "front", "app": "web"}},
           "spec": {"containers": [{"name": "c1", "image": "nginx"}, {"name": "c2", "image": "busybox"}]}}
    columns = custom_columns("NAME:.metadata.name,IMAGES:.spec.containers[*].image,L:.metadata.labels,X:.nope")
    assert column_cells(pod, columns) == ["alpha", "nginx,busybox", "map[app:web tier:front]", "<none>"]
    with pytest.raises(Exception, match="unexpected custom-columns spec: NAME, expected <header>:<json-path-expr>"):
        custom_columns("NAME")


def test_sort_by_numbers_by_value_and_missing_everywhere_is_kubectls_error():
    items = [{"n": 10, "s": "b"}, {"n": 9, "s": "c"}, {"n": 100, "s": "a"}]
    assert [i["n"] for i in sort_by(items, ".n")] == [9, 10, 100]
    assert [i["s"] for i in sort_by(items, "{.s}")] == ["a", "b", "c"]
    with pytest.raises(JSONPathError, match='couldn\'t find any field with path "{.nope}" in the list of objects'):
        sort_by(items, ".nope")


def test_sort_by_puts_objects_without_the_field_first():
    items = [{"s": "b"}, {}, {"s": "a"}]
    assert sort_by(items, ".s") == [{}, {"s": "a"}, {"s": "b"}]


def test_label_columns_are_named_by_the_keys_last_segment():
    from karmadactl.cli.printers import label_cells, label_headers

    keys = ["app.kubernetes.io/name", "tier"]
    assert label_headers(keys, True) == ("NAME", "TIER", "LABELS")
    obj = {"metadata": {"labels": {"app.kubernetes.io/name": "web", "a": "1"}}}
    assert label_cells(obj, keys, True) == ["web", "", "a=1,app.kubernetes.io/name=web"]


def test_watch_reports_added_changed_and_deleted_objects_once():
    from karmadactl.cli.get_watch import _versions, changes
    from karmadactl.cli.printers import Section

    def reading(*objects):
        return _versions([Section("configmap", [(None, o) for o in objects], None)])

    def cm(name, rv):
        return {"metadata": {"name": name, "namespace": "default", "resourceVersion": rv}}

    before = reading(cm("a", "1"), cm("b", "1"), cm("c", "1"))
    after = reading(cm("a", "1"), cm("b", "2"), cm("d", "1"))
    printed = [(row[1]["metadata"]["name"], row[1]["metadata"]["resourceVersion"]) for _, row in changes(before, after)]
    assert printed == [("b", "2"), ("c", "1"), ("d", "1")]       # c in its last state; a unchanged: not printed
    assert changes(after, after) == []
