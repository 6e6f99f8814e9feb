"""watch: the control loop (health, taints, failover, drift repair, status)."""

from __future__ import annotations

import functools

import typer

from karmadactl.cli.env import Env


def watch(ctx: typer.Context,
          once: bool = typer.Option(False, "--once", help="Run one pass and exit (cron, CI)"),
          probe_interval: str = typer.Option("10s", "--probe-interval", help="How often members are probed"),
          failure_threshold: str = typer.Option("30s", "--failure-threshold",
                                                help="How long a failure must last before Ready turns False"),
          success_threshold: str = typer.Option("30s", "--success-threshold",
                                                help="How long health must last before Ready turns True"),
          eviction_timeout: str = typer.Option("10m", "--eviction-timeout",
                                               help="Longest wait for new copies before an old one goes"),
          resync_interval: str = typer.Option("60s", "--resync-interval",
                                              help="How often member objects are compared and repaired"),
          no_failover: bool = typer.Option(False, "--no-failover",
                                           help="Never add NoExecute taints (Karmada's default)"),
          rebalance_on_recovery: bool = typer.Option(
              False, "--rebalance-on-recovery",
              help="When a cluster recovers, divide the workloads moved away from it afresh"),
          eviction_rate: float = typer.Option(10.0, "--eviction-rate", min=0.01,
                                              help="Evictions per second (burst 100)")) -> int:
    from karmadactl.apis.meta import parse_duration
    from karmadactl.cli import loop
    from karmadactl.commands import watch as watching
    from karmadactl.controllers.watch import Options

    env: Env = ctx.obj
    options = Options(
        probe_interval=parse_duration(probe_interval, "--probe-interval"),
        failure_threshold=parse_duration(failure_threshold, "--failure-threshold"),
        success_threshold=parse_duration(success_threshold, "--success-threshold"),
        eviction_timeout=parse_duration(eviction_timeout, "--eviction-timeout"),
        resync_interval=parse_duration(resync_interval, "--resync-interval"),
        failover=not no_failover, rebalance_on_recovery=rebalance_on_recovery, eviction_rate=eviction_rate)
    say = functools.partial(loop.say, env)
    with env.store() as store:
        if once:
            result = watching.watch_once(store, options, say)
            if not result.acted:
                say("another watch holds the lease; nothing done")
                return 1
            return result.exit_code
        with loop.stop_on_signals(env) as stop:
            say(f"watching {store.url_for_display} every {probe_interval} (failover "
                f"{'off' if no_failover else 'on'}, thresholds {failure_threshold}/{success_threshold})")
            watching.watch(store, options, say, stop)
        say("stopped")
    return 0


def register(app: typer.Typer) -> None:
    app.command("watch", help="Run the control loop: probe members, taint and fail over, repair drift, keep "
                              "status current. One watch acts per store; others stand by.")(watch)
