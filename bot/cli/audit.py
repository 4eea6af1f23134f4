"""`helpdesk-bot audit verify | export`: check the audit chain, or write it out as JSON lines."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, TextIO

import typer

from bot.audit import AuditLog, Verification
from bot.cli import common
from bot.store.sql.database import Database

audit_app = typer.Typer(help="The audit log of verifications and actions.", no_args_is_help=True)


@audit_app.command("verify")
def verify() -> None:
    """Recompute the hash chain; exit 1 if any record was edited or deleted."""
    result = common.run(_verify(_database_url()))
    if result.ok:
        typer.echo(f"audit log intact: {result.records} records")
        return
    typer.echo(f"audit log BROKEN: {result.problem} ({result.records} records check out before it)", err=True)
    raise typer.Exit(1)


@audit_app.command("export")
def export(
    since: Annotated[
        str | None, typer.Option(help="Only records from this time on (ISO 8601, e.g. 2026-11-01).")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="File to write (default: standard output).")] = None,
) -> None:
    """Write the records as JSON lines, oldest first, with their hashes (so the copy can be checked too)."""
    start = _parse_time(since) if since else None
    url = _database_url()
    if out is None:
        count = common.run(_export(url, start, sys.stdout))
    else:
        with out.open("w", encoding="utf-8") as sink:
            count = common.run(_export(url, start, sink))
    typer.echo(f"exported {count} records", err=True)


def _database_url() -> str:
    """The configured database; logs go to stderr so an export on stdout stays clean."""
    return common.settings().resolved_database_url


def _parse_time(text: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as error:
        raise typer.BadParameter(f"not an ISO 8601 time: {text!r}", param_hint="--since") from error
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


async def _verify(url: str) -> Verification:
    database = Database(url=url)
    try:
        await database.migrate()
        return await AuditLog(database=database).verify()
    finally:
        await database.close()


async def _export(url: str, since: datetime | None, sink: TextIO) -> int:
    database = Database(url=url)
    count = 0
    try:
        await database.migrate()
        async for record in AuditLog(database=database).records(since=since):
            sink.write(json.dumps(record.as_json(), ensure_ascii=False) + "\n")
            count += 1
    finally:
        await database.close()
    return count
