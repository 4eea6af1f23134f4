"""`helpdesk-bot db upgrade | current`: the schema migrations of the bot's database (HELPDESK_DATABASE_URL).

The bot upgrades the schema itself on start; `db upgrade` does it ahead of time (say, before rolling out new
replicas, or to see a failure at the terminal rather than in a pod's log). Messages name the database with its
password masked.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

import sqlalchemy as sa
import typer

from bot.cli import common
from bot.store.sql.database import Database, SchemaState, SchemaTooNewError

db_app = typer.Typer(help="The bot's SQL database: schema migrations.", no_args_is_help=True)

T = TypeVar("T")


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the schema in an empty database, or upgrade it to this release's newest revision."""
    database = _database()
    before, after = _run(database, _upgrade)
    if before.is_current:
        typer.echo(f"{database.display_url}: already at the newest schema revision ({after.revision})")
    elif before.legacy_version is not None:
        typer.echo(
            f"{database.display_url}: upgraded from schema version {before.legacy_version} (from before "
            f"the migrations) to revision {after.revision}"
        )
    elif before.revision is None:
        typer.echo(f"{database.display_url}: created the schema at revision {after.revision}")
    else:
        typer.echo(f"{database.display_url}: upgraded from revision {before.revision} to {after.revision}")


@db_app.command("current")
def current() -> None:
    """Print the database's schema revision, and what `db upgrade` would do."""
    database = _database()
    state = _run(database, lambda db: db.schema_state())
    if not state.known:
        typer.echo(
            f"{state.revision} (unknown to this release, whose newest is {state.head}: a newer version "
            "of the bot wrote it)"
        )
        raise typer.Exit(1)
    if state.is_current:
        typer.echo(f"{state.revision} (the newest)")
    elif state.legacy_version is not None:
        typer.echo(
            f"none (schema version {state.legacy_version} from before the migrations: `helpdesk-bot db "
            f"upgrade` takes it to {state.head})"
        )
    elif state.revision is None:
        typer.echo(f"none (no schema yet: `helpdesk-bot db upgrade` creates it at {state.head})")
    else:
        typer.echo(f"{state.revision} (the newest is {state.head}: run `helpdesk-bot db upgrade`)")


async def _upgrade(database: Database) -> tuple[SchemaState, SchemaState]:
    before = await database.schema_state()
    await database.migrate()
    return before, await database.schema_state()


def _database() -> Database:
    """The configured database; only warnings are logged, so the command's own lines stay readable."""
    return Database(url=common.settings().resolved_database_url)


def _run(database: Database, work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work`, closing the engine; exit 1 with the reason when the database is unusable or too new."""

    async def run() -> T:
        try:
            return await work(database)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except SchemaTooNewError as error:
        common.fail(f"{database.display_url}: refused: {error}")
    except (sa.exc.SQLAlchemyError, OSError, TimeoutError) as error:
        # The first line only (SQLAlchemy appends the statement and a link), without the driver's class name.
        reason = re.sub(r"^\([\w.]+\) ", "", (str(error).splitlines() or [type(error).__name__])[0])
        common.fail(f"{database.display_url}: cannot use the database: {reason}")
