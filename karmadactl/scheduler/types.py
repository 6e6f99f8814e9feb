"""The scheduler's inputs and outputs; shared by filters, spread and assignment."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.policy import Placement

MAX_INT32 = 2 ** 31 - 1


@dataclass
class TargetCluster:
    """One entry of a binding's spec.clusters."""

    name: str
    replicas: int | None = None      # None for non-workloads

    def to_dict(self) -> dict:
        return {"name": self.name} if self.replicas is None else {"name": self.name, "replicas": self.replicas}


@dataclass
class ScheduleRequest:
    """What the scheduler needs of a ResourceBinding."""

    placement: Placement
    replicas: int = 0                        # 0: a non-workload (every selected cluster, no replicas)
    replica_requirements: dict | None = None  # the binding's spec.replicaRequirements
    uid: str = ""                            # template uid: Webster's tie-break
    api_version: str = ""
    kind: str = ""
    previous: list[TargetCluster] = field(default_factory=list)    # current spec.clusters
    evicted: set[str] = field(default_factory=set)                 # clusters of gracefulEvictionTasks
    observing_affinity: str = ""            # status.schedulerObservingAffinityName
    fresh: bool = False                     # a reschedule was triggered: divide from scratch


@dataclass
class Candidate:
    """A cluster that passed the filters, with what selection and assignment need."""

    cluster: Cluster
    score: int = 0
    allocatable: int = 0        # replicas that still fit (the estimators' answer)
    available: int = 0          # allocatable + replicas already assigned there
    overflow_order: int = 0     # 0 for the primary affinity, i for the i-th overflow group

    @property
    def name(self) -> str:
        return self.cluster.name


@dataclass
class ScheduleResult:
    clusters: list[TargetCluster]
    affinity_name: str = ""     # the clusterAffinities term that succeeded


class ScheduleError(Exception):
    """Scheduling failed: reason is Karmada's condition reason (NoClusterFit, Unschedulable, ...)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message
