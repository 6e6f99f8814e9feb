"""The FullyApplied condition a binding takes from its Works: when its lastTransitionTime moves."""

from karmadactl.apis.karmada import ResourceBindingStatus
from karmadactl.controllers.status import _fully_applied

T0, T1 = "2026-01-01T00:00:00Z", "2026-01-01T00:05:00Z"
SCHEDULED = {"type": "Scheduled", "status": "True", "reason": "Success", "lastTransitionTime": T0}


def fully_applied(conditions: list[dict]) -> dict:
    return next(c for c in conditions if c["type"] == "FullyApplied")


def test_a_new_condition_is_stamped_now_and_the_others_stay_sorted_by_type():
    conditions = _fully_applied(ResourceBindingStatus(conditions=[SCHEDULED]), True, T0)
    assert [c["type"] for c in conditions] == ["FullyApplied", "Scheduled"]
    assert conditions[1] == SCHEDULED
    assert fully_applied(conditions) == {"type": "FullyApplied", "status": "True", "reason": "FullyAppliedSuccess",
                                         "message": "All works have been successfully applied",
                                         "lastTransitionTime": T0}


def test_an_unchanged_status_keeps_its_time_and_a_changed_one_moves_it():
    first = _fully_applied(ResourceBindingStatus(conditions=[SCHEDULED]), True, T0)
    same = _fully_applied(ResourceBindingStatus(conditions=first), True, T1)
    assert fully_applied(same)["lastTransitionTime"] == T0
    failed = fully_applied(_fully_applied(ResourceBindingStatus(conditions=first), False, T1))
    assert (failed["status"], failed["reason"], failed["lastTransitionTime"]) == ("False", "FullyAppliedFailed", T1)
