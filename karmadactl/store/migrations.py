"""Schema versions and the steps between them.

MIGRATIONS is an ordered list; step i (0-based) takes a store from version i
to version i + 1, so LATEST == len(MIGRATIONS). A store without a
schema_version table is at version 0 (empty). Each step spells out its own
DDL instead of using schema.py, so later changes to schema.py never change
what an old step does. ``upgrade`` runs inside the caller's transaction: on
SQLite and PostgreSQL DDL is transactional, so an upgrade applies whole or
not at all.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import (
    Column,
    Connection,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    update,
)

from karmadactl.errors import StoreError

Migration = Callable[[Connection], None]


def _v1_objects(conn: Connection) -> None:
    """Version 1: the object table and the version marker."""
    md = MetaData()
    Table(
        "schema_version",
        md,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("version", Integer, nullable=False),
    )
    Table(
        "objects",
        md,
        Column("group_kind", String(253), primary_key=True),
        Column("namespace", String(253), primary_key=True),
        Column("name", String(253), primary_key=True),
        Column("uid", String(36), nullable=False),
        Column("resource_version", Integer, nullable=False),
        Column("generation", Integer, nullable=False),
        Column("body", Text, nullable=False),
    )
    md.create_all(conn)


def _v2_secrets(conn: Connection) -> None:
    """Version 2: cluster credentials move out of object bodies."""
    md = MetaData()
    Table(
        "secrets",
        md,
        Column("name", String(253), primary_key=True),
        Column("data", Text, nullable=False),
        Column("updated", String(32), nullable=False),
    )
    md.create_all(conn)


def _v3_events(conn: Connection) -> None:
    """Version 3: an event log, queried by time."""
    md = MetaData()
    t = Table(
        "events",
        md,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("time", String(32), nullable=False),
        Column("kind", String(253), nullable=False),
        Column("namespace", String(253), nullable=False),
        Column("name", String(253), nullable=False),
        Column("type", String(16), nullable=False),
        Column("reason", String(128), nullable=False),
        Column("message", Text, nullable=False),
    )
    Index("ix_events_time", t.c.time)
    md.create_all(conn)


# What an agent's role may touch (Pull mode, store/access.py). `agent` is the cluster the
# connected role stands for, NULL for every other role; each row of the objects table an agent
# may read, change, create or delete, and each event it may read or write, is named here.
_AGENT = "(SELECT karmadactl_agent_cluster())"
_OWN_WORKS = f"(group_kind = 'Work.work.karmada.io' AND namespace = 'karmada-es-' || {_AGENT})"
_OWN_CLUSTER = f"(group_kind = 'Cluster.cluster.karmada.io' AND namespace = '' AND name = {_AGENT})"
_OWN_LEASE = f"(group_kind = 'Lease.coordination.k8s.io' AND namespace = 'karmada-cluster' AND name = {_AGENT})"
_SHARED_READS = "(group_kind = 'ResourceInterpreterCustomization.config.karmada.io')"
_OWN_EVENTS = (f"((kind = 'Cluster' AND namespace = '' AND name = {_AGENT})"
               f" OR (kind = 'Work' AND namespace = 'karmada-es-' || {_AGENT})"
               f" OR (kind = 'Lease' AND namespace = 'karmada-cluster' AND name = {_AGENT})"
               f" OR left(message, length({_AGENT}) + 2) = {_AGENT} || ': ')")
_NOT_AGENT = f"({_AGENT} IS NULL)"
_STATUS_ONLY = "((body::jsonb - 'status') #- '{metadata,resourceVersion}' #- '{metadata,generation}')"


def _v4_agent_access(conn: Connection) -> None:
    """Version 4: Pull-mode agents' roles, and on PostgreSQL row-level security that keeps each
    agent to its own cluster's rows. Every other role (the store's owner, a team's roles) passes
    the `owner` policies unchanged; superusers and the tables' owner bypass RLS anyway."""
    md = MetaData()
    Table(
        "agent_roles",
        md,
        Column("role", String(63), primary_key=True),
        Column("cluster", String(253), nullable=False, unique=True),
    )
    md.create_all(conn)
    if conn.dialect.name != "postgresql":
        return
    schema = conn.exec_driver_sql("SELECT current_schema()").scalar()
    for statement in (
        f"""CREATE OR REPLACE FUNCTION karmadactl_agent_cluster() RETURNS text
            LANGUAGE sql STABLE SECURITY DEFINER SET search_path = "{schema}"
            AS $$ SELECT cluster FROM agent_roles WHERE role = session_user $$""",
        "REVOKE ALL ON agent_roles FROM PUBLIC",
        f"""CREATE OR REPLACE FUNCTION karmadactl_agent_status_only() RETURNS trigger
            LANGUAGE plpgsql SET search_path = "{schema}" AS $$
            BEGIN
                IF karmadactl_agent_cluster() IS NOT NULL
                   AND {_STATUS_ONLY.replace("body", "OLD.body")} <> {_STATUS_ONLY.replace("body", "NEW.body")} THEN
                    RAISE EXCEPTION 'an agent may change only the status of its Cluster'
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END $$""",
        "CREATE TRIGGER agent_cluster_status_only BEFORE UPDATE ON objects FOR EACH ROW"
        " WHEN (OLD.group_kind = 'Cluster.cluster.karmada.io') EXECUTE FUNCTION karmadactl_agent_status_only()",
        "ALTER TABLE objects ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY owner ON objects USING {_NOT_AGENT} WITH CHECK {_NOT_AGENT}",
        f"CREATE POLICY agent_read ON objects FOR SELECT USING ({_OWN_WORKS} OR {_OWN_CLUSTER} OR {_OWN_LEASE}"
        f" OR {_SHARED_READS})",
        f"CREATE POLICY agent_update ON objects FOR UPDATE USING ({_OWN_WORKS} OR {_OWN_CLUSTER} OR {_OWN_LEASE})"
        f" WITH CHECK ({_OWN_WORKS} OR {_OWN_CLUSTER} OR {_OWN_LEASE})",
        f"CREATE POLICY agent_create ON objects FOR INSERT WITH CHECK {_OWN_LEASE}",
        f"CREATE POLICY agent_delete ON objects FOR DELETE USING {_OWN_WORKS}",
        "ALTER TABLE events ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY owner ON events USING {_NOT_AGENT} WITH CHECK {_NOT_AGENT}",
        f"CREATE POLICY agent_read ON events FOR SELECT USING {_OWN_EVENTS}",
        f"CREATE POLICY agent_write ON events FOR INSERT WITH CHECK {_OWN_EVENTS}",
    ):
        conn.exec_driver_sql(statement)


