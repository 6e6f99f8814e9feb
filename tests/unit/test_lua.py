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
