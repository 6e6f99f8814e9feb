"""What a Pull-mode agent may do in its member, as Kubernetes RBAC objects.

Karmada's `register` binds its karmada-agent to a ClusterRole allowing every verb on every
resource (pkg/karmadactl/register/register.go, createSecretAndRBACInMemberCluster).
The agent of karmadactl needs less: it reads (get, list, watch) what it reports,
applies Works with server-side apply (a PATCH, which creates what is missing: create too),
deletes what no Work wants any more, and reads /version, /readyz, /healthz and discovery.
So: those verbs on every resource, since a Work may carry any kind, and none of escalate,
bind or impersonate. Kubernetes refuses a role or binding that grants more than its creator
holds unless it has escalate/bind, so the agent cannot lift itself to cluster-admin through RBAC.
(It can still create Pods under any ServiceAccount of the member, as anything that applies
Deployments can: that is the trust a member gives the Works it receives.)
"""

from __future__ import annotations

from karmadactl.apis.wellknown import NAMESPACE_KARMADA_SYSTEM

AGENT_NAME = "karmada-agent"                      # ClusterRole, ClusterRoleBinding, Deployment
SERVICE_ACCOUNT = "karmada-agent-sa"              # Karmada's names (karmadactl register)
RESOURCE_VERBS = ["get", "list", "watch", "create", "patch", "delete"]
NON_RESOURCE_URLS = ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/readyz", "/version"]
LABELS = {"app": AGENT_NAME}


def agent_rbac(namespace: str = NAMESPACE_KARMADA_SYSTEM) -> list[dict]:
    """The ServiceAccount the agent runs as, its ClusterRole and the ClusterRoleBinding between them."""
    service_account = {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {"name": SERVICE_ACCOUNT, "namespace": namespace, "labels": dict(LABELS)},
    }
    cluster_role = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": AGENT_NAME, "labels": dict(LABELS)},
        "rules": [
            {"apiGroups": ["*"], "resources": ["*"], "verbs": list(RESOURCE_VERBS)},
            {"nonResourceURLs": list(NON_RESOURCE_URLS), "verbs": ["get"]},
        ],
    }
    binding = {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRoleBinding",
        "metadata": {"name": AGENT_NAME, "labels": dict(LABELS)},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": AGENT_NAME},
        "subjects": [{"kind": "ServiceAccount", "name": SERVICE_ACCOUNT, "namespace": namespace}],
    }
    return [service_account, cluster_role, binding]
