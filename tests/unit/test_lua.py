"""The Lua VM for customizations: conversions, the kube library, the sandbox, the time limit,
and resolution (customization first, then the built-in interpreter)."""

from __future__ import annotations

import pytest

from karmadactl.errors import InvalidInput
from karmadactl.interpreter import lua, resolve
from karmadactl.interpreter.customization import Customization, parse_all, scripts_for
from karmadactl.interpreter.lua import InterpreterError


def call(body: str, *args, results: int = 1, timeout: float = lua.TIMEOUT_SECONDS):
    out = lua.run(f"function F(a, b)\n{body}\nend", "F", *args, results=results, timeout=timeout)
    return out[0] if results == 1 else out


# -- conversions ----------------------------------------------------------------------------

def test_objects_reach_lua_with_one_based_arrays():
    obj = {"spec": {"ports": [{"port": 80}, {"port": 443}], "paused": False}}
    assert call("return a.spec.ports[1].port, a.spec.ports[2].port, #a.spec.ports, a.spec.paused",
                obj, results=4) == [80, 443, 2, False]


def test_json_nulls_vanish_on_the_way_in():
    """luavm/lua.go decodeValue + gopher-lua table.go Append: a null field is an absent key, a null list
    element is skipped and the later ones move up."""
    obj = {"gone": None, "list": ["a", None, "b"]}
    assert call("return a.gone == nil, #a.list, a.list[2]", obj, results=3) == [True, 2, "b"]


def test_tables_come_back_as_lists_and_sorted_objects():
    assert call("return {z = 1, a = {'x', 'y'}, m = {k = true}}") == {"a": ["x", "y"], "m": {"k": True}, "z": 1}
    assert list(call("return {z = 1, a = 2}")) == ["a", "z"]


def test_integral_numbers_are_ints_and_fractions_stay_floats():
    assert call("return {n = a / 2, m = a / 4, f = math.floor(7 / 2)}", 6) == {"f": 3, "m": 1.5, "n": 3}
    assert isinstance(call("return a / 2", 6), int)


def test_nested_empty_tables_without_references_are_dropped_and_empty_root_follows_the_caller():
    # Karmada: luavm/lua_convert.go convertEmptySliceToEmptyStructPartly (no references: delete)
    assert call("return {spec = {}, items = {1, {}}, keep = {x = {}}}") == {"items": [1], "keep": {}}
    assert call("return {}") == {}
    assert lua.run("function F() return {} end", "F", empty=list) == [[]]
    assert lua.from_lua(None, empty=dict) is None


# Karmada's VM is gopher-lua: vendor/github.com/yuin/gopher-lua/table.go LTable.Next walks the array
# part (keys 1..n) ascending, then the hash keys in the order they were first inserted; a key set to
# nil keeps its place and takes it again when set anew (RawSetString/RawSetH keep keys and k2i).
KEYS = "local out = {} for k in pairs(t) do out[#out + 1] = tostring(k) end return out"


@pytest.mark.parametrize("build, order", [
    ("local t = {zeta = 1, alpha = 2, mid = 3, [\"beta\"] = 4}", ["zeta", "alpha", "mid", "beta"]),
    ("local t = {} t.zeta = 1 t.alpha = 2 t.mid = 3", ["zeta", "alpha", "mid"]),
    ("local t = {z = 1, a = 2, m = 3} t.b = 4 t.z = nil t.z = 5", ["z", "a", "m", "b"]),
    ("local t = {y = 1, 10, 20} t[4] = 40 t.b = 2 t[3] = 30", ["1", "2", "3", "4", "y", "b"]),
    ("local t = {} for _, k in ipairs({'s', 'r', 'q', 'p'}) do t[k] = {n = k} end", ["s", "r", "q", "p"]),
])
def test_pairs_follows_gopher_lua_order(build, order):
    assert call(f"{build}\n{KEYS}") == order


def test_next_walks_the_same_order_and_skips_deleted_keys():
    body = ("local t = {c = 1, b = 2, a = 3} t.b = nil\n"
            "local out, k = {}, next(t)\n"
            "while k do out[#out + 1] = k k = next(t, k) end\n"
            "return out")
    assert call(body) == ["c", "a"]


