"""InterpretReplica / ReviseReplica of the built-in workloads (spec §4.2, §4.3, §2.6)."""

from __future__ import annotations

import copy

import pytest

from karmadactl.interpreter.replicas import interpret_replicas, revise_replicas


def container(name="app", requests=None, limits=None, **extra) -> dict:
    resources = {}
    if requests is not None:
        resources["requests"] = requests
    if limits is not None:
        resources["limits"] = limits
    return {"name": name, "image": "nginx", "resources": resources, **extra}


def workload(kind="Deployment", api_version="apps/v1", pod_spec=None, namespace="default", **spec) -> dict:
    pod_spec = pod_spec if pod_spec is not None else {"containers": [container()]}
    body = {"apiVersion": api_version, "kind": kind, "metadata": {"name": "web", "namespace": namespace}}
    if kind == "Pod":
        body["spec"] = pod_spec
    else:
        body["spec"] = {**spec, "template": {"metadata": {"labels": {"app": "web"}}, "spec": pod_spec}}
    return body


# -- replicas -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, api_version, spec, expected", [
    ("Deployment", "apps/v1", {"replicas": 3}, 3),
    ("Deployment", "apps/v1", {}, 1),                      # kube-apiserver defaults replicas to 1
    ("Deployment", "apps/v1", {"replicas": 0}, 0),
    ("StatefulSet", "apps/v1", {"replicas": 5}, 5),
    ("ReplicaSet", "apps/v1", {"replicas": 2}, 2),
    ("Job", "batch/v1", {}, 1),                            # parallelism 1, completions = parallelism
    ("Job", "batch/v1", {"parallelism": 4}, 4),            # work-queue job: completions unset
    ("Job", "batch/v1", {"parallelism": 5, "completions": 3}, 3),
    ("Job", "batch/v1", {"parallelism": 2, "completions": 10}, 2),
    ("Job", "batch/v1", {"completions": 10}, 1),           # parallelism defaults to 1
    ("Job", "batch/v1", {"parallelism": 0, "completions": 4}, 0),
])
def test_replicas_of_workloads(kind, api_version, spec, expected):
    replicas, _ = interpret_replicas(workload(kind, api_version, **spec))
    assert replicas == expected


def test_a_pod_is_one_replica():
    pod = workload("Pod", "v1", pod_spec={"containers": [container(requests={"cpu": "100m"})]})
    assert interpret_replicas(pod) == (1, {"resourceRequest": {"cpu": "100m"}, "namespace": "default"})


@pytest.mark.parametrize("obj", [
    workload("DaemonSet", "apps/v1"),
    {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "default"},
     "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {
         "containers": [container(requests={"cpu": "1"})]}}}}}},
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c", "namespace": "default"}, "data": {}},
    {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "team"}},
    workload("Deployment", "apps/v1beta1", replicas=3),     # only the served native versions are known
    {"apiVersion": "example.io/v1", "kind": "Deployment", "metadata": {"name": "x"}, "spec": {"replicas": 3}},
])
def test_other_kinds_are_not_workloads(obj):
    assert interpret_replicas(obj) == (0, None)


# -- requirements ---------------------------------------------------------------------------

def test_requests_of_all_containers_are_summed_per_replica():
    pod_spec = {"containers": [container("a", {"cpu": "250m", "memory": "512Mi"}),
                               container("b", {"cpu": "1", "memory": "1Gi", "nvidia.com/gpu": "1"})]}
    replicas, requirements = interpret_replicas(workload(pod_spec=pod_spec, replicas=4))
    assert replicas == 4
    assert requirements == {
        "resourceRequest": {"cpu": "1250m", "memory": "1536Mi", "nvidia.com/gpu": "1"},
        "namespace": "default",
    }


def test_limits_stand_in_for_missing_requests():
    pod_spec = {"containers": [container("a", limits={"cpu": "2", "memory": "1Gi"}),
                               container("b", requests={"cpu": "100m"}, limits={"cpu": "1", "memory": "256Mi"})]}
    _, requirements = interpret_replicas(workload(pod_spec=pod_spec))
    # a: 2 cpu / 1Gi from its limits; b: its own 100m request, memory from its limit
    assert requirements["resourceRequest"] == {"cpu": "2100m", "memory": "1280Mi"}


