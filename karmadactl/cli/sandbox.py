"""sandbox: local member clusters on loopback for the quick start and the tests."""

from __future__ import annotations

import typer

from karmadactl.cli.env import Env

LOAD_HELP = """Simulate load: each pod of a workload uses --cpu/--memory in metrics.k8s.io.

The value is per pod (spread over its containers), in every running member that has the workload
(or only --member); node usage follows (the sum of its pods plus a small base). --total-cpu is the
workload's CPU in each member, shared by its running pods (scale out and each uses less, as a
FederatedHPA expects). --reset returns the pods to their idle usage."""

UP_HELP = """Start N sandbox members, write their kubeconfigs and join them.

The members are served --per-process to a process (default 100, so up to 100 members share one
process, each with its own port, TLS certificate, token, kubeconfig and objects); members already
running are left as they are."""
MAX_MEMBERS = 500
MEMBERS_PER_PROCESS = 100   # manager.MEMBERS_PER_PROCESS, kept here so --help imports no sandbox


def up(ctx: typer.Context,
       members: int = typer.Option(3, "--members", min=1, max=MAX_MEMBERS, help="How many members"),
       per_process: int = typer.Option(MEMBERS_PER_PROCESS, "--per-process", min=1,
                                       help="Members served by one process (1: a process each)"),
       join: bool = typer.Option(True, "--join/--no-join", help="Join them to the store"),
       tls: bool = typer.Option(True, "--tls/--no-tls",
                                help="Serve https with a self-signed CA in the kubeconfig (kubectl "
                                     "sends tokens only over https)"),
       no_metrics: list[str] = typer.Option([], "--no-metrics", metavar="NAME",
                                            help="A member without the metrics.k8s.io API "
                                                 "(repeat, or a,b)")) -> None:
    from karmadactl.commands.sandbox import join_member
    from karmadactl.errors import UsageError
    from karmadactl.sandbox import manager

    env: Env = ctx.obj
    without = [n for item in no_metrics for n in item.split(",") if n]
    unknown = sorted(set(without) - {f"member{i}" for i in range(1, members + 1)})
    if unknown:
        raise UsageError(f"--no-metrics {unknown[0]}: not one of member1..member{members}")
    infos = manager.up(members, tls=tls, per_process=per_process)
    for info in infos:     # running members too: the flag says what the member serves now
        if info.name in without:
            manager.set_metrics(info.name, False)
    if not join:
        for info in infos:
            env.out(f"{info.name} running at {info.url} (kubeconfig {info.kubeconfig})")
        return
    with env.store() as store:
        for index, info in enumerate(infos, start=1):
            result = join_member(store, index, info.name, str(info.kubeconfig))
            env.out(f"{info.name} running at {info.url}; cluster/{info.name} {result.action}")


def down(ctx: typer.Context,
         names: list[str] | None = typer.Argument(None, metavar="[NAME]...",
                                                  help="Only these members (default: all)"),
         keep_clusters: bool = typer.Option(False, "--keep-clusters",
                                            help="Keep them registered in the store")) -> None:
    from karmadactl.commands.sandbox import unjoin_member
    from karmadactl.sandbox import manager

    env: Env = ctx.obj
    stopped = manager.down(names=names or None)
    store = None if keep_clusters else env.store()
    try:
        for name in stopped:
            if store is not None:
                unjoin_member(store, name)
            env.out(f"{name} stopped")
    finally:
        if store is not None:
            store.close()