def test_objects_given_to_lua_iterate_in_their_field_order():
    obj = {"status": {"conditions": {"Zeta": 1, "Alpha": 2, "Mid": 3}}}
    body = "local out = {} for k in pairs(a.status.conditions) do out[#out + 1] = k end return out"
    assert call(body, obj) == ["Zeta", "Alpha", "Mid"]


AGGREGATE_BY_TYPE = """
function AggregateStatus(desired, items)
  local latest = {}
  for i = 1, #items do
    for _, c in ipairs(items[i].status.conditions) do
      local seen = latest[c.type]
      if seen == nil or c.lastTransitionTime > seen.lastTransitionTime then latest[c.type] = c end
    end
  end
  desired.status = {conditions = {}}
  for _, c in pairs(latest) do table.insert(desired.status.conditions, c) end
  return desired
end
"""


def test_an_aggregate_built_with_pairs_has_the_same_order_on_every_run():
    """Lua 5.4 alone would order these by string hash, seeded anew per interpreter; Karmada's
    gopher-lua gives first-insertion order, so Volcano's and MPIJob's bundled AggregateStatus
    (conditions keyed by type, gathered with pairs) list them as first seen."""
    kinds = ["Pending", "Running", "Completed", "Failed", "Aborted", "Restarting", "Terminated", "Queued"]
    items = [{"clusterName": f"m{n}", "status": {"conditions": [
        {"type": kind, "lastTransitionTime": f"2025-01-0{n}T00:00:0{i}Z"} for i, kind in enumerate(kinds)]}}
        for n in (1, 2)]
    job = {"apiVersion": "batch.volcano.sh/v1alpha1", "kind": "Job", "metadata": {"name": "j"}}
    for _ in range(5):
        out = resolve.lua_aggregate_status(AGGREGATE_BY_TYPE, job, items)
        assert [c["type"] for c in out["status"]["conditions"]] == kinds
        assert {c["lastTransitionTime"][:10] for c in out["status"]["conditions"]} == {"2025-01-02"}


def test_table_constructors_are_rewritten_on_the_same_lines():
    script = ('local function f(x) return x end function F(o)\n  local t = {\n'
              '    a = 1, -- {not a table}\n    b = "}",\n'
              '    c = [[{]],\n    d = f{1},\n  }\n  error("line 8")\nend\n')
    assert lua._track_source(script).count("\n") == script.count("\n")
    with pytest.raises(InterpreterError, match="customization:8: line 8"):
        lua.run(script, "F")


def test_a_letter_outside_ascii_is_left_for_lua_to_refuse():
    script = "function F(o)\n  local t = {caf\u00e9 = 1, b = 2}\n  return t\nend\n"
    assert "caf\u00e9 = 1" in lua._track_source(script)
    with pytest.raises(InterpreterError, match="customization:2"):
        lua.run(script, "F")


# -- empty tables: Karmada's luavm/lua_convert.go ConvertLuaResultInto ------------------------

def test_empty_results_are_an_empty_object_or_an_empty_list():
    """Step 1 of convertEmptySliceToEmptyStructPartly: a whole result of `[]` is `{}` for object
    targets (RawExtension, ReplicaRequirements), `[]` for list targets (dependencies, components)."""
    assert resolve.lua_reflect_status("function ReflectStatus(o) return {} end", DEPLOYMENT) == {}
    assert resolve.lua_get_dependencies(["function GetDependencies(o) return {} end"], DEPLOYMENT) == []
    assert resolve.lua_get_components("function GetComponents(o) return {} end", DEPLOYMENT) == []
    assert resolve.lua_get_replicas("function GetReplicas(o) return 2, {} end", DEPLOYMENT) == (2, {})


