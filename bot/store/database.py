"""The SQL database: engine, schema creation and version check, health ping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.schema import SCHEMA_VERSION, metadata, schema_info

log = structlog.get_logger(__name__)


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot; refusing to touch it."""


class Database:
    """Owns the async engine. SQLite by default; any SQLAlchemy async URL (e.g. postgresql+asyncpg://)."""

    def __init__(self, *, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=True)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        if self._is_sqlite:
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def migrate(self) -> None:
        """Create missing tables and record the schema version; refuse a database from the future.

        Added tables (2: feedback, 3: channel references) come from `create_all`; steps that change existing
        tables run first, for the versions they upgrade from.
        """
        async with self.engine.begin() as conn:
            stored = await conn.run_sync(_stored_version)
            if stored == 3:
                # 4 drops the foreign key to conversations. Version 3 never wrote a reference, so the table is
                # recreated rather than copied.
                await conn.execute(sa.text("DROP TABLE IF EXISTS channel_references"))
            await conn.run_sync(metadata.create_all)
            if stored is not None and stored < 7:
                await conn.run_sync(_add_missing_columns, "handoffs")
            if stored is None:
                await conn.execute(schema_info.insert().values(id=1, version=SCHEMA_VERSION))
            elif stored > SCHEMA_VERSION:
                raise SchemaTooNewError(
                    f"database schema version {stored} is newer than this bot understands ({SCHEMA_VERSION})"
                )
            elif stored < SCHEMA_VERSION:
                await conn.execute(schema_info.update().values(version=SCHEMA_VERSION))
                log.info("database_upgraded", from_version=stored, to_version=SCHEMA_VERSION)
        log.info("database_ready", schema_version=SCHEMA_VERSION)

    async def ping(self) -> bool:
        """True when the database answers a trivial query."""
        try:
            async with self.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
            return True
        except (sa.exc.SQLAlchemyError, OSError) as error:
            log.warning("database_unavailable", error=str(error))
            return False

    async def close(self) -> None:
        await self.engine.dispose()


def _stored_version(connection: sa.Connection) -> int | None:
    """The schema version recorded in the database, or None for a new database."""
    if not sa.inspect(connection).has_table(schema_info.name):
        return None
    return connection.execute(sa.select(schema_info.c.version)).scalar_one_or_none()


def _add_missing_columns(connection: sa.Connection, table_name: str) -> None:
    """ALTER TABLE … ADD COLUMN for columns the schema has gained since the table was created (all nullable)."""
    table = metadata.tables[table_name]
    present = {column["name"] for column in sa.inspect(connection).get_columns(table_name)}
    for column in table.columns:
        if column.name in present:
            continue
        assert column.nullable, f"{table_name}.{column.name} must be nullable to be added to existing rows"
        kind = column.type.compile(dialect=connection.dialect)
        connection.execute(sa.text(f'ALTER TABLE {table_name} ADD COLUMN "{column.name}" {kind}'))
        for index in table.indexes:  # the schema's own Index objects: creating new ones would alter the metadata
            if column.name in index.columns:
                index.create(connection, checkfirst=True)


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    # WAL lets readers (the events poller) run while a turn writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything the bot stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def as_utc_or_none(value: datetime | None) -> datetime | None:
    return None if value is None else as_utc(value)
