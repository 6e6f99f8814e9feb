"""The TokenRequest API of a sandbox member: tokens for its ServiceAccounts.

POST /api/v1/namespaces/NS/serviceaccounts/NAME/token answers a TokenRequest
(authentication.k8s.io/v1) whose status carries a new bearer token. The member
then accepts that token until it expires or its ServiceAccount is deleted, as
kube-apiserver does for bound tokens. The sandbox does not enforce RBAC: a
ServiceAccount's token opens what the member's own token opens.
"""

from __future__ import annotations

import hmac
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from karmadactl.apis.meta import rfc3339
from karmadactl.sandbox.objects import StatusError, bad_request

TOKEN_PATH = re.compile(r"^/api/v1/namespaces/([^/]+)/serviceaccounts/([^/]+)/token$")
DEFAULT_EXPIRATION = 3600                 # seconds, kube's default for a TokenRequest
MIN_EXPIRATION = 600


@dataclass(frozen=True)
class Issued:
    namespace: str
    service_account: str
    uid: str
    expires: datetime


class ServiceAccountTokens:
    """Tokens issued for ServiceAccounts; `service_account(namespace, name)` reads one from the member."""

    def __init__(self, service_account: Callable[[str, str], dict | None]):
        self._service_account = service_account
        self._issued: dict[str, Issued] = {}

    def request(self, namespace: str, name: str, body: dict, now: datetime) -> dict:
        """Issue a token for ServiceAccount namespace/name: the TokenRequest answered."""
        account = self._service_account(namespace, name)
        if account is None:
            raise StatusError(404, "NotFound", f'serviceaccounts "{name}" not found',
                              {"name": name, "kind": "serviceaccounts"})
        spec = dict(body.get("spec") or {})
        seconds = spec.get("expirationSeconds", DEFAULT_EXPIRATION)
        if not isinstance(seconds, int) or seconds < MIN_EXPIRATION:
            raise bad_request(f"spec.expirationSeconds: may not specify a duration less than "
                              f"{MIN_EXPIRATION // 60} minutes")
        spec["expirationSeconds"] = seconds
        spec.setdefault("audiences", ["https://kubernetes.default.svc"])
        expires = now + timedelta(seconds=seconds)
        token = secrets.token_hex(24)
        self._issued[token] = Issued(namespace, name, account["metadata"].get("uid", ""), expires)
        return {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest",
                "metadata": {"name": name, "namespace": namespace,
                             "creationTimestamp": rfc3339(now)},
                "spec": spec,
                "status": {"token": token, "expirationTimestamp": rfc3339(expires)}}

    def accepts(self, presented: str, now: datetime) -> bool:
        """Whether `presented` is a live token of a ServiceAccount that still exists."""
        for token, issued in self._issued.items():
            if hmac.compare_digest(presented.encode(), token.encode()):
                account = self._service_account(issued.namespace, issued.service_account)
                return (issued.expires > now and account is not None
                        and account["metadata"].get("uid", "") == issued.uid)
        return False
