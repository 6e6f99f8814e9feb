"""Pull mode: token create|list|delete, register, unregister, agent."""

from __future__ import annotations

import functools

import typer

from karmadactl.cli.env import Env


def token_create(ctx: typer.Context,
                 ttl: str = typer.Option("24h", "--ttl", help="How long the token is valid; 0 never expires"),
                 description: str = typer.Option("", "--description",
                                                 help="A human friendly description of how this token is used"),
                 print_register_command: bool = typer.Option(
                     False, "--print-register-command",
                     help="Print the whole `karmadactl register` command line instead of the token")) -> None:
    from datetime import timedelta

    from karmadactl.apis.meta import parse_duration
    from karmadactl.commands import token as tokens

    env: Env = ctx.obj
    duration = timedelta(0) if ttl.strip() == "0" else parse_duration(ttl, "--ttl")
    with env.store() as store:
        created = tokens.create(store, ttl=duration, description=description)
    if print_register_command:
        env.out(tokens.register_command(env.store_url, created))
    else:
        env.out(created.token)


def token_list(ctx: typer.Context) -> None:
    from datetime import UTC, datetime

    from karmadactl.cli.output import print_table
    from karmadactl.commands import token as tokens

    env: Env = ctx.obj
    with env.store() as store:
        found = tokens.list_tokens(store)
    now = datetime.now(UTC)
    print_table(env, ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION", "EXTRA GROUPS"],
                [tokens.table_row(t, now) for t in found])


def token_delete(ctx: typer.Context,
                 tokens_or_ids: list[str] = typer.Argument(..., metavar="ID|TOKEN...",
                                                           help="Token ids ([a-z0-9]{6}) or whole tokens")) -> None:
    from karmadactl.commands import token as tokens

    env: Env = ctx.obj
    with env.store() as store:
        for value in tokens_or_ids:
            env.out(f'bootstrap token "{tokens.delete(store, value)}" deleted')


def register_cluster(ctx: typer.Context,
                     name: str = typer.Argument(..., help="Cluster name in karmadactl", metavar="NAME"),
                     token: str = typer.Option(..., "--token", help="A bootstrap token (karmadactl token create)"),
                     kubeconfig: str | None = typer.Option(
                         None, "--kubeconfig", "--cluster-kubeconfig",
                         help="Member kubeconfig, read for its API endpoint and cluster id [default: none]"),
                     context: str | None = typer.Option(None, "--context", "--cluster-context",
                                                        help="Context in the member kubeconfig"),
                     provider: str | None = typer.Option(None, "--provider", help="Cloud provider"),
                     region: str | None = typer.Option(None, "--region", help="Region"),
                     zone: list[str] = typer.Option([], "--zone", "--zones", help="Zone (repeatable, a,b too)"),
                     label: list[str] = typer.Option([], "-l", "--label", help="key=value (repeatable)"),
                     config: str | None = typer.Option(
                         None, "--agent-config",
                         help="Where to write the agent's configuration [default: "
                              "$KARMADA_HOME/agents/NAME.yaml]"),
                     agent_identity: bool = typer.Option(
                         False, "--agent-identity",
                         help="Create the agent's ServiceAccount karmada-agent-sa and ClusterRole karmada-agent "
                              "in the member (needs --kubeconfig) and write a kubeconfig for it beside the agent "
                              "configuration, instead of running the agent as the member's admin"),
                     namespace: str = typer.Option("karmada-system", "-n", "--namespace",
                                                   help="Member namespace of the agent's ServiceAccount")) -> None:
    from pathlib import Path

    from karmadactl.cli.clusters import cluster_properties
    from karmadactl.commands import register as registering

    env: Env = ctx.obj
    properties = cluster_properties(provider, region, zone, label)
    with env.store() as store:
        result = registering.register(store, name, token=token, kubeconfig=kubeconfig, context=context,
                                      properties=properties, config=Path(config) if config else None,
                                      agent_identity=agent_identity, namespace=namespace)
    env.out(f"cluster/{name} registered (Pull mode)")
    env.out(f"agent configuration: {result.config}")
    if not result.enforced:
        env.out("note: this store does not keep the agent to its own cluster's rows (PostgreSQL does)")
    member = "MEMBER_KUBECONFIG"
    if result.identity is not None:
        identity = result.identity
        env.out(f"agent kubeconfig: {identity.kubeconfig} (serviceaccount {identity.namespace}/"
                f"{identity.service_account}, token expires {identity.expires or 'never'})")
        member = str(identity.kubeconfig)
    env.out("run the agent on a host that reaches the member and the store:")
    env.out(f"  karmadactl agent --config {result.config} --kubeconfig {member}")


