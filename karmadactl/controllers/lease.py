"""The watch lease: one `watch` acts per store; the others stand by.

A Lease object in the store (compare-and-swap like everything there) names
its holder and when it last renewed. The holder renews it before each pass
and acts only while it holds it; a standby takes it over once it has not been
renewed for the lease duration, so a killed leader is replaced within one
lease period and never two watches act at once.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from karmadactl.apis.meta import micro_time
from karmadactl.apis.wellknown import KARMADACTL_API_VERSION
from karmadactl.errors import AlreadyExists, Conflict
from karmadactl.store.keys import ObjectKey

GROUP_KIND = "Lease.karmadactl.io"
NAME = "watch"
KEY = ObjectKey(GROUP_KIND, "", NAME)


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value)


def acquire(store, holder: str, duration: timedelta, now: datetime) -> bool:
    """Take or renew the lease for `holder`; False while someone else holds a live one."""
    try:
        with store.write() as tx:
            lease = tx.get(KEY)
            if lease is None:
                tx.create({"apiVersion": KARMADACTL_API_VERSION, "kind": "Lease", "metadata": {"name": NAME},
                           "spec": {"holderIdentity": holder, "leaseDurationSeconds": duration.total_seconds(),
                                    "acquireTime": micro_time(now), "renewTime": micro_time(now),
                                    "leaseTransitions": 0}})
                return True
            spec = lease["spec"]
            mine = spec.get("holderIdentity") == holder
            expired = _parse(spec["renewTime"]) + timedelta(seconds=spec["leaseDurationSeconds"]) <= now
            if not mine and not expired and spec.get("holderIdentity"):
                return False
            if not mine:
                spec["leaseTransitions"] = spec.get("leaseTransitions", 0) + 1
                spec["acquireTime"] = micro_time(now)
            spec.update(holderIdentity=holder, renewTime=micro_time(now),
                        leaseDurationSeconds=duration.total_seconds())
            tx.update(lease)
            return True
    except (Conflict, AlreadyExists):   # another watch got there first
        return False


def release(store, holder: str) -> None:
    """Give the lease up at a clean shutdown, so a standby takes over at once."""
    try:
        with store.write() as tx:
            lease = tx.get(KEY)
            if lease and lease["spec"].get("holderIdentity") == holder:
                lease["spec"]["holderIdentity"] = ""
                tx.update(lease)
    except Conflict:
        pass


def holder(store) -> str:
    with store.read() as tx:
        lease = tx.get(KEY)
    return (lease or {}).get("spec", {}).get("holderIdentity", "")
