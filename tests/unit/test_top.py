"""top's tables, pure: units, rounding, order, the --sum line and nodes without metrics.

kubectl prints CPU as Quantity.MilliValue() and memory as Quantity.Value()/Mi
(staging/src/k8s.io/kubectl/pkg/metricsutil/metrics_printer.go); MilliValue is ceil(q * 1000)
and Value ceil(q) (ScaledValue in staging/src/k8s.io/apimachinery/pkg/api/resource/quantity.go). A node
listed without metrics prints <unknown> in every usage column (printMissingMetricsNodeLine);
Karmada's printer adds CLUSTER after NAME (karmada-io/karmada pkg/karmadactl/top/metrics_printer.go).
"""

from __future__ import annotations

from karmadactl.cli.top import byte_count, milli_cores, node_table, pod_table


def pm(name: str, namespace: str = "default", **containers: tuple[str, str]) -> dict:
    return {"metadata": {"name": name, "namespace": namespace},
            "containers": [{"name": c, "usage": {"cpu": cpu, "memory": memory}}
                           for c, (cpu, memory) in containers.items()]}


def test_cpu_rounds_up_to_millicores_and_memory_is_bytes():
    assert milli_cores("1234567n") == 2
    assert milli_cores("250m") == 250
    assert milli_cores("1") == 1000
    assert milli_cores("0") == 0
    assert byte_count("1536Ki") == 1536 * 1024


def test_pod_rows_sum_the_containers_and_sort_by_cluster_then_name():
    headers, rows = pod_table([("member2", pm("b", app=("100m", "1Mi"))),
                               ("member1", pm("z", app=("1500000n", "2048Ki"),
                                              proxy=("500000n", "1024Ki")))],
                              containers=False, with_namespace=False, sort_by=None, total=False)
    assert headers == ["NAME", "CLUSTER", "CPU(cores)", "MEMORY(bytes)"]
    assert rows == [["z", "member1", "3m", "3Mi"], ["b", "member2", "100m", "1Mi"]]


def test_sort_by_memory_is_largest_first_and_the_sum_sits_under_its_columns():
    found = [("m1", pm("a", c=("10m", "10Mi"))), ("m1", pm("b", c=("20m", "30Mi"))),
             ("m2", pm("c", c=("30m", "20Mi")))]
    headers, rows = pod_table(found, containers=False, with_namespace=True, sort_by="memory",
                              total=True)
    assert headers[0] == "NAMESPACE"
    assert [r[1] for r in rows[:3]] == ["b", "c", "a"]
    assert rows[3] == ["", "", "", "________", "________"]
    assert rows[4] == ["", "", "", "60m", "60Mi"]


def test_a_node_without_metrics_shows_unknown_and_percentages_use_allocatable():
    found = [("m1", {"metadata": {"name": "n0"}, "usage": {"cpu": "2", "memory": "4Gi"}})]
    allocatable = {"m1": {"n0": {"cpu": "8", "memory": "16Gi"},
                          "n1": {"cpu": "8", "memory": "16Gi"}}}
    headers, rows = node_table(found, allocatable, sort_by=None)
    assert headers == ["NAME", "CLUSTER", "CPU(cores)", "CPU%", "MEMORY(bytes)", "MEMORY%"]
    assert rows == [["n0", "m1", "2000m", "25%", "4096Mi", "25%"],
                    ["n1", "m1", "<unknown>", "<unknown>", "<unknown>", "<unknown>"]]
