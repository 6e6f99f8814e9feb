"""Small helpers for Kubernetes object metadata and time."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from karmadactl.apis.names import label_value, qualified_name

# what an API server sets on every object; a manifest given by a user never carries it meaningfully
SERVER_SET_METADATA = ("uid", "resourceVersion", "creationTimestamp", "generation", "managedFields", "selfLink")


def rfc3339(at: datetime) -> str:
    """A time as Kubernetes writes it (RFC 3339, UTC, whole seconds)."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def micro_time(at: datetime) -> str:
    """A MicroTime (with microseconds), as a Lease's renewTime."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now() -> str:
    """The current time as Kubernetes writes it."""
    return rfc3339(datetime.now(UTC))


def parse_time(value: str) -> datetime:
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def age(timestamp: str | None, at: datetime | None = None) -> str:
    """kubectl's short age: 45s, 12m, 3h, 5d, 2y."""
    if not timestamp:
        return "<unknown>"
    seconds = int(((at or datetime.now(UTC)) - parse_time(timestamp)).total_seconds())
    seconds = max(seconds, 0)
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size * (2 if unit != "m" else 1):
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def check_label_key(key: str, where: str) -> None:
    from karmadactl.errors import InvalidInput

    if qualified_name(key):
        raise InvalidInput(f"{where}: invalid label key {key!r}")


def check_label_value(value: str, where: str) -> None:
    from karmadactl.errors import InvalidInput

    if label_value(value):
        raise InvalidInput(f"{where}: invalid label value {value!r}")


def parse_key_values(pairs: list[str], flag: str, values_are_labels: bool = True) -> dict[str, str]:
    """`-l a=b -l c=d` into a dict; keys checked as label keys, values as label values unless told not to."""
    from karmadactl.errors import InvalidInput

    out: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise InvalidInput(f"{flag} {pair!r}: expected key=value")
        check_label_key(key, flag)
        if values_are_labels:
            check_label_value(value, flag)
        out[key] = value
    return out


_DURATION = re.compile(r"^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m(?!s))?(?:(\d+(?:\.\d+)?)s)?(?:(\d+)ms)?$")


def parse_duration(text: str, flag: str = "duration") -> timedelta:
    """`30s`, `10m`, `1h`, `2d`, `500ms`, `1.5s`, or combined like `1h30m`."""
    from karmadactl.errors import UsageError

    m = _DURATION.match(text.strip())
    if not text.strip() or not m or not any(m.groups()):
        raise UsageError(f"{flag} {text!r}: expected a duration like 500ms, 30s, 10m, 1h or 2d")
    days, hours, minutes = (int(g or 0) for g in m.groups()[:3])
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=float(m.group(4) or 0),
                     milliseconds=int(m.group(5) or 0))
