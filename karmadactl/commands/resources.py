"""apply, delete, plan, propagate, override, promote, sync: resource templates and their policies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from karmadactl.apis.manifest import Manifest
from karmadactl.commands.passes import Pushing, run_pass

if TYPE_CHECKING:
    from karmadactl.apis.kinds import Kind
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import BindingPlan, Snapshot
    from karmadactl.controllers.templates import Applied

Warn = Callable[[str], None]


@dataclass
class Stored:
    """Objects stored (created, configured or unchanged), then the pass that followed."""
    applied: list[Applied] = field(default_factory=list)
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


@dataclass
class Deleted:
    deleted: list[str] = field(default_factory=list)     # resource/name of each object removed
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


@dataclass
class PolicyWritten:
    """A policy written from flags; action is "" on a dry run (nothing stored, no pass)."""
    policy: dict
    action: str = ""
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


@dataclass
class Promoted:
    objects: list[dict]                                  # the templates and the policy, validated
    applied: list[Applied] = field(default_factory=list)
    plans: list[BindingPlan] = field(default_factory=list)
    report: Report | None = None


@dataclass
class Synced:
    plans: list[BindingPlan]
    report: Report | None
    pruned: list[str] = field(default_factory=list)


@dataclass
class PropagateOptions:
    """propagate's flags, named as controllers.propagate.policy_for takes them."""
    clusters: list[str] = field(default_factory=list)
    selector: str | None = None
    all_clusters: bool = False
    duplicated: bool = False
    divided: bool = False
    weights: list[str] = field(default_factory=list)
    dynamic: bool = False
    aggregated: bool = False
    policy_name: str | None = None
    priority: int = 0


@dataclass
class OverrideOptions:
    clusters: list[str] = field(default_factory=list)
    image_registry: str | None = None
    image_tag: str | None = None
    labels: list[str] = field(default_factory=list)        # k=v, as typed
    annotations: list[str] = field(default_factory=list)   # k=v, as typed
    patch: str | None = None
    policy_name: str | None = None


def apply(store, manifests: list[Manifest], *, validate: str = "strict", dry_run: bool = False,
          warn: Warn | None = None, pushing: Pushing | None = None) -> Stored:
    """Validate and store the objects, then run the pass; with dry_run only plan (nothing stored)."""
    from karmadactl.apis import kinds
    from karmadactl.apis.meta import now
    from karmadactl.controllers import reconcile, templates

    with store.read() as tx:
        objs = templates.prepare(manifests, templates.crds(tx), validate=validate, warn=warn)
    for warning in kinds.not_acted_on_warnings(objs):
        if warn is not None:
            warn(f"warning: {warning}")
    if dry_run:
        with store.read() as tx:
            snapshot = reconcile.load_snapshot(tx)
        overlay(snapshot, objs)
        return Stored(plans=reconcile.plan(snapshot, now()))
    admission = reconcile.Admission(objs, manifests)     # stored by the pass, or refused all together
    plans, report = run_pass(store, pushing, admission=admission)
    return Stored(admission.applied, plans, report)


def delete(store, manifests: list[Manifest] | None, kind: str | None, names: list[str], namespace: str | None, *,
           ignore_not_found: bool = False, pushing: Pushing | None = None,
           before_pass: Callable[[Deleted], None] | None = None) -> Deleted:
    """Delete the objects of the files, or KIND NAME... (in namespace, "default" if None), then run the pass."""
    from karmadactl.apis import kinds
    from karmadactl.controllers import discovery, templates
    from karmadactl.errors import NotFound, UsageError
    from karmadactl.store.keys import ObjectKey

    with store.read() as tx:
        extra = kinds.crd_kinds(templates.crds(tx))
        info = discovery.lookup(tx, kind) if kind and names else None
    if manifests is not None:
        refs = templates.identities(manifests, extra)
    elif kind and names:
        if info is None:
            raise UsageError(f'delete: the server doesn\'t have a resource type "{kind}"')
        if info.group_kind == "Cluster.cluster.karmada.io":
            raise UsageError("delete: clusters leave with `karmadactl unjoin NAME`")
        refs = [ObjectKey(info.group_kind, (namespace or "default") if info.namespaced else "", n) for n in names]
    else:
        raise UsageError("delete: give -f FILE or KIND NAME")
    deleted = []
    with store.write() as tx:
        for ref in refs:
            try:
                deleted += templates.delete_objects(tx, [ref])
            except NotFound:
                if not ignore_not_found:
                    raise
    result = Deleted([f"{kinds.of(obj, extra).resource}/{obj['metadata']['name']}" for obj in deleted])
    if before_pass is not None:
        before_pass(result)
    result.plans, result.report = run_pass(store, pushing)
    return result


