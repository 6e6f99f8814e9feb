"""The agent's own identity in its member: agent_rbac's objects and a kubeconfig for them.

Karmada's `register` always runs its agent as ServiceAccount karmada-agent-sa, bound
by ClusterRoleBinding karmada-agent to ClusterRole karmada-agent, in the namespace
given by -n (karmada-system). Here `register --agent-identity` applies those objects
(agent_rbac: a ClusterRole narrower than Karmada's) with server-side apply, asks the
member for a token of that ServiceAccount (TokenRequest API) and writes a kubeconfig
(mode 0600) with the member's server and that token, for `karmadactl agent
--kubeconfig`. `unregister --kubeconfig` removes the three objects; the namespace
stays, as Karmada's unregister leaves it.

Karmada's sources: pkg/karmadactl/register/register.go (KarmadaAgentServiceAccountName,
createSecretAndRBACInMemberCluster, DefaultCertExpirationSeconds) and
pkg/karmadactl/unregister/unregister.go (listMemberClusterResources: the agent's namespace is
not among what it deletes).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from karmadactl.apis import kinds
from karmadactl.commands.agent_rbac import SERVICE_ACCOUNT, agent_rbac

TOKEN_EXPIRATION = 31536000          # seconds, a year: Karmada's --cert-expiration-seconds
SYSTEM_LABEL = {"karmada.io/system": "true"}


@dataclass
class Identity:
    namespace: str
    service_account: str
    kubeconfig: Path                   # the agent's kubeconfig (the ServiceAccount's token)
    expires: str                       # when that token expires, as the member says


def identity_kubeconfig_path(config: Path) -> Path:
    """Where the identity's kubeconfig goes: beside the agent configuration file."""
    return config.with_name(config.name.removesuffix(".yaml") + ".kubeconfig")


def install(client, admin: dict, namespace: str, path: Path) -> Identity:
    """Apply the namespace and agent_rbac's objects to the member, write the ServiceAccount's kubeconfig
    (the cluster of `admin`, the member's kubeconfig as embedded(), with the ServiceAccount's token)."""
    import yaml

    from karmadactl.paths import write_private

    client.apply({"apiVersion": "v1", "kind": "Namespace",
                  "metadata": {"name": namespace, "labels": dict(SYSTEM_LABEL)}}, "namespaces")
    for obj in agent_rbac(namespace):
        client.apply(obj, kinds.of(obj).plural)
    status = client.request_token(namespace, SERVICE_ACCOUNT, TOKEN_EXPIRATION)
    if not status.get("token"):
        from karmadactl.errors import Unreachable

        raise Unreachable(f"the member gave no token for serviceaccount {namespace}/{SERVICE_ACCOUNT}")
    write_private(path, yaml.safe_dump(kubeconfig(admin, namespace, status["token"]),
                                       sort_keys=False))
    return Identity(namespace, SERVICE_ACCOUNT, path, str(status.get("expirationTimestamp") or ""))


def kubeconfig(admin: dict, namespace: str, token: str) -> dict:
    """The admin kubeconfig's cluster (server, CA) with the ServiceAccount's token as its user."""
    cluster = admin["clusters"][0]
    user = f"{namespace}:{SERVICE_ACCOUNT}"
    return {"apiVersion": "v1", "kind": "Config",
            "clusters": [cluster],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": user, "context": {"cluster": cluster["name"], "user": user,
                                                    "namespace": namespace}}],
            "current-context": user}


def remove(client, namespace: str) -> list[str]:
    """Delete agent_rbac's objects from the member (those that were there), binding first."""
    from karmadactl.controllers.clusters import describe_object

    deleted = []
    for obj in reversed(agent_rbac(namespace)):
        meta = obj["metadata"]
        plural = kinds.of(obj).plural
        if client.delete(obj["apiVersion"], plural, meta["name"], meta.get("namespace")):
            deleted.append(describe_object(obj["apiVersion"], plural, meta.get("namespace", ""), meta["name"]))
    return deleted
