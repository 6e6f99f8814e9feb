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


MIGRATIONS: list[Migration] = [_v1_objects, _v2_secrets, _v3_events]
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
