"""Webster (Sainte-Laguë) apportionment with Karmada's tie-break; pure.

Seats (replicas) are handed out one at a time to the party (cluster) with the
largest ``votes / (2*seats + 1)`` (compared as float64, as Karmada does). Ties
go to the party with fewer seats, then to the smaller name, or to the larger
name when the FNV-1a-32 hash of the template UID is odd (an empty UID always
prefers the smaller name). Each workload thus breaks ties its own way while a
given workload always gets the same answer.

The implementation jumps over the bulk of the seats with a divisor threshold
and finishes with a heap; the result is exactly that of the seat-by-seat
definition.
"""

from __future__ import annotations

import heapq

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """FNV-1a, 32 bits, of the UTF-8 bytes of text (Go's hash/fnv New32a)."""
    h = _FNV_OFFSET
    for byte in text.encode("utf-8"):
        h = ((h ^ byte) * _FNV_PRIME) & 0xFFFFFFFF
    return h


def larger_name_wins(uid: str) -> bool:
    """The name order used to break full ties: odd hash of a non-empty UID => the larger name."""
    return bool(uid) and fnv1a32(uid) % 2 == 1


def priority(votes: int, seats: int) -> float:
    """Webster priority of a party's next seat, in float64 as Karmada computes it."""
    return float(votes) / float(2 * seats + 1)


def allocate_webster(votes: dict[str, int], seats: int, uid: str = "",
                     initial: dict[str, int] | None = None) -> dict[str, int]:
    """Give ``seats`` new seats to the parties; returns every party's total seats, by name.

    ``initial`` seats count in the priorities (a party known only there has 0
    votes). The result holds every party of votes and initial, ordered by name.
    """
    for name, v in votes.items():
        if v < 0:
            raise ValueError(f"party {name!r}: negative votes {v}")
    party_votes: dict[str, int] = {name: 0 for name in (initial or {})}
    party_votes.update(votes)
    current = {name: max(0, int((initial or {}).get(name, 0))) for name in party_votes}
    names = sorted(party_votes)
    if not names or seats <= 0:
        return {name: current[name] for name in names}

    remaining = _bulk(party_votes, current, seats)

    # rank: position of the name in the tie order (smaller rank wins a full tie)
    reverse = larger_name_wins(uid)
    rank = {name: (len(names) - 1 - i if reverse else i) for i, name in enumerate(names)}
    heap = [(-priority(party_votes[n], current[n]), current[n], rank[n], n) for n in names]
    heapq.heapify(heap)
    for _ in range(remaining):
        _, s, r, name = heap[0]
        s += 1
        current[name] = s
        heapq.heapreplace(heap, (-priority(party_votes[name], s), s, r, name))
    return {name: current[name] for name in names}


def _bulk(votes: dict[str, int], current: dict[str, int], seats: int) -> int:
    """Hand out at once every seat whose priority beats a threshold; returns the seats left.

    Every seat with priority strictly above t precedes, in the seat-by-seat
    order, every seat at or below t, so giving them all first changes nothing
    as long as there are no more of them than seats. t = V / (2*seats - n)
    guarantees that (each party has at most v/(2t) + 1/2 of them); the counts
    are checked with the exact float comparison anyway.
    """
    n = len(votes)
    total = sum(votes.values())
    if total <= 0 or 2 * seats <= n:
        return seats
    threshold = total / (2 * seats - n)
    wins: dict[str, int] = {}
    for name, v in votes.items():
        if v <= 0:
            continue
        # first seat index s whose priority is <= threshold; priorities fall as s grows
        s = max(0, int((v / threshold - 1) / 2))
        while priority(v, s) > threshold:
            s += 1
        while s > 0 and priority(v, s - 1) <= threshold:
            s -= 1
        if s > current[name]:
            wins[name] = s - current[name]
    given = sum(wins.values())
    if given > seats:        # cannot happen with the bound above; stay exact regardless
        return seats
    for name, extra in wins.items():
        current[name] += extra
    return seats - given