def unregister_cluster(ctx: typer.Context, name: str = typer.Argument(..., metavar="NAME"),
                       kubeconfig: str | None = typer.Option(
                           None, "--kubeconfig", "--cluster-kubeconfig",
                           help="Member kubeconfig: remove what karmadactl placed in the member from here"),
                       context: str | None = typer.Option(None, "--context", "--cluster-context"),
                       wait: bool = typer.Option(False, "--wait",
                                                 help="Let the agent remove the member's objects first "
                                                      "(waits up to --wait-timeout)"),
                       wait_timeout: str = typer.Option("60s", "--wait-timeout"),
                       namespace: str = typer.Option("karmada-system", "-n", "--namespace",
                                                     help="Member namespace of the agent's ServiceAccount")) -> int:
    from karmadactl.apis.meta import parse_duration
    from karmadactl.cli.resources import pushing, report_pass
    from karmadactl.commands import register as registering

    env: Env = ctx.obj
    timeout = parse_duration(wait_timeout, "--wait-timeout") if wait else None
    with env.store() as store:
        result = registering.unregister(store, name, kubeconfig=kubeconfig, context=context, wait=timeout,
                                        pushing=pushing(env), namespace=namespace)
    for obj in result.deleted:
        env.out(f"{obj} deleted")
    env.out(f"cluster/{name} unregistered")
    return report_pass(env, result.plans, result.report)


def agent(ctx: typer.Context,
          cluster: str | None = typer.Option(None, "--cluster", help="The Pull cluster this agent serves"),
          config: str | None = typer.Option(None, "--config",
                                            help="Agent configuration written by register (store and cluster)"),
          kubeconfig: str | None = typer.Option(
              None, "--kubeconfig",
              help="Member kubeconfig [default: in-cluster config in a pod, else $KUBECONFIG, ~/.kube/config]"),
          context: str | None = typer.Option(None, "--context", help="Context in the member kubeconfig"),
          once: bool = typer.Option(False, "--once", help="Run one pass and exit"),
          interval: str = typer.Option("10s", "--interval", help="How often the agent posts status and pushes")
          ) -> int:
    from karmadactl.apis.meta import parse_duration
    from karmadactl.cli import loop
    from karmadactl.commands import register as registering
    from karmadactl.controllers.agent import Agent, Options
    from karmadactl.errors import ExitCode, UsageError

    env: Env = ctx.obj
    if config:
        named, env.store_url = registering.read_agent_config(config)
        cluster = cluster or named
    if not cluster:
        raise UsageError("agent: --cluster (or --config) is required")
    options = Options(interval=parse_duration(interval, "--interval"))
    member = _member_config(kubeconfig, context)
    say = functools.partial(loop.say, env)
    with env.store() as store:
        worker = Agent(store, cluster, lambda c: member.client(name=c.name), options, say)
        if once:
            try:
                result = worker.run_once()
            finally:
                worker.close()
            for line in result.failed:
                env.err(f"push to {cluster} failed: {line}")
            env.out(f"cluster/{cluster} Ready={result.ready}: {result.pushed} Works pushed or removed, "
                    f"{len(result.failed)} failed")
            if result.ready != "True":
                return ExitCode.ERROR
            return ExitCode.PARTIAL if result.failed else ExitCode.OK
        with loop.stop_on_signals(env) as stop:
            say(f"agent for cluster {cluster}: {store.url_for_display} <-> {member.server} every {interval}")
            worker.run(stop)
        say("stopped")
    return 0


def _member_config(kubeconfig: str | None, context: str | None):
    import os

    from karmadactl.members.kubeconfig import in_cluster, load_kubeconfig

    if kubeconfig is None and context is None and os.environ.get("KUBERNETES_SERVICE_HOST"):
        return in_cluster()
    return load_kubeconfig(kubeconfig, context)


def register(app: typer.Typer) -> None:
    token = typer.Typer(help="Bootstrap tokens for `register`: create, list, delete.", no_args_is_help=True)
    app.add_typer(token, name="token")
    token.command("create", help="Create a bootstrap token (printed once, never again).")(token_create)
    token.command("list", help="List the bootstrap tokens (their ids; the secret part is never shown).")(
        token_list)
    token.command("delete", help="Delete bootstrap tokens by id or whole token.")(token_delete)
    app.command("register", help="Register a member cluster in Pull mode: its agent (karmadactl agent) pushes "
                                 "its Works and posts its status.")(register_cluster)
    app.command("unregister", help="Remove a Pull cluster, its Works and its agent's credentials.")(
        unregister_cluster)
    app.command("agent", help="Run the agent of one Pull cluster: push its Works, post its status and "
                              "heartbeat Lease.")(agent)
