"""Bootstrap tokens for `register` (Karmada's `karmadactl token`, pkg/karmadactl/token/token.go).

A token is `<id>.<secret>` ([a-z0-9]{6}.[a-z0-9]{16}), kept in the store's
secrets as Karmada keeps it in a Secret `bootstrap-token-<id>` of type
bootstrap.kubernetes.io/token. Only `create` ever shows the whole token; `list`
shows its id, and `delete` takes the id or the token.
"""

from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from karmadactl.apis.meta import parse_time, rfc3339
from karmadactl.errors import InvalidInput, NotFound

SECRET_PREFIX = "bootstrap-token-"
SECRET_TYPE = "bootstrap.kubernetes.io/token"
DEFAULT_TTL = timedelta(hours=24)
DEFAULT_USAGES = ("signing", "authentication")
DEFAULT_GROUPS = ("system:bootstrappers:karmada:default-cluster-token",)
ID_PATTERN = re.compile(r"^[a-z0-9]{6}$")
TOKEN_PATTERN = re.compile(r"^([a-z0-9]{6})\.([a-z0-9]{16})$")
_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class BootstrapToken:
    id: str
    secret: str = field(repr=False)
    expires: datetime | None = None          # None: never
    description: str = ""
    usages: tuple[str, ...] = DEFAULT_USAGES
    groups: tuple[str, ...] = DEFAULT_GROUPS

    @property
    def token(self) -> str:
        return f"{self.id}.{self.secret}"

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and now >= self.expires

    def to_secret(self) -> dict:
        """The Secret Karmada would hold (stored in the store's secrets, never in an object)."""
        data = {"token-id": self.id, "token-secret": self.secret}
        if self.expires is not None:
            data["expiration"] = rfc3339(self.expires)
        if self.description:
            data["description"] = self.description
        for usage in self.usages:
            data[f"usage-bootstrap-{usage}"] = "true"
        if self.groups:
            data["auth-extra-groups"] = ",".join(self.groups)
        return {"apiVersion": "v1", "kind": "Secret", "type": SECRET_TYPE,
                "metadata": {"name": SECRET_PREFIX + self.id, "namespace": "kube-system"}, "stringData": data}

    @classmethod
    def from_secret(cls, secret: dict) -> BootstrapToken:
        data = secret.get("stringData") or {}
        expiration = data.get("expiration")
        prefix = "usage-bootstrap-"
        return cls(id=data.get("token-id", ""), secret=data.get("token-secret", ""),
                   expires=parse_time(expiration) if expiration else None,
                   description=data.get("description", ""),
                   usages=tuple(k[len(prefix):] for k, v in data.items() if k.startswith(prefix) and v == "true"),
                   groups=tuple(g for g in data.get("auth-extra-groups", "").split(",") if g))


def generate(ttl: timedelta, description: str, now: datetime) -> BootstrapToken:
    """A new random token; a ttl of 0 never expires."""
    def random(n: int) -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(n))

    return BootstrapToken(id=random(6), secret=random(16), expires=now + ttl if ttl else None,
                          description=description)


def token_id(value: str) -> str:
    """The id a `delete` argument names: an id, or a whole token."""
    if ID_PATTERN.match(value):
        return value
    match = TOKEN_PATTERN.match(value)
    if match is None:
        raise InvalidInput(f"given token didn't match pattern {ID_PATTERN.pattern!r} or {TOKEN_PATTERN.pattern!r}")
    return match.group(1)


def create(store, *, ttl: timedelta = DEFAULT_TTL, description: str = "", now: datetime | None = None
           ) -> BootstrapToken:
    if ttl < timedelta(0):
        raise InvalidInput("--ttl: must not be negative")
    token = generate(ttl, description, now or datetime.now(UTC))
    with store.write() as tx:
        tx.put_secret(SECRET_PREFIX + token.id, token.to_secret())
    return token


def list_tokens(store) -> list[BootstrapToken]:
    with store.read() as tx:
        found = tx.list_secrets(SECRET_PREFIX)
    return [BootstrapToken.from_secret(data) for _, data in found if data.get("type") == SECRET_TYPE]


def delete(store, value: str) -> str:
    """Delete the token an id or a whole token names; returns its id."""
    ident = token_id(value)
    with store.write() as tx:
        if tx.get_secret(SECRET_PREFIX + ident) is None:
            raise NotFound(f'bootstrap token "{ident}" not found')
        tx.delete_secret(SECRET_PREFIX + ident)
    return ident


def check(store, value: str, now: datetime | None = None) -> BootstrapToken:
    """The stored token `value` is, refused when unknown, wrong or expired (the message never shows it)."""
    match = TOKEN_PATTERN.match(value or "")
    if match is None:
        raise InvalidInput("--token: expected a bootstrap token <6 characters>.<16 characters> "
                           "([a-z0-9]), as `karmadactl token create` prints it")
    with store.read() as tx:
        data = tx.get_secret(SECRET_PREFIX + match.group(1))
    stored = BootstrapToken.from_secret(data) if data and data.get("type") == SECRET_TYPE else None
    if stored is None or not hmac.compare_digest(stored.secret, match.group(2)):
        raise InvalidInput(f'bootstrap token "{match.group(1)}" is not valid for this store')
    if stored.expires is not None and stored.expired(now or datetime.now(UTC)):
        raise InvalidInput(f'bootstrap token "{stored.id}" expired at {rfc3339(stored.expires)}; '
                           "create a new one with `karmadactl token create`")
    return stored


def register_command(store_url: str | None, token: BootstrapToken) -> str:
    """The `karmadactl register` command line a new member runs (the store's password left out)."""
    import shlex

    from karmadactl.paths import store_url as resolved
    from karmadactl.store.engine import without_password

    url = without_password(resolved(store_url))
    return f"karmadactl --store {shlex.quote(url)} register CLUSTER_NAME --token {token.token}"


def short_duration(left: timedelta) -> str:
    """Kubernetes' ShortHumanDuration (apimachinery/pkg/util/duration), as `token list`'s TTL."""
    seconds = int(left.total_seconds())
    if seconds < -1:
        return "<invalid>"
    if seconds < 0:
        return "0s"
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    hours = seconds // 3600
    if hours < 24:
        return f"{hours}h"
    if hours < 24 * 365:
        return f"{hours // 24}d"
    return f"{hours // 24 // 365}y"


def table_row(token: BootstrapToken, now: datetime) -> list[str]:
    """TOKEN (its id only), TTL, EXPIRES, USAGES, DESCRIPTION, EXTRA GROUPS."""
    ttl, expires = "<forever>", "<never>"
    if token.expires is not None:
        ttl, expires = short_duration(token.expires - now), rfc3339(token.expires)
    return [token.id, ttl, expires, ",".join(token.usages) or "<none>", token.description or "<none>",
            ",".join(token.groups) or "<none>"]