def plan(store, manifests: list[Manifest], *, validate: str = "strict", warn: Warn | None = None
         ) -> list[BindingPlan]:
    """What the policies would do with the stored objects and those of the files; nothing stored."""
    from karmadactl.apis.meta import now
    from karmadactl.controllers import reconcile, templates

    with store.read() as tx:
        objs = (templates.prepare(manifests, templates.crds(tx), validate=validate, warn=warn)
                if manifests else [])
        snapshot = reconcile.load_snapshot(tx)
    overlay(snapshot, objs)
    return reconcile.plan(snapshot, now())


def plan_offline(manifests: list[Manifest], *, validate: str = "strict", warn: Warn | None = None
                 ) -> list[BindingPlan]:
    """What the policies would do with the files alone (Clusters and ResourceBindings included)."""
    from karmadactl.controllers import reconcile

    return reconcile.plan(offline_snapshot(manifests, validate=validate, warn=warn), "")


def propagate(store, target: str, namespace: str, options: PropagateOptions, *, dry_run: bool = False,
              pushing: Pushing | None = None, before_pass: Callable[[PolicyWritten], None] | None = None
              ) -> PolicyWritten:
    """Write a PropagationPolicy for one template (KIND/NAME), then run the pass."""
    from karmadactl.controllers.propagate import policy_for

    info, obj_name, ns = template_ref(store, target, namespace, must_exist=not dry_run)
    policy = policy_for(info, obj_name, ns, **asdict(options))
    return _write_policy(store, checked(store, policy, "propagate"), options.clusters, dry_run, pushing,
                         before_pass)


def override(store, target: str, namespace: str, options: OverrideOptions, *, dry_run: bool = False,
             pushing: Pushing | None = None, before_pass: Callable[[PolicyWritten], None] | None = None
             ) -> PolicyWritten:
    """Write an OverridePolicy for one template (KIND/NAME) and some clusters, then run the pass."""
    from karmadactl.apis.meta import parse_key_values
    from karmadactl.controllers.propagate import override_for

    info, obj_name, ns = template_ref(store, target, namespace, must_exist=not dry_run)
    annotations = parse_key_values(options.annotations, "--annotation", values_are_labels=False)
    policy = override_for(info, obj_name, ns, clusters=options.clusters, image_registry=options.image_registry,
                          image_tag=options.image_tag, labels=parse_key_values(options.labels, "--label"),
                          annotations=annotations, patch=options.patch, policy_name=options.policy_name)
    return _write_policy(store, checked(store, policy, "override"), options.clusters, dry_run, pushing,
                         before_pass)


def _write_policy(store, policy: dict, clusters: list[str], dry_run: bool, pushing: Pushing | None,
                  before_pass: Callable[[PolicyWritten], None] | None) -> PolicyWritten:
    from karmadactl.controllers import templates

    check_clusters(store, clusters, dry_run)
    if dry_run:
        return PolicyWritten(policy)
    with store.write() as tx:
        result = PolicyWritten(policy, templates.store_objects(tx, [policy])[0].action)
    if before_pass is not None:
        before_pass(result)
    result.plans, result.report = run_pass(store, pushing)
    return result


def promote(store, kind: str, name: str, namespace: str, cluster: str, *, dependencies: bool = False,
            dry_run: bool = False, pushing: Pushing | None = None,
            before_pass: Callable[[Promoted], None] | None = None) -> Promoted:
    """Adopt an object running in one member: store it (and what it references) as templates with a
    policy, then run the pass; with dry_run only the objects that would be stored."""
    from karmadactl.controllers import promote as promoting
    from karmadactl.controllers import templates

    info, obj_name, ns = template_ref(store, f"{kind}/{name}", namespace, must_exist=False)
    objs = promoting.promote(store, info, obj_name, ns, cluster, with_dependencies=dependencies)
    with store.read() as tx:
        objs = templates.prepare([Manifest(f"{cluster}/{info.resource}/{obj_name}", o) for o in objs],
                                 templates.crds(tx))
    result = Promoted(objs)
    if dry_run:
        return result
    with store.write() as tx:
        result.applied = templates.store_objects(tx, objs)
    if before_pass is not None:
        before_pass(result)
    result.plans, result.report = run_pass(store, pushing)
    return result


def sync(store, clusters: list[str], *, prune: bool = False, pushing: Pushing | None = None) -> Synced:
    """Push whatever differs from the desired state now (drift included), on these clusters or all."""
    from karmadactl.controllers.clusters import prune_orphans, refresh_status

    only = set(clusters) or None
    check_clusters(store, clusters, dry_run=False)    # an unknown name is an error, not an empty pass
    refresh_status(store, only_clusters=only)         # APIs of CRDs pushed since, capacity
    plans, report = run_pass(store, pushing, live_check=True, only_clusters=only)
    return Synced(plans, report, prune_orphans(store, only_clusters=only) if prune else [])


