"""Schema migrations (Alembic, scripts in bot/store/sql/migrations), run from code on a connection the caller holds.

`Database.migrate()` (at every start) and `helpdesk-bot db upgrade` both come here. A new revision, from the
repository root: `.venv/bin/python -c "from bot.store.sql.migrate import new_revision; new_revision('add x')"`, then
write its upgrade() by hand with op.* calls (op.batch_alter_table for changes SQLite cannot ALTER). The first
revision after the baseline also sets schema_info.version to 9, so that the releases from before the migrations
refuse the database from then on (tests/unit/store/test_migrations.py checks both).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError

from bot.store.sql import legacy_upgrade

MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK_ID = 0x68656C70_64657368  # a PostgreSQL advisory lock ("helpdesh")


class SchemaTooNewError(RuntimeError):
    """The database was written by a newer version of the bot; refusing to touch it."""


@dataclass(frozen=True, kw_only=True)
class SchemaState:
    """Where a database's schema stands, as far as this release can tell."""

    revision: str | None  # the Alembic revision recorded in the database
    head: str  # the newest revision this release has
    legacy_version: int | None = None  # schema_info's version, for a database from before the migrations
    known: bool = True  # False: a revision this release does not have (written by a newer bot)

    @property
    def is_current(self) -> bool:
        return self.revision == self.head


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """The Alembic configuration, built in code: no alembic.ini is needed wherever the bot runs."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection  # env.py runs the revisions on it
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("bot/store/sql/migrations/versions holds no revision")
    return head


def current_state(connection: sa.Connection) -> SchemaState:
    """The database's revision (None for an empty or pre-migration database) and whether this release knows it."""
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("bot/store/sql/migrations/versions holds no revision")
    revisions = MigrationContext.configure(connection).get_current_heads()
    if not revisions:
        return SchemaState(revision=None, head=head, legacy_version=legacy_upgrade.legacy_version(connection))
    revision = revisions[0] if len(revisions) == 1 else ", ".join(revisions)
    return SchemaState(revision=revision, head=head, known=all(_known(script, rev) for rev in revisions))


def upgrade(connection: sa.Connection) -> tuple[SchemaState, SchemaState]:
    """Bring the schema to the newest revision; the state before and after.

    Args:
        connection: just begun (engine.begin()); on SQLite the upgrade opens the transaction itself.

    Raises:
        SchemaTooNewError: the database was written by a newer release (nothing is changed).
    """
    _lock(connection)
    before = current_state(connection)
    if not before.known:
        raise SchemaTooNewError(
            f"the database is at schema revision {before.revision}, which this bot does not know (its newest is "
            f"{before.head}): it was written by a newer version of the bot; run that version, or restore a backup"
        )
    if before.legacy_version is not None:
        if before.legacy_version > legacy_upgrade.LAST_VERSION:
            raise SchemaTooNewError(
                f"database schema version {before.legacy_version} is newer than this bot "
                f"understands ({legacy_upgrade.LAST_VERSION})"
            )
        legacy_upgrade.upgrade_tables(connection, before.legacy_version)
    if not before.is_current:
        command.upgrade(alembic_config(connection), "head")
    return before, current_state(connection)


def _lock(connection: sa.Connection) -> None:
    """One migrator at a time: replicas (or `db upgrade`) starting together wait, then find the work done."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:id)"), {"id": _LOCK_ID})
    elif connection.dialect.name == "sqlite":
        # Python's sqlite3 runs DDL outside any transaction unless one is open: BEGIN IMMEDIATE makes the upgrade
        # one transaction and takes the write lock now (the connection is fresh from engine.begin()).
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def new_revision(message: str) -> None:
    """Write an empty, numbered revision file into bot/store/sql/migrations/versions (for developers)."""
    script = ScriptDirectory.from_config(alembic_config())
    number = f"{len(list(script.walk_revisions())) + 1:04d}"
    command.revision(alembic_config(), message=message, rev_id=number)


def _known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except CommandError:  # alembic's ResolutionError and friends: "Can't locate revision …"
        return False
