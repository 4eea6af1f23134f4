"""The SQL database: engine, schema migrations on start, health ping."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import structlog
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bot.store.sql.migrate import SchemaState, SchemaTooNewError, current_state, upgrade

__all__ = ["Database", "SchemaState", "SchemaTooNewError", "as_utc", "as_utc_or_none"]

log = structlog.get_logger(__name__)


class Database:
    """Owns the async engine. SQLite by default; any SQLAlchemy async URL (e.g. postgresql+asyncpg://)."""

    def __init__(self, *, url: str) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.engine: AsyncEngine = create_async_engine(url, pool_pre_ping=True)
        # For messages and logs: the URL may carry a password.
        self.display_url = parsed.render_as_string(hide_password=True)
        self._is_sqlite = parsed.get_backend_name() == "sqlite"
        if self._is_sqlite:
            sa.event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)

    async def migrate(self) -> None:
        """Bring the schema to the newest Alembic revision (creating it in an empty database).

        Raises:
            SchemaTooNewError: the database was written by a newer release; it is left untouched.
        """
        async with self.engine.begin() as conn:
            before, after = await conn.run_sync(upgrade)
        if before.revision != after.revision:
            log.info(
                "database_upgraded",
                from_revision=before.revision,
                legacy_version=before.legacy_version,
                to_revision=after.revision,
            )
        log.info("database_ready", revision=after.revision)

    async def schema_state(self) -> SchemaState:
        """The schema revision the database is at, without changing anything."""
        async with self.engine.connect() as conn:
            return await conn.run_sync(current_state)

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
