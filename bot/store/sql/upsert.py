"""INSERT … ON CONFLICT for SQLite and PostgreSQL (the same clause, from each dialect's own insert()).

"UPDATE, and INSERT when nothing was updated" is safe on SQLite, whose first write takes the database's write
lock; on PostgreSQL two transactions both find nothing to update and the second INSERT fails on the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(
    conn: AsyncConnection,
    table: sa.Table,
    *,
    key: Mapping[str, Any],
    values: Mapping[str, Any],
    insert_only: Mapping[str, Any] | None = None,
) -> None:
    """Insert the row `key` + `values` (+ `insert_only`), or set `values` on the row that already has `key` (its
    primary key)."""
    statement = _insert(conn, table).values({**key, **values, **(insert_only or {})})
    await conn.execute(statement.on_conflict_do_update(index_elements=list(key), set_=dict(values)))


async def insert_if_absent(conn: AsyncConnection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """Insert the row unless one with its key exists (then nothing happens); True when it was inserted."""
    result = await conn.execute(_insert(conn, table).values(dict(values)).on_conflict_do_nothing())
    return result.rowcount == 1


def _insert(conn: AsyncConnection, table: sa.Table) -> postgresql.Insert | sqlite.Insert:
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    if conn.dialect.name == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"no upsert for {conn.dialect.name}: the bot supports SQLite and PostgreSQL")
