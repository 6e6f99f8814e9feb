"""apply, delete, plan, propagate: resource templates and their policies."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env

FILES_HELP = "File, directory or '-' (repeatable)"
VALIDATE_HELP = "strict: unknown fields are errors; warn: only warnings; ignore: no schema checks"


def _clusters_cell(binding: dict | None) -> str:
    if not binding:
        return "<none>"
    targets = (binding.get("spec") or {}).get("clusters") or []
    return ",".join(f"{t['name']}:{t['replicas']}" if t.get("replicas") is not None else t["name"]
                    for t in targets) or "<none>"


def _plan_row(p) -> list[str]:
    meta = p.template["metadata"]
    policy = (f"{p.policy.namespace}/{p.policy.name}" if p.policy and p.policy.namespace
              else (p.policy.name if p.policy else "<none>"))
    if p.attached:     # a dependency: it goes where the workloads that reference it go
        policy = "required by " + ",".join(r["name"] for r in p.binding["spec"].get("requiredBy") or [])
        targets = ",".join(w["metadata"]["namespace"].removeprefix("karmada-es-") for w in p.works)
        return [meta.get("namespace", "") or "<cluster>", meta["name"], p.template["kind"], policy, "-",
                targets or "<none>", "-"]
    replicas = (p.binding or {}).get("spec", {}).get("replicas")
    return [meta.get("namespace", "") or "<cluster>", meta["name"], p.template["kind"], policy,
            str(replicas) if replicas else "-", _clusters_cell(p.binding),
            ("False: " + p.error) if p.error else ("True" if p.binding and p.policy else "-")]


PLAN_COLUMNS = ("NAMESPACE", "NAME", "KIND", "POLICY", "REPLICAS", "CLUSTERS", "SCHEDULED")


def print_plan(env: Env, plans, output: str) -> None:
    from karmadactl.cli.output import check_format, print_table, write_list

    check_format(output)
    if output in ("json", "yaml"):
        items = [p.binding for p in plans if p.binding] + [w for p in plans for w in p.works]
        write_list(env.stdout, items, output)
    elif output == "name":
        for p in plans:
            if p.binding:
                env.out(f"{p.binding['kind'].lower()}.work.karmada.io/{p.binding['metadata']['name']}")
    elif not plans:
        env.err("No resource templates to propagate")
    else:
        print_table(env, PLAN_COLUMNS, [_plan_row(p) for p in plans])
        overridden = [[_plan_name(p.template), cluster, change]
                      for p in plans for cluster in sorted(set(p.override_changes) | set(p.override_errors))
                      for change in (p.override_changes.get(cluster) or [])
                      + ([f"ERROR {p.override_errors[cluster]}"] if cluster in p.override_errors else [])]
        if overridden:
            env.out()
            print_table(env, ("TEMPLATE", "CLUSTER", "OVERRIDE"), overridden)


def _plan_name(template: dict) -> str:
    namespace = template["metadata"].get("namespace")
    return f"{template['kind'].lower()}/{namespace + '/' if namespace else ''}{template['metadata']['name']}"


def register(app: typer.Typer) -> None:
    @app.command(help="Store resource templates and policies from files, then reconcile.")
    def apply(ctx: typer.Context,
              filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
              recursive: bool = typer.Option(False, "-R", "--recursive", help="Walk directories"),
              dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show the plan; store nothing"),
              output: str = typer.Option("", "-o", "--output", help="json|yaml|name: print the stored objects"),
              validate: str = typer.Option("strict", "--validate", help=VALIDATE_HELP)) -> None:
        from karmadactl.apis import kinds
        from karmadactl.apis.meta import now
        from karmadactl.apis.validation import mode_of
        from karmadactl.cli import files
        from karmadactl.controllers import reconcile, templates

        env: Env = ctx.obj
        _check_output(output, ("table", "wide", "json", "yaml", "name") if dry_run else ("json", "yaml", "name"),
                      "apply")
        manifests = files.load(filename, recursive=recursive, stdin=env.stdin)
        with env.store() as store:
            with store.read() as tx:
                objs = templates.prepare(manifests, templates.crds(tx), validate=mode_of(validate), warn=env.err)
            for warning in kinds.not_acted_on_warnings(objs):
                env.err(f"warning: {warning}")
            with store.read() as tx:
                snapshot = reconcile.load_snapshot(tx)
            _overlay(snapshot, objs)
            if dry_run:
                plans = reconcile.plan(snapshot, now())
                print_plan(env, plans, output or "table")
                return report_failed(env, plans)
            reconcile.refuse_unprocessable(snapshot, objs, manifests, now())    # all or nothing
            with store.write() as tx:
                applied = templates.store_objects(tx, objs)
            plans, report = run_with_progress(env, store)
        if output:
            from karmadactl.cli.output import write_list

            if output == "name":
                for a in applied:
                    env.out(a.reference)
            else:
                write_list(env.stdout, [a.obj for a in applied], output)
        else:
            for a in applied:
                env.out(f"{a.reference} {a.action}")
        return report_pass(env, plans, report)

    @app.command(help="Delete templates or policies: delete -f FILE | delete KIND NAME... [-n NS]")
    def delete(ctx: typer.Context,
               kind: str | None = typer.Argument(None, metavar="KIND"),
               names: list[str] = typer.Argument(None, metavar="NAME..."),
               filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
               recursive: bool = typer.Option(False, "-R", "--recursive"),
               namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                       help="Namespace of KIND NAME [default: default]"),
               ignore_not_found: bool = typer.Option(False, "--ignore-not-found"),
               validate: str = typer.Option("strict", "--validate", help="Accepted as kubectl's; delete -f "
                                            "checks only apiVersion, kind, name and namespace")) -> None:
        from karmadactl.apis import kinds
        from karmadactl.cli import files
        from karmadactl.controllers import discovery, templates
        from karmadactl.errors import NotFound, UsageError
        from karmadactl.store.keys import ObjectKey

        env: Env = ctx.obj
        _check_files(filename, recursive, "delete", other=bool(kind or names), namespace=namespace)
        with env.store() as store:
            with store.read() as tx:
                extra = kinds.crd_kinds(templates.crds(tx))
                info = discovery.lookup(tx, kind) if kind and names else None
            if filename:
                from karmadactl.apis.validation import mode_of

                mode_of(validate)
                refs = templates.identities(files.load(filename, recursive=recursive, stdin=env.stdin), extra)
            elif kind and names:
                if info is None:
                    raise UsageError(f'delete: the server doesn\'t have a resource type "{kind}"')
                if info.group_kind == "Cluster.cluster.karmada.io":
                    raise UsageError("delete: clusters leave with `karmadactl unjoin NAME`")
                refs = [ObjectKey(info.group_kind, (namespace or "default") if info.namespaced else "", n)
                        for n in names]
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
            for obj in deleted:
                env.out(f"{kinds.of(obj, extra).resource}/{obj['metadata']['name']} deleted")
            plans, report = run_with_progress(env, store)
        return report_pass(env, plans, report)

    @app.command(help="Show what the policies would do: which clusters get which replicas.")
    def plan(ctx: typer.Context,
             filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
             recursive: bool = typer.Option(False, "-R", "--recursive"),
             offline: bool = typer.Option(False, "--offline",
                                          help="Use only the files (Clusters and ResourceBindings included)"),
             output: str = typer.Option("table", "-o", "--output", help="table|wide|json|yaml|name"),
             validate: str = typer.Option("strict", "--validate", help=VALIDATE_HELP)) -> None:
        from karmadactl.apis.meta import now
        from karmadactl.apis.validation import mode_of
        from karmadactl.cli import files
        from karmadactl.cli.output import check_format
        from karmadactl.controllers import reconcile
        from karmadactl.errors import UsageError

        env: Env = ctx.obj
        _check_files(filename, recursive, "plan")
        check_format(output)
        manifests = files.load(filename, recursive=recursive, stdin=env.stdin) if filename else []
        if offline:
            if not manifests:
                raise UsageError("plan --offline needs -f with the templates, policies and Clusters")
            snapshot = offline_snapshot(manifests, validate=mode_of(validate), warn=env.err)
            plans = reconcile.plan(snapshot, "")
            print_plan(env, plans, output)
            return report_failed(env, plans)
        from karmadactl.controllers import templates

        with env.store() as store:
            with store.read() as tx:
                objs = (templates.prepare(manifests, templates.crds(tx), validate=mode_of(validate), warn=env.err)
                        if manifests else [])
                snapshot = reconcile.load_snapshot(tx)
        _overlay(snapshot, objs)
        plans = reconcile.plan(snapshot, now())
        print_plan(env, plans, output)
        return report_failed(env, plans)

    @app.command(help="Write a PropagationPolicy for one template from flags, then reconcile.")
    def propagate(ctx: typer.Context,
                  target: str = typer.Argument(..., metavar="KIND/NAME"),
                  namespace: str = typer.Option("default", "-n", "--namespace"),
                  cluster: list[str] = typer.Option([], "--cluster", "-C", help="Target cluster (repeatable)"),
                  cluster_selector: str | None = typer.Option(None, "--cluster-selector",
                                                                 help="Label selector over clusters"),
                  all_clusters: bool = typer.Option(False, "--all-clusters"),
                  duplicated: bool = typer.Option(False, "--duplicated", help="Every cluster gets all replicas"),
                  divided: bool = typer.Option(False, "--divided", help="Divide replicas (by --weight or equally)"),
                  weight: list[str] = typer.Option([], "--weight", help="CLUSTER=WEIGHT (repeatable)"),
                  dynamic_weight: bool = typer.Option(False, "--dynamic-weight",
                                                      help="Divide by available capacity"),
                  aggregated: bool = typer.Option(False, "--aggregated", help="Fill as few clusters as possible"),
                  name: str | None = typer.Option(None, "--name", help="Policy name"),
                  priority: int = typer.Option(0, "--priority"),
                  dry_run: bool = typer.Option(False, "--dry-run", help="Print the policy; store nothing"),
                  output: str = typer.Option("", "-o", "--output", help="yaml|json: print the policy")) -> None:
        from karmadactl.controllers.propagate import policy_for

        env: Env = ctx.obj
        _check_output(output, ("yaml", "json"), "propagate")
        with env.store() as store:
            info, obj_name, ns = _template_ref(store, target, namespace, must_exist=not dry_run)
            policy_obj = policy_for(info, obj_name, ns, clusters=cluster, selector=cluster_selector,
                                    all_clusters=all_clusters, duplicated=duplicated, divided=divided,
                                    weights=weight, dynamic=dynamic_weight, aggregated=aggregated,
                                    policy_name=name, priority=priority)
            policy_obj = _checked(store, policy_obj, "propagate")
            _check_clusters(store, cluster, dry_run)
            return _write_policy(env, store, policy_obj, dry_run, output)

    @app.command(help="Write an OverridePolicy for one template and some clusters from flags, then reconcile.")
    def override(ctx: typer.Context,
                 target: str = typer.Argument(..., metavar="KIND/NAME"),
                 namespace: str = typer.Option("default", "-n", "--namespace"),
                 cluster: list[str] = typer.Option([], "--cluster", "-C", help="Target cluster (repeatable)"),
                 image_registry: str | None = typer.Option(None, "--image-registry",
                                                              help="Replace the image registry"),
                 image_tag: str | None = typer.Option(None, "--image-tag", help="Replace the image tag"),
                 label: list[str] = typer.Option([], "--label", help="k=v label to add (repeatable)"),
                 annotation: list[str] = typer.Option([], "--annotation", help="k=v annotation to add (repeatable)"),
                 patch: str | None = typer.Option(None, "--patch", help="A JSON patch (RFC 6902)"),
                 name: str | None = typer.Option(None, "--name", help="Policy name"),
                 dry_run: bool = typer.Option(False, "--dry-run", help="Print the policy; store nothing"),
                 output: str = typer.Option("", "-o", "--output", help="yaml|json: print the policy")) -> None:
        from karmadactl.apis.meta import parse_key_values
        from karmadactl.controllers.propagate import override_for

        env: Env = ctx.obj
        _check_output(output, ("yaml", "json"), "override")
        with env.store() as store:
            info, obj_name, ns = _template_ref(store, target, namespace, must_exist=not dry_run)
            annotations = parse_key_values(annotation, "--annotation", values_are_labels=False)
            policy_obj = override_for(info, obj_name, ns, clusters=cluster, image_registry=image_registry,
                                      image_tag=image_tag, labels=parse_key_values(label, "--label"),
                                      annotations=annotations, patch=patch, policy_name=name)
            policy_obj = _checked(store, policy_obj, "override")
            _check_clusters(store, cluster, dry_run)
            return _write_policy(env, store, policy_obj, dry_run, output)

    @app.command(help="Adopt an object already running in one member: store it as a template with a policy.")
    def promote(ctx: typer.Context,
                kind: str = typer.Argument(..., metavar="KIND"),
                name: str = typer.Argument(..., metavar="NAME"),
                namespace: str = typer.Option("default", "-n", "--namespace"),
                cluster: str = typer.Option(..., "-C", "--cluster", help="The member that runs it"),
                dependencies: bool = typer.Option(False, "-d", "--dependencies",
                                                  help="Also adopt the ConfigMaps, Secrets ... it references"),
                dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be stored"),
                output: str = typer.Option("", "-o", "--output", help="yaml|json: print the objects")) -> None:
        from karmadactl.cli.output import write_list
        from karmadactl.controllers import promote as promoting
        from karmadactl.controllers import templates

        env: Env = ctx.obj
        _check_output(output, ("yaml", "json"), "promote")
        with env.store() as store:
            info, obj_name, ns = _template_ref(store, f"{kind}/{name}", namespace, must_exist=False)
            objs = promoting.promote(store, info, obj_name, ns, cluster, with_dependencies=dependencies)
            with store.read() as tx:
                objs = templates.prepare([_Manifest(f"{cluster}/{info.resource}/{obj_name}", o) for o in objs],
                                         templates.crds(tx))
            if output in ("yaml", "json"):
                write_list(env.stdout, objs, output)
            if dry_run:
                return 0
            with store.write() as tx:
                applied = templates.store_objects(tx, objs)
            if not output:
                for a in applied:
                    env.out(f"{a.reference} {a.action}")
            plans, report = run_with_progress(env, store)
        return report_pass(env, plans, report, quiet=bool(output))

    @app.command(help="Push whatever differs from the desired state now, drift included.")
    def sync(ctx: typer.Context,
             cluster: list[str] = typer.Option([], "--cluster", "-C", help="Only these clusters (repeatable)"),
             prune: bool = typer.Option(False, "--prune",
                                        help="Also delete managed member objects that no Work wants")) -> None:
        from karmadactl.controllers.clusters import refresh_status

        env: Env = ctx.obj
        with env.store() as store:
            _check_clusters(store, cluster, dry_run=False)    # an unknown name is an error, not an empty pass
            refresh_status(store, only_clusters=set(cluster) or None)    # APIs of CRDs pushed since, capacity
            plans, report = run_with_progress(env, store, live_check=True, only_clusters=set(cluster) or None)
            if prune:
                from karmadactl.controllers.clusters import prune_orphans

                for line in prune_orphans(store, only_clusters=set(cluster) or None):
                    env.out(line)
        return report_pass(env, plans, report)


def _check_files(filename: list[str], recursive: bool, command: str, other: bool = False,
                 namespace: str | None = None) -> None:
    """Flags that would otherwise be ignored: -R without -f; -f together with KIND NAME or -n."""
    from karmadactl.errors import UsageError

    if recursive and not filename:
        raise UsageError(f"{command}: -R walks the directories given with -f, and no -f was given")
    if filename and other:
        raise UsageError(f"{command}: give -f FILE or KIND NAME, not both")
    if filename and namespace is not None:
        raise UsageError(f"{command}: -n goes with KIND NAME; with -f each object's own namespace counts")


def _check_clusters(store, names: list[str], dry_run: bool) -> None:
    """-C of propagate and override names joined clusters (a printed --dry-run policy may name any)."""
    if names and not dry_run:
        from karmadactl.controllers.clusters import list_clusters

        list_clusters(store, names)


def _check_output(output: str, supported: tuple[str, ...], command: str) -> None:
    if output:
        from karmadactl.cli.output import check_output
        check_output(output, supported, command)


def _checked(store, obj: dict, source: str) -> dict:
    """A policy written from flags, validated as `apply` validates a file."""
    from karmadactl.controllers import templates

    with store.read() as tx:
        return templates.prepare([_Manifest(source, obj)], templates.crds(tx))[0]


def _Manifest(source: str, obj: dict):
    from karmadactl.cli.files import Manifest

    return Manifest(source, obj)


def _template_ref(store, target: str, namespace: str, must_exist: bool):
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


def _write_policy(env: Env, store, policy_obj: dict, dry_run: bool, output: str) -> int:
    """Store a policy written from flags (or only print it), then run the pass."""
    from karmadactl.cli.output import to_json, to_yaml
    from karmadactl.controllers import templates

    applied = None
    if not dry_run:
        with store.write() as tx:
            applied = templates.store_objects(tx, [policy_obj])
    if output in ("yaml", "json"):
        env.stdout.write(to_yaml(policy_obj) if output == "yaml" else to_json(policy_obj) + "\n")
    else:
        env.out(f"{policy_obj['kind'].lower()}.policy.karmada.io/{policy_obj['metadata']['name']} "
                f"{'would be written (dry run)' if dry_run else applied[0].action}")
    if dry_run:
        return 0
    plans, report = run_with_progress(env, store)
    return report_pass(env, plans, report, quiet=output in ("yaml", "json"))


def run_with_progress(env: Env, store, **options):
    """The reconcile pass, with a progress bar on a terminal (never in a pipe)."""
    from karmadactl.apis.meta import now
    from karmadactl.controllers import reconcile

    if not env.stderr_tty:
        return reconcile.run_pass(store, now(), **options)
    from rich.progress import Progress

    with Progress(console=env.console(stderr=True), transient=True) as bar:
        task = bar.add_task("pushing", total=None)
        return reconcile.run_pass(store, now(), progress=lambda done, total: bar.update(
            task, completed=done, total=total), **options)


def report_pass(env: Env, plans, report, quiet: bool = False) -> int:
    """Scheduling warnings, one summary line per member, failures on stderr; the exit code."""
    from collections import Counter

    for p in plans:
        if p.error:
            meta = p.template["metadata"]
            env.err(f"{'error' if p.unprocessable else 'warning'}: {p.template['kind']} "
                    f"{meta.get('namespace', '') + '/' if meta.get('namespace') else ''}"
                    f"{meta['name']} not scheduled: {p.error}")
    if report is None:
        return 1 if any(p.unprocessable for p in plans) else 0
    per_cluster: dict[str, Counter] = {}
    for o in report.outcomes:
        per_cluster.setdefault(o.cluster, Counter())[o.action] += 1
        if not o.ok:
            env.err(f"error: {o.cluster}: {o.reference}: {o.message}")
    for cluster, why in sorted(report.unreachable.items()):
        env.err(f"error: {cluster}: {why}")
    if not quiet:
        for cluster in sorted(per_cluster):
            counts = per_cluster[cluster]
            env.out(f"{cluster}: " + ", ".join(f"{n} {a}" for a, n in sorted(counts.items())))
    return max(int(report.exit_code), 1 if any(p.unprocessable for p in plans) else 0)


def report_failed(env: Env, plans) -> int:
    """Objects the pipeline could not process: one error line each on stderr, and exit code 1."""
    for p in plans:
        if p.unprocessable:
            env.err(f"error: {p.error}")
    return 1 if any(p.unprocessable for p in plans) else 0


def _overlay(snapshot, objs: list[dict]) -> None:
    """Put not-yet-stored objects into a snapshot (plan -f, apply --dry-run)."""
    from karmadactl.apis.override import OverridePolicy
    from karmadactl.apis.policy import PropagationPolicy
    from karmadactl.controllers import reconcile

    def key(o):
        return (o.get("apiVersion", "").rpartition("/")[0], o.get("kind"), o["metadata"].get("namespace", ""),
                o["metadata"]["name"])

    for obj in objs:
        if obj["kind"] in reconcile.POLICY_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            policy = PropagationPolicy.from_dict(obj, source="plan")
            snapshot.policies = [p for p in snapshot.policies
                                 if (p.kind, p.namespace, p.name) != (policy.kind, policy.namespace, policy.name)]
            snapshot.policies.append(policy)
        elif obj["kind"] in reconcile.OVERRIDE_KINDS and obj["apiVersion"].startswith("policy.karmada.io/"):
            override = OverridePolicy.from_dict(obj, source="plan")
            snapshot.overrides = [o for o in snapshot.overrides if (o.kind, o.namespace, o.name)
                                  != (override.kind, override.namespace, override.name)]
            snapshot.overrides.append(override)
        elif reconcile.is_template(obj):
            snapshot.templates = [t for t in snapshot.templates if key(t) != key(obj)] + [obj]


def offline_snapshot(manifests, validate: str = "strict", warn=None):
    """A snapshot from files only: templates, policies, Clusters and prior bindings."""
    from karmadactl.apis.cluster import Cluster
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
            snapshot.bindings.append(obj)
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
