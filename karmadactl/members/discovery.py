"""A member's API discovery and OpenAPI v3, as kubectl reads them.

`api_resources` reads /api, /apis and each group/version's APIResourceList;
`resolve` finds what a user typed (`deploy`, `pods`, `widget.example.com`,
`deployments.v1.apps`) among them as kubectl's RESTMapper does; `openapi_document`
reads the /openapi/v3 index and the document of one group/version.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from karmadactl.errors import NotFound


@dataclass(frozen=True)
class APIResource:
    """One resource a member serves (an entry of an APIResourceList)."""

    name: str
    kind: str
    group: str
    version: str
    namespaced: bool
    singular: str = ""
    short_names: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    preferred: bool = True                 # of its group's preferred version
    order: int = field(default=0, compare=False)      # its group's place in discovery (core: 0)

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """`deployments.apps`, or `pods` for the core group."""
        return f"{self.name}.{self.group}" if self.group else self.name


def api_resources(client) -> list[APIResource]:
    """Every resource of every served group/version (subresources left out), preferred versions first."""
    from karmadactl.members.fanout import fan_out

    versions: list[tuple[str, str, bool]] = [("", v, i == 0) for i, v in
                                             enumerate(client.get_json("/api").get("versions") or [])]
    for group in client.get_json("/apis").get("groups") or []:
        preferred = (group.get("preferredVersion") or {}).get("version")
        for i, v in enumerate(group.get("versions") or []):
            is_preferred = v.get("version") == preferred if preferred else i == 0
            versions.append((group.get("name", ""), v.get("version", ""), is_preferred))

    def fetch(entry: tuple[str, str, bool]) -> list[APIResource]:
        group, version, preferred = entry
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        doc = client.get_json(path)
        return [APIResource(
            name=r["name"], kind=r.get("kind", ""), group=group, version=version,
            namespaced=bool(r.get("namespaced")), singular=r.get("singularName") or "",
            short_names=tuple(r.get("shortNames") or ()), verbs=tuple(r.get("verbs") or ()),
            categories=tuple(r.get("categories") or ()), preferred=preferred)
            for r in doc.get("resources") or [] if "/" not in r.get("name", "/")]

    lists = fan_out(versions, fetch, at_once=8)
    groups = list(dict.fromkeys(group for group, _, _ in versions))
    return [replace(r, order=groups.index(r.group)) for rs in lists for r in rs]


def preferred(resources: list[APIResource]) -> list[APIResource]:
    """What `kubectl api-resources` lists: each group's preferred version, plus resources only other
    versions serve; sorted by group then name (kubectl's default order); pure."""
    seen: set[tuple[str, str]] = set()
    out = []
    for r in sorted(resources, key=lambda r: not r.preferred):
        if (r.group, r.name) in seen or not r.verbs:
            continue
        seen.add((r.group, r.name))
        out.append(r)
    return sorted(out, key=lambda r: (r.group, r.name))


def resolve(resources: list[APIResource], typed: str) -> APIResource | None:
    """What a user typed as kubectl maps it: a plural, singular, short name or kind, optionally
    followed by `.group` or `.version.group`; the earlier group in discovery order wins (the core
    group first), then its preferred version; pure."""
    wanted = typed.lower()
    candidates = []
    for position, r in enumerate(resources):
        names = {r.name, r.singular or r.kind.lower(), r.kind.lower(), *r.short_names}
        if wanted in names:
            level = 0
        elif r.group and wanted in {f"{n}.{r.group}" for n in names}:
            level = 1
        elif wanted in {f"{n}.{r.version}.{r.group}" if r.group else f"{n}.{r.version}" for n in names}:
            level = 2
        else:
            continue
        candidates.append((level, not r.preferred, r.order, position, r))
    return min(candidates, key=lambda c: c[:4])[4] if candidates else None


def openapi_document(client, resource: APIResource) -> dict:
    """The OpenAPI v3 document of a resource's group/version, found through the /openapi/v3 index."""
    index = client.get_json("/openapi/v3")
    key = f"apis/{resource.group}/{resource.version}" if resource.group else f"api/{resource.version}"
    entry = (index.get("paths") or {}).get(key)
    if not isinstance(entry, dict) or not entry.get("serverRelativeURL"):
        raise NotFound(f"cluster {client.name}: no OpenAPI v3 document for {resource.group_version}")
    path, _, query = str(entry["serverRelativeURL"]).partition("?")
    params = dict(p.partition("=")[::2] for p in query.split("&") if p)
    return client.get_json(path, params or None)
