"""Events as kubectl prints them (pure functions of cli/members_view.py).

kubectl's rules read in kubernetes/kubernetes pkg/printers/internalversion/printers.go (printEvent: LAST SEEN,
OBJECT) and staging/src/k8s.io/kubectl/pkg/describe/describe.go (DescribeEvents: Age, From, order)."""

from __future__ import annotations

from datetime import UTC, datetime

from karmadactl.cli.members_view import event_interval, event_object, event_order, event_source

NOW = datetime(2026, 1, 1, 1, 0, 0, tzinfo=UTC)


def test_a_repeated_event_shows_its_last_time_count_and_first_time():
    event = {"count": 4, "firstTimestamp": "2026-01-01T00:50:00Z", "lastTimestamp": "2026-01-01T00:57:00Z"}
    assert event_interval(event, NOW) == "3m (x4 over 10m)"


def test_a_series_uses_its_last_observed_time_and_the_event_time():
    # MicroTime; HumanDuration truncates to whole seconds (44.5s -> 44s)
    event = {"eventTime": "2026-01-01T00:59:15.500000Z",
             "series": {"count": 2, "lastObservedTime": "2026-01-01T00:59:50.000000Z"}}
    assert event_interval(event, NOW) == "10s (x2 over 44s)"


def test_a_single_event_shows_its_first_time_in_human_duration():
    assert event_interval({"count": 1, "firstTimestamp": "2026-01-01T00:54:30Z"}, NOW) == "5m30s"
    assert event_interval({}, NOW) == "<unknown>"


def test_object_source_and_order():
    assert event_object({"involvedObject": {"kind": "Deployment", "name": "web"}}) == "deployment/web"
    assert event_object({"involvedObject": {"kind": "Node"}}) == "node"
    assert event_source({"source": {"component": "kubelet", "host": "n1"}}) == "kubelet"
    assert event_source({"reportingController": "karmada"}) == "karmada"
    events = [{"lastTimestamp": "2026-01-01T00:10:00Z"}, {"eventTime": "2026-01-01T00:05:00.500000Z"},
              {"series": {"lastObservedTime": "2026-01-01T00:07:00.000000Z"}, "lastTimestamp": "2026-01-01T00:01:00Z"}]
    assert [events.index(e) for e in sorted(events, key=event_order)] == [1, 2, 0]
