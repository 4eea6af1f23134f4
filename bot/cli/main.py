"""The `helpdesk-bot` command: every command group mounted on one typer app."""

from __future__ import annotations

import typer

from bot.cli.audit import audit_app
from bot.cli.chat import ask, chat
from bot.cli.db import db_app
from bot.cli.drafts import drafts_app
from bot.cli.identity import identity_app
from bot.cli.incidents import incidents_app
from bot.cli.intents import intents_app
from bot.cli.kb import kb_app
from bot.cli.run import run
from bot.cli.teams import teams_app
from bot.cli.triage import triage_app

app = typer.Typer(help="IT-helpdesk bot: web chat, terminal chat and knowledge-base tools.", no_args_is_help=True)
app.command()(run)
app.command()(chat)
app.command()(ask)
kb_app.add_typer(drafts_app, name="drafts")
app.add_typer(kb_app, name="kb")
app.add_typer(intents_app, name="intents")
app.add_typer(teams_app, name="teams")
app.add_typer(audit_app, name="audit")
app.add_typer(identity_app, name="identity")
app.add_typer(triage_app, name="triage")
app.add_typer(incidents_app, name="incidents")
app.add_typer(db_app, name="db")