def test_init_containers_count_when_larger_than_the_app_containers():
    pod_spec = {"containers": [container("a", {"cpu": "500m", "memory": "128Mi"})],
                "initContainers": [container("migrate", {"cpu": "2"}),
                                   container("warm", limits={"memory": "1Gi"})]}
    _, requirements = interpret_replicas(workload(pod_spec=pod_spec))
    assert requirements["resourceRequest"] == {"cpu": "2", "memory": "1Gi"}


def test_pod_overhead_is_added():
    pod_spec = {"containers": [container("a", {"cpu": "500m"})], "overhead": {"cpu": "250m"}}
    _, requirements = interpret_replicas(workload(pod_spec=pod_spec))
    assert requirements["resourceRequest"] == {"cpu": "750m"}


def test_quantities_are_rounded_up_like_karmada():
    pod_spec = {"containers": [container("a", {"cpu": "0.0001", "memory": "1000.5"})]}
    _, requirements = interpret_replicas(workload(pod_spec=pod_spec))
    assert requirements["resourceRequest"] == {"cpu": "1m", "memory": "1001"}


def test_node_claim_from_selector_tolerations_and_required_affinity():
    required = {"nodeSelectorTerms": [{"matchExpressions": [
        {"key": "topology.kubernetes.io/zone", "operator": "In", "values": ["z1"]}]}]}
    tolerations = [{"key": "gpu", "operator": "Exists", "effect": "NoSchedule"}]
    pod_spec = {
        "containers": [container()],
        "nodeSelector": {"disk": "ssd"},
        "tolerations": tolerations,
        "affinity": {"nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": required,
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 1, "preference": {}}],
        }},
        "priorityClassName": "high",
    }
    template = workload(pod_spec=pod_spec, namespace="shop")
    before = copy.deepcopy(template)
    _, requirements = interpret_replicas(template)
    assert requirements == {
        "nodeClaim": {"hardNodeAffinity": required, "nodeSelector": {"disk": "ssd"},
                      "tolerations": tolerations},
        "namespace": "shop",
        "priorityClassName": "high",
    }
    requirements["nodeClaim"]["tolerations"].append({"key": "x"})
    assert template == before                     # the template is never shared or changed


def test_only_preferred_affinity_claims_nothing():
    pod_spec = {"containers": [container()],
                "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
                    {"weight": 1, "preference": {"matchExpressions": []}}]}}}
    assert interpret_replicas(workload(pod_spec=pod_spec, replicas=2)) == (2, None)


def test_a_workload_without_requests_or_node_claim_has_no_requirements():
    assert interpret_replicas(workload(replicas=2)) == (2, None)


def test_job_requirements_come_from_its_pod_template():
    job = workload("Job", "batch/v1", pod_spec={"containers": [container(requests={"memory": "64Mi"})],
                                                 "restartPolicy": "Never"}, parallelism=3, completions=6)
    assert interpret_replicas(job) == (3, {"resourceRequest": {"memory": "64Mi"}, "namespace": "default"})


# -- revise ---------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, api_version, field", [
    ("Deployment", "apps/v1", "replicas"),
    ("StatefulSet", "apps/v1", "replicas"),
    ("ReplicaSet", "apps/v1", "replicas"),
    ("Job", "batch/v1", "parallelism"),
])
def test_revise_writes_the_members_share_into_a_copy(kind, api_version, field):
    template = workload(kind, api_version, replicas=10) if field == "replicas" else \
        workload(kind, api_version, parallelism=10, completions=20)
    before = copy.deepcopy(template)
    revised = revise_replicas(template, 3)
    assert revised["spec"][field] == 3
    assert template == before
    if kind == "Job":
        assert revised["spec"]["completions"] == 20     # the caller splits completions
    rest = copy.deepcopy(revised)
    rest["spec"][field] = before["spec"][field]
    assert rest == before                              # nothing else changed


def test_revise_sets_replicas_when_the_template_left_them_out():
    assert revise_replicas(workload(), 2)["spec"]["replicas"] == 2


@pytest.mark.parametrize("obj", [
    workload("DaemonSet", "apps/v1"),
    workload("Pod", "v1"),
    {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"replicas": "1"}},
])
def test_revise_leaves_other_kinds_alone(obj):
    revised = revise_replicas(obj, 7)
    assert revised == obj
    assert revised is not obj
