"""karmadactl's scheduler: Karmada's filter, score, spread and replica division, pure.

    from karmadactl.scheduler import schedule, ScheduleRequest
    result = schedule(ScheduleRequest(placement=policy.placement, replicas=3), clusters)
"""

from karmadactl.scheduler.core import schedule
from karmadactl.scheduler.types import ScheduleError, ScheduleRequest, ScheduleResult, TargetCluster

__all__ = ["schedule", "ScheduleRequest", "ScheduleResult", "ScheduleError", "TargetCluster"]
