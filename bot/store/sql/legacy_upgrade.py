"""Databases from the releases before the Alembic migrations: their hand-written upgrade steps, kept as they were.

Those releases recorded a schema version (1 to 8) in `schema_info` and had no `alembic_version` table. Before the
baseline revision runs on such a database, the steps below change the tables it already has the way those
releases did; the baseline (which creates only what is missing) then adds the tables of the later versions.
Frozen, like a revision: nothing here follows bot/store/sql/schema.py.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy.types import TypeEngine

log = structlog.get_logger(__name__)

LAST_VERSION = 8  # the newest version a release before the migrations wrote

# Columns version 7 added to `handoffs` (all nullable: older tickets keep them empty). Its index on group_name
# comes from the baseline revision.
_HANDOFFS_SINCE_7: tuple[tuple[str, TypeEngine[Any]], ...] = (
    ("requester", sa.JSON()),
    ("reason", sa.Text()),
    ("summary", sa.Text()),
    ("category", sa.String(64)),
    ("priority", sa.String(8)),
    ("group_name", sa.String(64)),
    ("assignee", sa.String(320)),
    ("assignee_name", sa.String(256)),
    ("first_response_at", sa.DateTime(timezone=True)),
    ("resolved_at", sa.DateTime(timezone=True)),
    ("resolution", sa.Text()),
    ("rating", sa.Integer()),
    ("external", sa.JSON()),
    ("updated_at", sa.DateTime(timezone=True)),
)


def legacy_version(connection: sa.Connection) -> int | None:
    """The version in `schema_info`, or None when the database has no such table (or no row)."""
    if not sa.inspect(connection).has_table("schema_info"):
        return None
    version = connection.execute(sa.text("SELECT version FROM schema_info")).scalar_one_or_none()
    return None if version is None else int(version)


def upgrade_tables(connection: sa.Connection, version: int) -> None:
    """Change the tables a version-`version` database has into their version-8 shape."""
    if version == 3:
        # 4 dropped the foreign key to conversations. Version 3 never wrote a reference, so the table is
        # dropped (the baseline creates it anew) rather than copied.
        connection.execute(sa.text("DROP TABLE IF EXISTS channel_references"))
    if version < 7 and sa.inspect(connection).has_table("handoffs"):
        _add_missing_columns(connection, "handoffs", _HANDOFFS_SINCE_7)
    log.info("database_legacy_upgraded", from_version=version, to_version=LAST_VERSION)


def _add_missing_columns(
    connection: sa.Connection, table: str, columns: tuple[tuple[str, TypeEngine[Any]], ...]
) -> None:
    present = {column["name"] for column in sa.inspect(connection).get_columns(table)}
    for name, kind in columns:
        if name not in present:
            compiled = kind.compile(dialect=connection.dialect)
            connection.execute(sa.text(f'ALTER TABLE {table} ADD COLUMN "{name}" {compiled}'))