def check_clusters(store, names: list[str], dry_run: bool) -> None:
    """-C of propagate and override names joined clusters (a printed --dry-run policy may name any)."""
    if names and not dry_run:
        from karmadactl.controllers.clusters import list_clusters

        list_clusters(store, names)


def checked(store, obj: dict, source: str) -> dict:
    """A policy written from flags, validated as `apply` validates a file."""
    from karmadactl.controllers import templates

    with store.read() as tx:
        return templates.prepare([Manifest(source, obj)], templates.crds(tx))[0]


def template_ref(store, target: str, namespace: str, must_exist: bool) -> tuple[Kind, str, str]:
    """KIND/NAME as a user types it -> (Kind, name, namespace), checking the template is stored."""
    from karmadactl.controllers import discovery
    from karmadactl.errors import NotFound, UsageError
    from karmadactl.store.keys import ObjectKey

    kind_name, sep, obj_name = target.partition("/")
    if not sep or not obj_name:
        raise UsageError(f"expected KIND/NAME, got {target!r}")
    with store.read() as tx:
        info = discovery.lookup(tx, kind_name)
        if info is None:
            raise UsageError(f'unknown kind "{kind_name}"')
        ns = namespace if info.namespaced else ""
        if must_exist and tx.get(ObjectKey(info.group_kind, ns, obj_name)) is None:
            raise NotFound(f'{info.resource} "{obj_name}" not found'
                           + (f' in namespace "{ns}"' if ns else "") + "; apply it first")
    return info, obj_name, ns


def _policy_key(p) -> tuple[str, str, str]:
    return (p.kind, p.namespace, p.name)


def _template_key(obj: dict) -> tuple[str, str | None, str, str]:
    return (obj.get("apiVersion", "").rpartition("/")[0], obj.get("kind"), obj["metadata"].get("namespace", ""),
            obj["metadata"]["name"])


def overlay(snapshot: Snapshot, objs: list[dict]) -> None:
    """Put not-yet-stored objects into a snapshot (plan -f, apply --dry-run)."""
    from karmadactl.apis.override import OverridePolicy
    from karmadactl.apis.policy import PropagationPolicy
    from karmadactl.controllers import reconcile

    templates: dict[tuple, dict] = {}       # a later copy of the same template replaces the earlier one
    for obj in objs:
        if obj["kind"] in reconcile.POLICY_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            policy = PropagationPolicy.from_dict(obj, source="plan")
            snapshot.policies = [p for p in snapshot.policies if _policy_key(p) != _policy_key(policy)]
            snapshot.policies.append(policy)
        elif obj["kind"] in reconcile.OVERRIDE_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            override = OverridePolicy.from_dict(obj, source="plan")
            snapshot.overrides = [o for o in snapshot.overrides if _policy_key(o) != _policy_key(override)]
            snapshot.overrides.append(override)
        elif reconcile.is_template(obj):
            templates.pop(_template_key(obj), None)
            templates[_template_key(obj)] = obj
    if templates:
        snapshot.templates = [t for t in snapshot.templates if _template_key(t) not in templates] + \
            list(templates.values())


def offline_snapshot(manifests: list[Manifest], validate: str = "strict", warn: Warn | None = None) -> Snapshot:
    """A snapshot from files only: templates, policies, Clusters and prior bindings."""
    from karmadactl.apis.cluster import Cluster
    from karmadactl.apis.karmada import load_binding
    from karmadactl.apis.override import OverridePolicy
    from karmadactl.apis.policy import PropagationPolicy
    from karmadactl.controllers import reconcile
    from karmadactl.controllers.templates import prepare

    snapshot = reconcile.Snapshot()
    rest = []
    for m in manifests:
        obj, group = m.obj, m.obj["apiVersion"].rpartition("/")[0]
        if group == "cluster.karmada.io" and obj["kind"] == "Cluster":
            snapshot.clusters.append(Cluster.from_dict(obj, source=m.source))
        elif group == "work.karmada.io" and obj["kind"] in reconcile.BINDING_KINDS:
            snapshot.bindings.append(load_binding(obj, m.source))
        else:
            rest.append(m)
    for obj in prepare(rest, [], keep_server_fields=True, validate=validate, warn=warn):
        if obj["kind"] in reconcile.POLICY_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            snapshot.policies.append(PropagationPolicy.from_dict(obj, source="plan"))
        elif obj["kind"] in reconcile.OVERRIDE_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            snapshot.overrides.append(OverridePolicy.from_dict(obj, source="plan"))
        elif obj["kind"] == "ResourceInterpreterCustomization":
            from karmadactl.interpreter.customization import Customization

            snapshot.customizations = sorted([*snapshot.customizations, Customization.from_dict(obj)],
                                             key=lambda c: c.name)
        elif reconcile.is_template(obj):
            snapshot.templates.append(obj)
    return snapshot