def test_an_object_result_without_kind_is_refused_as_karmada_refuses_it():
    """Retain, ReviseReplica and AggregateStatus decode into an Unstructured, which needs a kind
    (k8s.io/apimachinery unstructured.go unstructuredJSONScheme.Decode: NewMissingKindErr)."""
    for operation, call_it in (
            ("Retain", lambda: resolve.lua_retain("function Retain(d, o) return {} end", DEPLOYMENT, DEPLOYMENT)),
            ("ReviseReplica", lambda: resolve.lua_revise_replica(
                "function ReviseReplica(o, r) return {spec = {replicas = r}} end", DEPLOYMENT, 2)),
            ("AggregateStatus", lambda: resolve.lua_aggregate_status(
                "function AggregateStatus(o, items) return {} end", DEPLOYMENT, []))):
        with pytest.raises(InterpreterError, match=f"{operation}: .*Object 'Kind' is missing"):
            call_it()


RAY = {"apiVersion": "ray.io/v1", "kind": "RayService", "metadata": {"name": "r"},
       "spec": {"rayClusterConfig": {"headGroupSpec": {"rayStartParams": {}, "template": {"spec": {
           "containers": [{"name": "head", "env": [], "ports": [{"containerPort": 1, "extra": {}}]}]}}},
           "workerGroupSpecs": [{"groupName": "w", "replicas": 1, "rayStartParams": {}}]}}}


def test_revise_replica_keeps_the_empty_fields_of_the_object_it_was_given():
    """References for ReviseReplica: the original object (luavm/lua.go ReviseReplica). A nested
    empty table is {} or [] as at the same path there (list indices ignored), else dropped."""
    script = ("function ReviseReplica(obj, replicas)\n"
              "  obj.spec.rayClusterConfig.workerGroupSpecs[1].replicas = replicas\n"
              "  obj.spec.added = {}\n"
              "  return obj\nend")
    revised = resolve.lua_revise_replica(script, RAY, 4)
    head = revised["spec"]["rayClusterConfig"]["headGroupSpec"]
    assert head["rayStartParams"] == {}
    assert head["template"]["spec"]["containers"][0]["env"] == []
    assert head["template"]["spec"]["containers"][0]["ports"] == [{"containerPort": 1, "extra": {}}]
    assert revised["spec"]["rayClusterConfig"]["workerGroupSpecs"] == [
        {"groupName": "w", "replicas": 4, "rayStartParams": {}}]
    assert "added" not in revised["spec"]


def test_retain_keeps_empty_fields_of_the_desired_and_the_observed_object():
    """References for Retain: desired and observed (luavm/lua.go Retain)."""
    desired = {"apiVersion": "x/v1", "kind": "K", "metadata": {"name": "k"}, "spec": {"labels": {}}}
    observed = {**desired, "spec": {"labels": {"a": "b"}, "claims": []}, "status": {"seen": {}}}
    script = ("function Retain(d, o)\n  d.spec.claims = {}\n  d.status = {seen = {}, fresh = {}}\n"
              "  return d\nend")
    retained = resolve.lua_retain(script, desired, observed)
    assert retained["spec"] == {"labels": {}, "claims": []}
    assert retained["status"] == {"seen": {}}


def test_operations_without_references_drop_nested_empty_tables():
    status = resolve.lua_reflect_status(
        "function ReflectStatus(o) return {conditions = {}, replicas = 1, nodeClaim = {}} end", RAY)
    assert status == {"replicas": 1}
    aggregated = resolve.lua_aggregate_status(
        "function AggregateStatus(o, items) o.status = {conditions = {}} return o end", RAY, [])
    assert aggregated["status"] == {}
    # and the Ray object's own empty fields are gone too: AggregateStatus has no reference object
    assert "rayStartParams" not in aggregated["spec"]["rayClusterConfig"]["headGroupSpec"]


def test_status_items_reach_lua_as_karmada_marshals_them():
    """binding_types.go AggregatedStatusItem: applied and health are omitempty, so a Work that
    is not applied shows `applied == nil` to the script, never false."""
    script = ("function AggregateStatus(o, items)\n  o.status = {}\n"
              "  for i, item in ipairs(items) do o.status[item.clusterName] = tostring(item.applied) end\n"
              "  return o\nend")
    items = [{"clusterName": "a", "applied": False, "health": ""}, {"clusterName": "b", "applied": True}]
    assert resolve.lua_aggregate_status(script, DEPLOYMENT, items)["status"] == {"a": "nil", "b": "true"}
    nil_items = "function AggregateStatus(o, items) o.status = {none = items == nil} return o end"
    assert resolve.lua_aggregate_status(nil_items, DEPLOYMENT, None)["status"] == {"none": True}