MIGRATIONS: list[Migration] = [_v1_objects, _v2_secrets, _v3_events, _v4_agent_access]
LATEST = len(MIGRATIONS)

_version_table = Table(
    "schema_version",
    MetaData(),
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)


def current_version(conn: Connection) -> int:
    """The schema version a store is at; 0 for an empty database."""
    if not inspect(conn).has_table("schema_version"):
        return 0
    v = conn.execute(select(_version_table.c.version).where(_version_table.c.id == 1)).scalar()
    return int(v or 0)


def check_not_newer(version: int, latest: int = LATEST) -> None:
    if version > latest:
        raise StoreError(
            f"store schema {version} is newer than this karmadactl ({latest}); upgrade karmadactl"
        )


def upgrade(conn: Connection, target: int = LATEST, steps: list[Migration] | None = None) -> int:
    """Bring the store to ``target`` within the caller's transaction.

    Returns the version found before upgrading. Running it on a store that is
    already at ``target`` does nothing.
    """
    steps = MIGRATIONS if steps is None else steps
    found = current_version(conn)
    check_not_newer(found, len(steps))
    for step in steps[found:target]:
        step(conn)
    if target > found:
        if found == 0:
            conn.execute(insert(_version_table).values(id=1, version=target))
        else:
            conn.execute(update(_version_table).where(_version_table.c.id == 1).values(version=target))
    return found
