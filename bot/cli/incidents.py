"""`helpdesk-bot incidents list | confirm | resolve`: suspected and confirmed incidents, from the terminal.

`list` reads the database. `confirm` and `resolve` tell people in their chats, which only the running bot can
do (it holds the Slack and Teams connections), so they go through its staff API with HELPDESK_STAFF_TOKEN.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any, NoReturn

import aiohttp
import typer

from bot.cli import common

incidents_app = typer.Typer(help="Incidents: many people reporting the same problem.", no_args_is_help=True)

IncidentId = Annotated[str, typer.Argument(help="The incident's id, e.g. INC-261201-A1B2.", show_default=False)]
UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="The running bot [default: http://HOST:PORT from the settings]", show_default=False),
]
REQUEST_TIMEOUT_SECONDS = 60


@incidents_app.command("list")
def list_incidents(
    include_resolved: Annotated[bool, typer.Option("--all", help="Include resolved incidents.")] = False,
) -> None:
    """One line per incident, newest first: id, status, reporters, opened, title or first report."""
    from bot.incidents.store import OPEN_STATUSES, SqlIncidents
    from bot.store.sql.database import Database

    settings = common.settings()

    async def read() -> list[Any]:
        database = Database(url=settings.resolved_database_url)
        try:
            await database.migrate()
            return await SqlIncidents(database).all(None if include_resolved else OPEN_STATUSES)
        finally:
            await database.close()

    found = common.run(read())
    if not found:
        typer.echo("no incidents" if include_resolved else "no open incidents")
    for incident in found:
        typer.echo(
            f"{incident.id}  {incident.status.value:<9}  {incident.reporters:>3} reporters  "
            f"{incident.opened_at:%Y-%m-%d %H:%M}  {incident.title or incident.summary}"
        )


@incidents_app.command("confirm")
def confirm(
    incident: IncidentId,
    url: UrlOption = None,
    title: Annotated[str | None, typer.Option("--title", help="What people are told it is, e.g. 'VPN outage'.")] = None,
) -> None:
    """Confirm a suspected incident: people who reported it, and who report it next, are told IT is on it."""
    result = _call(url, f"/api/staff/incidents/{incident}/confirm", {"title": title} if title else {})
    typer.echo(f"{result['id']} confirmed; the {result['reporters']} people who reported it were told")


@incidents_app.command("resolve")
def resolve(
    incident: IncidentId,
    url: UrlOption = None,
    note: Annotated[str | None, typer.Option("--note", help="Told to everyone who reported it.")] = None,
) -> None:
    """Mark an incident fixed: everyone who reported it is told, in their own chat."""
    result = _call(url, f"/api/staff/incidents/{incident}/resolve", {"note": note} if note else {})
    typer.echo(f"{result['id']} resolved; the {result['reporters']} people who reported it were told")


def _call(url: str | None, path: str, body: dict[str, Any]) -> dict[str, Any]:
    settings = common.settings()
    token = settings.staff.token
    if token is None:
        _fail("set HELPDESK_STAFF_TOKEN (the running bot's staff token) to confirm or resolve incidents")
    base = (url or f"http://{settings.host}:{settings.port}").rstrip("/")
    headers = {"Authorization": f"Bearer {token.get_secret_value()}"}

    async def post() -> tuple[int, Any]:
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.post(base + path, json=body, headers=headers) as response,
        ):
            text = await response.text()
            try:
                return response.status, json.loads(text)
            except json.JSONDecodeError:
                return response.status, {"error": {"message": text[:200]}}

    try:
        status, payload = asyncio.run(post())
    except (aiohttp.ClientError, TimeoutError) as error:
        _fail(f"cannot reach the bot at {base} ({error or type(error).__name__}); is it running?")
    if status != 200:
        _fail(f"{status}: {payload.get('error', {}).get('message', payload)}")
    incident: dict[str, Any] = payload["incident"]
    return incident


def _fail(message: str) -> NoReturn:
    common.fail(message, code=2)
