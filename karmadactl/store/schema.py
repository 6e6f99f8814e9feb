"""The tables as the current code reads and writes them (SQLAlchemy Core).

Only portable types (String, Text, Integer), so the same tables work on SQLite
and PostgreSQL. Migrations (migrations.py) create and change these tables; keep
the two in step: a column added here needs a migration step that adds it.
"""

from __future__ import annotations

from sqlalchemy import Column, Integer, MetaData, String, Table, Text

NAME = 253  # the longest DNS subdomain name Kubernetes allows

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),  # always 1
    Column("version", Integer, nullable=False),
)

# Every Kubernetes or Karmada object: templates, policies, clusters, bindings,
# works. The body is the whole object as JSON; the columns beside it are what
# queries and compare-and-swap need.
objects = Table(
    "objects",
    metadata,
    Column("group_kind", String(NAME), primary_key=True),
    Column("namespace", String(NAME), primary_key=True),  # "" = cluster-scoped
    Column("name", String(NAME), primary_key=True),
    Column("uid", String(36), nullable=False),
    Column("resource_version", Integer, nullable=False),
    Column("generation", Integer, nullable=False),
    Column("body", Text, nullable=False),
)

# Member-cluster credentials copied from a kubeconfig. Never inside an object.
secrets = Table(
    "secrets",
    metadata,
    Column("name", String(NAME), primary_key=True),
    Column("data", Text, nullable=False),
    Column("updated", String(32), nullable=False),
)

events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", String(32), nullable=False, index=True),  # fixed-width RFC3339
    Column("kind", String(NAME), nullable=False),
    Column("namespace", String(NAME), nullable=False),
    Column("name", String(NAME), nullable=False),
    Column("type", String(16), nullable=False),
    Column("reason", String(128), nullable=False),
    Column("message", Text, nullable=False),
)

# Pull mode: the database role each registered cluster's agent logs in as (PostgreSQL;
# store/access.py). The row-level security policies read it to know whose rows a role may touch.
agent_roles = Table(
    "agent_roles",
    metadata,
    Column("role", String(63), primary_key=True),
    Column("cluster", String(NAME), nullable=False, unique=True),
)
