"""apply, delete, plan, propagate, override, promote, sync: resource templates and their policies."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterator
from typing import TYPE_CHECKING

import typer

from karmadactl.cli.env import Env

if TYPE_CHECKING:
    from karmadactl.apis.karmada import ResourceBinding
    from karmadactl.commands.passes import Progress, Pushing
    from karmadactl.commands.resources import Deleted, PolicyWritten, Promoted
    from karmadactl.controllers.execution import Report
    from karmadactl.controllers.reconcile import BindingPlan

FILES_HELP = "File, directory or '-' (repeatable)"
VALIDATE_HELP = "strict: unknown fields are errors; warn: only warnings; ignore: no schema checks"


def _clusters_cell(binding: ResourceBinding | None) -> str:
    if not binding:
        return "<none>"
    return ",".join(f"{t.name}:{t.replicas}" if t.replicas is not None else t.name
                    for t in binding.spec.clusters or []) or "<none>"


def _plan_row(p: BindingPlan) -> list[str]:
    meta = p.template["metadata"]
    policy = (f"{p.policy.namespace}/{p.policy.name}" if p.policy and p.policy.namespace
              else (p.policy.name if p.policy else "<none>"))
    if p.attached:     # a dependency: it goes where the workloads that reference it go
        required_by = (p.binding.spec.required_by if p.binding else None) or []
        policy = "required by " + ",".join(r.name or "" for r in required_by)
        targets = ",".join(w.cluster for w in p.works)
        return [meta.get("namespace", "") or "<cluster>", meta["name"], p.template["kind"], policy, "-",
                targets or "<none>", "-"]
    replicas = p.binding.spec.replicas if p.binding else None
    return [meta.get("namespace", "") or "<cluster>", meta["name"], p.template["kind"], policy,
            str(replicas) if replicas else "-", _clusters_cell(p.binding),
            ("False: " + p.error) if p.error else ("True" if p.binding and p.policy else "-")]


PLAN_COLUMNS = ("NAMESPACE", "NAME", "KIND", "POLICY", "REPLICAS", "CLUSTERS", "SCHEDULED")


def print_plan(env: Env, plans: list[BindingPlan], output: str) -> None:
    from karmadactl.cli.output import check_format, print_table, write_list

    check_format(output)
    if output in ("json", "yaml"):
        from karmadactl.controllers.reconcile import stored_form

        items = [stored_form(p.binding) for p in plans if p.binding] + [w.to_dict() for p in plans for w in p.works]
        write_list(env.stdout, items, output)
    elif output == "name":
        for p in plans:
            if p.binding:
                env.out(f"{p.binding.kind.lower()}.work.karmada.io/{p.binding.metadata.name}")
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


def apply(ctx: typer.Context,
          filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
          recursive: bool = typer.Option(False, "-R", "--recursive", help="Walk directories"),
          dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show the plan; store nothing"),
          output: str = typer.Option("", "-o", "--output", help="json|yaml|name: print the stored objects"),
          validate: str = typer.Option("strict", "--validate", help=VALIDATE_HELP)) -> int:
    from karmadactl.apis.validation import mode_of
    from karmadactl.cli import files
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    _check_output(output, ("table", "wide", "json", "yaml", "name") if dry_run else ("json", "yaml", "name"),
                  "apply")
    manifests = files.load(filename, recursive=recursive, stdin=env.stdin)
    with env.store() as store:
        result = commands.apply(store, manifests, validate=mode_of(validate), dry_run=dry_run, warn=env.err,
                                pushing=pushing(env))
    if dry_run:
        print_plan(env, result.plans, output or "table")
        return report_failed(env, result.plans)
    if output == "name":
        for a in result.applied:
            env.out(a.reference)
    elif output:
        from karmadactl.cli.output import write_list

        write_list(env.stdout, [a.obj for a in result.applied], output)
    else:
        for a in result.applied:
            env.out(f"{a.reference} {a.action}")
    return report_pass(env, result.plans, result.report)


def delete(ctx: typer.Context,
           kind: str | None = typer.Argument(None, metavar="KIND"),
           names: list[str] = typer.Argument(None, metavar="NAME..."),
           filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
           recursive: bool = typer.Option(False, "-R", "--recursive"),
           namespace: str | None = typer.Option(None, "-n", "--namespace",
                                                help="Namespace of KIND NAME [default: default]"),
           ignore_not_found: bool = typer.Option(False, "--ignore-not-found"),
           validate: str = typer.Option("strict", "--validate", help="Accepted as kubectl's; delete -f "
                                        "checks only apiVersion, kind, name and namespace")) -> int:
    from karmadactl.apis.validation import mode_of
    from karmadactl.cli import files
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    _check_files(filename, recursive, "delete", other=bool(kind or names), namespace=namespace)
    with env.store() as store:
        manifests = None
        if filename:
            mode_of(validate)
            manifests = files.load(filename, recursive=recursive, stdin=env.stdin)
        result = commands.delete(store, manifests, kind, names or [], namespace, ignore_not_found=ignore_not_found,
                                 pushing=pushing(env), before_pass=functools.partial(_say_deleted, env))
    return report_pass(env, result.plans, result.report)


def _say_deleted(env: Env, result: Deleted) -> None:
    for reference in result.deleted:
        env.out(f"{reference} deleted")


def plan(ctx: typer.Context,
         filename: list[str] = typer.Option([], "-f", "--filename", help=FILES_HELP),
         recursive: bool = typer.Option(False, "-R", "--recursive"),
         offline: bool = typer.Option(False, "--offline",
                                      help="Use only the files (Clusters and ResourceBindings included)"),
         output: str = typer.Option("table", "-o", "--output", help="table|wide|json|yaml|name"),
         validate: str = typer.Option("strict", "--validate", help=VALIDATE_HELP)) -> int:
    from karmadactl.apis.validation import mode_of
    from karmadactl.cli import files
    from karmadactl.cli.output import check_format
    from karmadactl.commands import resources as commands
    from karmadactl.controllers.reconcile import cycle_collector_paused
    from karmadactl.errors import UsageError

    env: Env = ctx.obj
    _check_files(filename, recursive, "plan")
    check_format(output)
    with cycle_collector_paused():
        manifests = files.load(filename, recursive=recursive, stdin=env.stdin) if filename else []
        if offline:
            if not manifests:
                raise UsageError("plan --offline needs -f with the templates, policies and Clusters")
            plans = commands.plan_offline(manifests, validate=mode_of(validate), warn=env.err)
        else:
            with env.store() as store:
                plans = commands.plan(store, manifests, validate=mode_of(validate) if manifests else "strict",
                                      warn=env.err)
        print_plan(env, plans, output)
    return report_failed(env, plans)


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
              dynamic_weight: bool = typer.Option(False, "--dynamic-weight", help="Divide by available capacity"),
              aggregated: bool = typer.Option(False, "--aggregated", help="Fill as few clusters as possible"),
              name: str | None = typer.Option(None, "--name", help="Policy name"),
              priority: int = typer.Option(0, "--priority"),
              dry_run: bool = typer.Option(False, "--dry-run", help="Print the policy; store nothing"),
              output: str = typer.Option("", "-o", "--output", help="yaml|json: print the policy")) -> int:
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    _check_output(output, ("yaml", "json"), "propagate")
    options = commands.PropagateOptions(clusters=cluster, selector=cluster_selector, all_clusters=all_clusters,
                                        duplicated=duplicated, divided=divided, weights=weight,
                                        dynamic=dynamic_weight, aggregated=aggregated, policy_name=name,
                                        priority=priority)
    with env.store() as store:
        result = commands.propagate(store, target, namespace, options, dry_run=dry_run, pushing=pushing(env),
                                    before_pass=functools.partial(_show_policy, env, output, False))
    return _policy_written(env, result, dry_run, output)


def override(ctx: typer.Context,
             target: str = typer.Argument(..., metavar="KIND/NAME"),
             namespace: str = typer.Option("default", "-n", "--namespace"),
             cluster: list[str] = typer.Option([], "--cluster", "-C", help="Target cluster (repeatable)"),
             image_registry: str | None = typer.Option(None, "--image-registry", help="Replace the image registry"),
             image_tag: str | None = typer.Option(None, "--image-tag", help="Replace the image tag"),
             label: list[str] = typer.Option([], "--label", help="k=v label to add (repeatable)"),
             annotation: list[str] = typer.Option([], "--annotation", help="k=v annotation to add (repeatable)"),
             patch: str | None = typer.Option(None, "--patch", help="A JSON patch (RFC 6902)"),
             name: str | None = typer.Option(None, "--name", help="Policy name"),
             dry_run: bool = typer.Option(False, "--dry-run", help="Print the policy; store nothing"),
             output: str = typer.Option("", "-o", "--output", help="yaml|json: print the policy")) -> int:
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    _check_output(output, ("yaml", "json"), "override")
    options = commands.OverrideOptions(clusters=cluster, image_registry=image_registry, image_tag=image_tag,
                                       labels=label, annotations=annotation, patch=patch, policy_name=name)
    with env.store() as store:
        result = commands.override(store, target, namespace, options, dry_run=dry_run, pushing=pushing(env),
                                   before_pass=functools.partial(_show_policy, env, output, False))
    return _policy_written(env, result, dry_run, output)


def _show_policy(env: Env, output: str, dry_run: bool, result: PolicyWritten) -> None:
    from karmadactl.cli.output import to_json, to_yaml

    policy = result.policy
    if output in ("yaml", "json"):
        env.stdout.write(to_yaml(policy) if output == "yaml" else to_json(policy) + "\n")
    else:
        env.out(f"{policy['kind'].lower()}.policy.karmada.io/{policy['metadata']['name']} "
                f"{'would be written (dry run)' if dry_run else result.action}")


def _policy_written(env: Env, result: PolicyWritten, dry_run: bool, output: str) -> int:
    """A dry run's policy (a stored one was shown before the pass), then the pass's report."""
    if dry_run:
        _show_policy(env, output, True, result)
        return 0
    return report_pass(env, result.plans, result.report, quiet=output in ("yaml", "json"))


def promote(ctx: typer.Context,
            kind: str = typer.Argument(..., metavar="KIND"),
            name: str = typer.Argument(..., metavar="NAME"),
            namespace: str = typer.Option("default", "-n", "--namespace"),
            cluster: str = typer.Option(..., "-C", "--cluster", help="The member that runs it"),
            dependencies: bool = typer.Option(False, "-d", "--dependencies",
                                              help="Also adopt the ConfigMaps, Secrets ... it references"),
            dry_run: bool = typer.Option(False, "--dry-run", help="Print what would be stored"),
            output: str = typer.Option("", "-o", "--output", help="yaml|json: print the objects")) -> int:
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    _check_output(output, ("yaml", "json"), "promote")
    with env.store() as store:
        result = commands.promote(store, kind, name, namespace, cluster, dependencies=dependencies, dry_run=dry_run,
                                  pushing=pushing(env), before_pass=functools.partial(_show_promoted, env, output))
    if dry_run:
        _show_promoted(env, output, result)
        return 0
    return report_pass(env, result.plans, result.report, quiet=bool(output))


def _show_promoted(env: Env, output: str, result: Promoted) -> None:
    if output in ("yaml", "json"):
        from karmadactl.cli.output import write_list

        write_list(env.stdout, result.objects, output)
    else:
        for a in result.applied:
            env.out(f"{a.reference} {a.action}")


def sync(ctx: typer.Context,
         cluster: list[str] = typer.Option([], "--cluster", "-C", help="Only these clusters (repeatable)"),
         prune: bool = typer.Option(False, "--prune",
                                    help="Also delete managed member objects that no Work wants")) -> int:
    from karmadactl.commands import resources as commands

    env: Env = ctx.obj
    with env.store() as store:
        result = commands.sync(store, cluster, prune=prune, pushing=pushing(env))
    for line in result.pruned:
        env.out(line)
    return report_pass(env, result.plans, result.report)


def register(app: typer.Typer) -> None:
    app.command("apply", help="Store resource templates and policies from files, then reconcile.")(apply)
    app.command("delete", help="Delete templates or policies: delete -f FILE | delete KIND NAME... [-n NS]")(delete)
    app.command("plan", help="Show what the policies would do: which clusters get which replicas.")(plan)
    app.command("propagate", help="Write a PropagationPolicy for one template from flags, then reconcile.")(propagate)
    app.command("override", help="Write an OverridePolicy for one template and some clusters from flags, "
                                 "then reconcile.")(override)
    app.command("promote", help="Adopt an object already running in one member: store it as a template with "
                                "a policy.")(promote)
    app.command("sync", help="Push whatever differs from the desired state now, drift included.")(sync)


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


def _check_output(output: str, supported: tuple[str, ...], command: str) -> None:
    if output:
        from karmadactl.cli.output import check_output
        check_output(output, supported, command)


def pushing(env: Env) -> Pushing | None:
    """A progress bar around the push, on a terminal (never in a pipe)."""
    return functools.partial(_progress_bar, env) if env.stderr_tty else None


@contextlib.contextmanager
def _progress_bar(env: Env) -> Iterator[Progress]:
    from rich.progress import Progress as Bar

    with Bar(console=env.console(stderr=True), transient=True) as bar:
        task = bar.add_task("pushing", total=None)
        yield lambda done, total: bar.update(task, completed=done, total=total)


def run_with_progress(env: Env, store, **options) -> tuple[list[BindingPlan], Report | None]:
    """The reconcile pass, with a progress bar on a terminal (never in a pipe)."""
    from karmadactl.commands.passes import run_pass

    return run_pass(store, pushing(env), **options)


def report_pass(env: Env, plans: list[BindingPlan], report: Report | None, quiet: bool = False) -> int:
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


def report_failed(env: Env, plans: list[BindingPlan]) -> int:
    """Objects the pipeline could not process: one error line each on stderr, and exit code 1."""
    for p in plans:
        if p.unprocessable:
            env.err(f"error: {p.error}")
    return 1 if any(p.unprocessable for p in plans) else 0