def test_tostring_prints_numbers_as_lua_5_1_does():
    """gopher-lua value.go LNumber.String: an integral number prints without ".0" (Lua 5.4 would print
    "3.0"), others in Go's shortest form."""
    assert call("return tostring(a / 2), tostring(1 / 3), tostring(0.5), tostring(a)", 6, results=4) == [
        "3", "0.3333333333333333", "0.5", "6"]


def test_sparse_and_mixed_tables_are_clear_errors():
    with pytest.raises(InterpreterError, match="sparse array"):
        call("return {[1] = 'a', [3] = 'b'}")
    with pytest.raises(InterpreterError, match="mixed or invalid key types"):
        call("return {1, name = 'x'}")


# -- kube library ---------------------------------------------------------------------------

def test_kube_resource_add_and_quantity():
    body = ('local kube = require("kube")\n'
            'return kube.resourceAdd("1", "500m", nil), kube.resourceAdd("1Gi", "512Mi"), '
            'kube.getResourceQuantity("1500m"), kube.getResourceQuantity("2Ki")')
    assert call(body, results=4) == ["1500m", "1536Mi", 1.5, 2048]


def test_kube_pod_requirements_and_dependencies():
    template = {"spec": {"nodeSelector": {"zone": "a"}, "serviceAccountName": "runner",
                         "containers": [{"name": "c", "resources": {"limits": {"cpu": "2"}},
                                         "envFrom": [{"configMapRef": {"name": "settings"}}]}]}}
    body = ('local kube = require("kube")\n'
            'return kube.accuratePodRequirements(a), kube.getPodDependencies(a, "prod"), '
            'kube.getPodDependencies(a, nil)[1].namespace')
    requires, deps, default_ns = call(body, template, results=3)
    assert requires == {"nodeClaim": {"nodeSelector": {"zone": "a"}}, "resourceRequest": {"cpu": "2"}}
    assert {(d["kind"], d["namespace"], d["name"]) for d in deps} == {
        ("ConfigMap", "prod", "settings"), ("ServiceAccount", "prod", "runner")}
    assert default_ns == "default"


def test_kube_helper_errors_are_interpreter_errors():
    with pytest.raises(InterpreterError, match="quantity 'lots'"):
        call('return require("kube").resourceAdd("lots")')


# -- sandbox --------------------------------------------------------------------------------

@pytest.mark.parametrize("body, message", [
    ("return io.open('/etc/passwd')", "global 'io'"),
    ("return os.execute('id')", "field 'execute'"),
    ("return os.getenv('HOME')", "field 'getenv'"),
    ("return require('os')", "module 'os' not found"),
    ("return dofile('/etc/passwd')", "dofile is not supported"),
    ("return loadfile('/etc/passwd')", "loadfile is not supported"),
    ("return load('return 1')", "load is not supported"),
    ("return load(string.dump(function() return 1 end))", "string.dump is not supported"),
    ("return debug.getinfo(1)", "global 'debug'"),
    ("return package.loadlib('libc.so.6', 'system')", "global 'package'"),
    ("return python.eval('1')", "global 'python'"),
    ("return getmetatable('').__index", "getmetatable is not supported"),
    ("return collectgarbage('count')", "collectgarbage is not supported"),
    ("return string.rep('x', 100)", "string.rep is not supported"),
])
def test_escapes_fail_with_a_clear_error(body, message):
    with pytest.raises(InterpreterError, match=message.replace(".", r"\.").replace("(", r"\(")):
        call(body)


def test_a_binary_chunk_is_refused_as_a_script():
    with pytest.raises(InterpreterError, match="binary chunk"):
        lua.run("\x1bLuaT\x00", "F")


def test_safe_libraries_still_work():
    assert call("return string.format('%s-%d', string.upper('a'), 3), math.max(1, 5), "
                "table.concat({'x', 'y'}, ','), type(os.time())", results=4) == ["A-3", 5, "x,y", "number"]


def test_an_endless_loop_times_out():
    with pytest.raises(InterpreterError, match="timed out"):
        call("while true do end", timeout=0.2)