def fail(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
    from karmadactl.sandbox import manager

    manager.fail(name)
    ctx.obj.out(f"{name} failed: it refuses connections until `karmadactl sandbox recover {name}`")


def recover(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME")) -> None:
    from karmadactl.sandbox import manager

    manager.recover(name)
    ctx.obj.out(f"{name} recovered")


def load(ctx: typer.Context,
         workload: str = typer.Argument(..., metavar="TYPE/NAME", help="deploy/nginx, sts/db, ..."),
         cpu: str | None = typer.Option(None, "--cpu", help="CPU of each pod, e.g. 400m"),
         memory: str | None = typer.Option(None, "--memory", help="Memory of each pod, e.g. 200Mi"),
         total_cpu: str | None = typer.Option(None, "--total-cpu",
                                              help="CPU of the workload in each member, shared by its pods"),
         namespace: str = typer.Option("default", "-n", "--namespace"),
         member: str | None = typer.Option(None, "--member", help="Only this member (default: all)"),
         reset: bool = typer.Option(False, "--reset", help="Back to the idle usage")) -> int:
    from karmadactl.errors import ExitCode, InvalidInput, NotFound, UsageError
    from karmadactl.sandbox import manager
    from karmadactl.sandbox.metrics import parse_load

    env: Env = ctx.obj
    kind, _, name = workload.partition("/")
    if not kind or not name or "/" in name:
        raise UsageError(f"sandbox load {workload!r}: expected TYPE/NAME, e.g. deploy/nginx")
    if reset == (cpu is not None or memory is not None or total_cpu is not None):
        raise UsageError("sandbox load: give --cpu, --total-cpu and/or --memory, or --reset")
    try:
        parse_load(cpu, memory, total_cpu)
    except ValueError as e:
        raise InvalidInput(f"sandbox load: --{e}") from None
    targets = [member] if member else [i.name for i in manager.status() if i.running and not i.failed]
    if not targets:
        raise NotFound("no sandbox member is running; start them with `karmadactl sandbox up`")
    done, missing = [], []
    for target in targets:
        try:
            result = manager.set_load(target, kind, namespace, name, cpu=cpu, memory=memory,
                                      reset=reset, total_cpu=total_cpu)
        except NotFound as e:
            missing.append(str(e))
            continue
        done.append(target)
        what = "reset" if reset else "load set: " + ", ".join(
            f"{k} {v}" for k, v in (("cpu", cpu), ("memory", memory)) if v is not None) + " per pod"
        if total_cpu is not None:
            what = f"load set: cpu {total_cpu} shared by the pods" + "".join(
                f", {k} {v} per pod" for k, v in (("cpu", cpu), ("memory", memory)) if v is not None)
        env.out(f"{target}: {result['resource']}/{name} {what} ({result['pods']} running pods)")
    if not done:
        raise NotFound(missing[0] if len(missing) == 1 else
                       f'{kind}/{name} not found in namespace "{namespace}" in any running member')
    return ExitCode.OK


def status(ctx: typer.Context,
           output: str = typer.Option("table", "-o", "--output", help="table|json|yaml")) -> None:
    from dataclasses import asdict

    from karmadactl.cli.output import check_output, print_table, to_json, to_yaml
    from karmadactl.sandbox import manager

    env: Env = ctx.obj
    check_output(output, ("table", "json", "yaml"), "sandbox status")
    infos = manager.status()
    if output in ("json", "yaml"):
        data = [{k: str(v) if v is not None and not isinstance(v, (bool, int)) else v
                 for k, v in asdict(i).items()} for i in infos]
        env.stdout.write(to_json(data) + "\n" if output == "json" else to_yaml(data))
        return
    if not infos:
        env.err("No sandbox members")
        return
    print_table(env, ("NAME", "URL", "PID", "STATE", "KUBECONFIG"),
                [[i.name, i.url, str(i.pid or ""),
                  "failed" if i.failed else ("running" if i.running else "stopped"), str(i.kubeconfig)]
                 for i in infos])


def register(app: typer.Typer) -> None:
    sandbox = typer.Typer(help="Local sandbox member clusters: up, down, fail, recover, load, status.",
                          no_args_is_help=True)
    app.add_typer(sandbox, name="sandbox")
    sandbox.command("up", help=UP_HELP)(up)
    sandbox.command("down", help="Stop the sandbox members, all or those named (and unjoin them).")(down)
    sandbox.command("fail", help="Make a member refuse connections (its data is kept).")(fail)
    sandbox.command("recover", help="Bring a failed member back with its data.")(recover)
    sandbox.command("load", help=LOAD_HELP)(load)
    sandbox.command("status", help="Show the sandbox members.")(status)
