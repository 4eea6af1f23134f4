"""`helpdesk-bot teams package`: the Teams app zip to upload."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.channels.teams.package import MANIFEST_DIR, PackageError, build_package

teams_app = typer.Typer(help="Microsoft Teams tools.", no_args_is_help=True)


@teams_app.command("package")
def package(
    host: Annotated[str, typer.Option(help="The bot's public host name, e.g. helpdesk.example.com.")],
    app_id: Annotated[
        str | None,
        typer.Option(
            help="Microsoft App ID (default: TEAMS_APP_ID).", envvar=["TEAMS_APP_ID", "HELPDESK_TEAMS_APP_ID"]
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where to write the zip.")] = Path("helpdesk-teams.zip"),
    manifest_dir: Annotated[Path, typer.Option(help="Folder with manifest.json and the icons.")] = MANIFEST_DIR,
) -> None:
    """Fill the app id and host into manifests/teams/manifest.json and zip it with the icons."""
    if not app_id:
        typer.echo("No app id: pass --app-id or set TEAMS_APP_ID.", err=True)
        raise typer.Exit(2)
    try:
        data = build_package(app_id=app_id, host=host, manifest_dir=manifest_dir)
    except PackageError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from error
    out.write_bytes(data)
    typer.echo(f"Wrote {out} ({len(data)} bytes). Upload it in Teams: Apps → Manage your apps → Upload an app.")