def test_pcall_cannot_swallow_the_time_out():
    body = "while true do pcall(function() while true do end end) end"
    with pytest.raises(InterpreterError, match="timed out"):
        call(body, timeout=0.2)


def test_runaway_memory_is_stopped():
    with pytest.raises(InterpreterError, match="memory limit"):
        call("local t, s = {}, 'x' for i = 1, 64 do s = s .. s; t[i] = s end")


def test_script_errors_carry_the_lua_message():
    with pytest.raises(InterpreterError, match="customization:2: replicas missing"):
        call("error('replicas missing')")
    with pytest.raises(InterpreterError, match="not found function GetReplicas"):
        lua.run("x = 1", "GetReplicas")
    with pytest.raises(InterpreterError, match="expected near"):
        lua.check("function GetReplicas(", "GetReplicas")


def test_every_call_starts_from_a_fresh_interpreter():
    lua.run("function F() leaked = 1 end", "F")
    assert lua.run("function F() return leaked end", "F") == [None]


# -- customizations and resolution ----------------------------------------------------------

def ric(name: str, kind: str, **rules: str) -> dict:
    return {"apiVersion": "config.karmada.io/v1alpha1", "kind": "ResourceInterpreterCustomization",
            "metadata": {"name": name},
            "spec": {"target": {"apiVersion": "apps/v1", "kind": kind},
                     "customizations": {rule: {"luaScript": script} for rule, script in rules.items()}}}


DEPLOYMENT = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "ns"},
              "spec": {"replicas": 5, "template": {"spec": {"containers": [{"name": "c"}]}}}}


def test_customization_validation_names_the_field():
    with pytest.raises(InvalidInput, match="spec.target.kind: required"):
        Customization.from_dict({**ric("x", ""), "spec": {"target": {"apiVersion": "v1"}}})
    with pytest.raises(InvalidInput, match="unknown rule"):
        Customization.from_dict(ric("x", "Deployment", scaling="function F() end"))
    with pytest.raises(InvalidInput, match="luaScript: required"):
        Customization.from_dict(ric("x", "Deployment", retention=""))


def test_customization_wins_over_the_builtin_interpreter():
    custom = parse_all([ric("double", "Deployment", replicaResource=(
        "function GetReplicas(obj) return obj.spec.replicas * 2, nil end"))])
    assert resolve.interpret_replicas(DEPLOYMENT, custom) == (10, None)
    assert resolve.interpret_replicas(DEPLOYMENT) == (5, None)
    # other operations and other kinds still use the built-in interpreter
    assert resolve.revise_replicas(DEPLOYMENT, 2, custom)["spec"]["replicas"] == 2
    assert resolve.interpret_health({**DEPLOYMENT, "kind": "StatefulSet"}, custom) in ("Healthy", "Unhealthy")


def test_first_by_name_wins_and_dependency_scripts_are_merged():
    dep = 'function GetDependencies(o) return {{apiVersion="v1", kind="Secret", namespace="ns", name="%s"}} end'
    custom = parse_all([
        ric("b", "Deployment", healthInterpretation="function InterpretHealth(o) return false end",
            dependencyInterpretation=dep % "two"),
        ric("a", "Deployment", healthInterpretation="function InterpretHealth(o) return true end",
            dependencyInterpretation=dep % "one"),
    ])
    assert len(scripts_for(custom, DEPLOYMENT, "InterpretHealth")) == 1
    assert resolve.interpret_health(DEPLOYMENT, custom) == "Healthy"
    assert [d["name"] for d in resolve.get_dependencies(DEPLOYMENT, custom)] == ["one", "two"]


def test_results_of_the_wrong_type_are_reported():
    custom = parse_all([ric("h", "Deployment", healthInterpretation="function InterpretHealth(o) return 1 end",
                            replicaResource="function GetReplicas(o) return 'many' end")])
    with pytest.raises(InterpreterError, match="InterpretHealth: InterpretHealth must return a boolean"):
        resolve.interpret_health(DEPLOYMENT, custom)
    with pytest.raises(InterpreterError, match="replica must be a number"):
        resolve.interpret_replicas(DEPLOYMENT, custom)
