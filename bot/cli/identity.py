"""`helpdesk-bot identity …`: enrol people in TOTP, make the key that encrypts their secrets."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli import common
from bot.identity.secrets import SecretBox, SecretKeyError, new_secret_key
from bot.identity.totp import Enrolment, TotpEnrolments
from bot.store.sql.database import Database

identity_app = typer.Typer(help="Identity verification: TOTP enrolment and the secret key.", no_args_is_help=True)


@identity_app.command("new-secret-key")
def new_key() -> None:
    """Print a new key for HELPDESK_SECRET_KEY (keep it in your secret store; losing it voids enrolments)."""
    typer.echo(new_secret_key())


@identity_app.command("enroll-totp")
def enroll_totp(email: Annotated[str, typer.Argument(help="The person's directory e-mail / UPN.")]) -> None:
    """Give EMAIL a new TOTP secret (replacing any earlier one); prints it and its otpauth:// URI once."""
    settings = common.settings()
    if settings.secret_key is None:
        common.fail(
            "HELPDESK_SECRET_KEY is not set: TOTP secrets are stored encrypted with it; "
            "create one with `helpdesk-bot identity new-secret-key`",
            code=2,
        )
    try:
        box = SecretBox(key=settings.secret_key.get_secret_value())
    except SecretKeyError as error:
        common.fail(str(error), code=2)
    try:
        enrolment = common.run(_enroll(settings.resolved_database_url, box, email))
    except ValueError as error:  # not an e-mail address
        common.fail(str(error), code=2)
    typer.echo(f"secret: {enrolment.secret}")
    typer.echo(f"uri: {enrolment.uri}")
    typer.echo("Shown once: add it to the person's authenticator app now (scan the URI as a QR code).", err=True)


async def _enroll(url: str, box: SecretBox, email: str) -> Enrolment:
    database = Database(url=url)
    try:
        await database.migrate()
        return await TotpEnrolments(database=database, box=box).enroll(email)
    finally:
        await database.close()
