"""What a Pull-mode agent may do in the store: a database role per registered cluster.

On PostgreSQL, ``grant_agent`` makes a login role for one cluster with a random password,
grants it the tables an agent uses and records it in ``agent_roles``; the row-level security
policies of migration 4 (store/migrations.py) then keep that role to its own rows:

- objects: read its cluster's Works (namespace ``karmada-es-<cluster>``), its Cluster, its
  Lease (``karmada-cluster/<cluster>``) and the ResourceInterpreterCustomizations that health
  and status interpretation need; update those Works, its Cluster (status only, a trigger
  checks) and its Lease; create its Lease; delete its Works (once their member objects are
  gone, as Karmada's agent does);
- events: read and write those about its own Cluster, Works and Lease, and those the push of
  its Works records (their message starts with ``<cluster>: ``);
- secrets and agent_roles: nothing at all (no grant).

Every role that is not an agent's passes the ``owner`` policies, so the store's owner and a
team's own roles keep full access whether or not they own the tables (RLS is not FORCEd: the
tables' owner bypasses it anyway, as do superusers). Compare-and-swap writes stay as they are:
a row an agent may not see is, for it, a row that does not exist.

The store's role needs CREATEROLE to grant and revoke. The password travels only inside the
returned ``AgentAccess.store_url``; the server is given its SCRAM verifier, never the password,
so not even a failed statement in the server's log shows it.

SQLite has no roles: ``grant_agent`` hands back the store's own URL and nothing is enforced.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, insert, select, text
from sqlalchemy.exc import DBAPIError

from karmadactl.errors import StoreError
from karmadactl.store import schema
from karmadactl.store.database import Store

ROLES = schema.agent_roles
SCRAM_ITERATIONS = 4096
_NAME_MAX = 63   # PostgreSQL's identifier limit


@dataclass(frozen=True)
class AgentAccess:
    """How one cluster's agent reaches the store. ``store_url`` holds a password: write it only
    into the agent's private configuration file (its repr hides it)."""

    cluster: str
    role: str | None                  # None on SQLite: the agent uses the store's own URL
    store_url: str = field(repr=False)

    @property
    def enforced(self) -> bool:
        """Whether the database keeps this agent to its own rows."""
        return self.role is not None


def role_name(database: str, cluster: str) -> str:
    """A role name of its own for each (database, cluster): readable, within 63 characters."""
    readable = re.sub(r"[^a-z0-9]+", "_", f"karmada_agent_{cluster}".lower())[: _NAME_MAX - 9]
    digest = hashlib.sha256(f"{database}/{cluster}".encode()).hexdigest()[:8]
    return f"{readable}_{digest}"


def scram_verifier(password: str, salt: bytes | None = None, iterations: int = SCRAM_ITERATIONS) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for a password (RFC 5802, RFC 7677)."""
    salt = secrets.token_bytes(16) if salt is None else salt
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    stored_key = hashlib.sha256(hmac.new(salted, b"Client Key", "sha256").digest()).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${iterations}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def grant_agent(store: Store, cluster: str) -> AgentAccess:
    """A role for `cluster`'s agent (a new password each time: granting again rotates it)."""
    target = store._target
    if target.is_sqlite:
        return AgentAccess(cluster, None, target.url.render_as_string(hide_password=False))
    password = secrets.token_urlsafe(24)
    with store._transaction(write=True) as conn:
        _need_postgres(conn)
        database = str(conn.exec_driver_sql("SELECT current_database()").scalar())
        role = role_name(database, cluster)
        verifier = scram_verifier(password)
        verb = "ALTER" if _role_exists(conn, role) else "CREATE"
        conn.exec_driver_sql(f"{verb} ROLE {_quoted(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
                             f"NOINHERIT PASSWORD '{verifier}'")
        for statement in _grants(conn, database):
            conn.exec_driver_sql(statement.format(role=_quoted(role)))
        conn.execute(delete(ROLES).where((ROLES.c.cluster == cluster) | (ROLES.c.role == role)))
        conn.execute(insert(ROLES).values(role=role, cluster=cluster))
    url = target.url.set(username=role, password=password)
    return AgentAccess(cluster, role, url.render_as_string(hide_password=False))


def _grants(conn: Connection, database: str) -> list[str]:
    schema_name = str(conn.exec_driver_sql("SELECT current_schema()").scalar())
    sequence = conn.exec_driver_sql("SELECT pg_get_serial_sequence('events', 'id')").scalar()
    statements = [
        f"GRANT CONNECT ON DATABASE {_quoted(database)} TO {{role}}",
        f"GRANT USAGE ON SCHEMA {_quoted(schema_name)} TO {{role}}",
        "GRANT SELECT ON schema_version TO {role}",
        "GRANT SELECT, INSERT, UPDATE, DELETE ON objects TO {role}",
        "GRANT SELECT, INSERT ON events TO {role}",
    ]
    if sequence:
        statements.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {{role}}")
    return statements


def revoke_agent(store: Store, cluster: str) -> None:
    """Remove `cluster`'s agent role and everything granted to it; nothing happens if there is none.
    Its open sessions end with it."""
    if store._target.is_sqlite:
        return
    with store._transaction(write=True) as conn:
        _need_postgres(conn)
        database = str(conn.exec_driver_sql("SELECT current_database()").scalar())
        role = conn.execute(select(ROLES.c.role).where(ROLES.c.cluster == cluster)).scalar()
        if role is None:
            role = role_name(database, cluster)
            if not _role_exists(conn, role):
                return
        for statement in _grants(conn, database):
            revoke = statement.replace("GRANT ", "REVOKE ", 1).replace(" TO {role}", " FROM {role}")
            conn.exec_driver_sql(revoke.format(role=_quoted(role)))
        _end_sessions(conn, role)
        conn.exec_driver_sql(f"DROP ROLE {_quoted(role)}")
        conn.execute(delete(ROLES).where(ROLES.c.cluster == cluster))


def agent_roles(store: Store) -> dict[str, str]:
    """cluster -> role, for the clusters that have an agent role."""
    with store._transaction(write=False) as conn:
        rows = conn.execute(select(ROLES.c.cluster, ROLES.c.role)).all()
    return {r.cluster: r.role for r in rows}


def _role_exists(conn: Connection, role: str) -> bool:
    return conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}).first() is not None


def _end_sessions(conn: Connection, role: str) -> None:
    """End the role's open sessions where this role may (superuser, pg_signal_backend); its
    privileges are gone for them anyway, from their next statement on."""
    try:
        with conn.begin_nested():
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :r"),
                         {"r": role})
    except DBAPIError:
        pass


def _need_postgres(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise StoreError(f"agent roles need PostgreSQL, not {conn.dialect.name}")
