"""`helpdesk-bot db upgrade | current`, as an operator would run them before a release goes out."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.__main__ import app
from bot.store.sql.database import Database
from bot.store.sql.migrate import head_revision

runner = CliRunner()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, database_url: str) -> str:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", database_url)
    return database_url


def test_upgrade_creates_the_schema_then_has_nothing_left_to_do(configured: str) -> None:
    before = runner.invoke(app, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert before.stdout.startswith("none (no schema yet")

    created = runner.invoke(app, ["db", "upgrade"])
    assert created.exit_code == 0, created.output
    assert f"created the schema at revision {head_revision()}" in created.stdout

    again = runner.invoke(app, ["db", "upgrade"])
    assert again.exit_code == 0, again.output
    assert f"already at the newest schema revision ({head_revision()})" in again.stdout
    assert runner.invoke(app, ["db", "current"]).stdout == f"{head_revision()} (the newest)\n"


def test_a_database_from_a_newer_release_is_refused_with_the_reason(configured: str) -> None:
    async def written_by_a_newer_bot() -> None:
        database = Database(url=configured)
        await database.migrate()
        async with database.engine.begin() as conn:
            await conn.execute(sa.text("UPDATE alembic_version SET version_num = '0099'"))
        await database.close()

    asyncio.run(written_by_a_newer_bot())
    upgrade = runner.invoke(app, ["db", "upgrade"])
    assert upgrade.exit_code == 1
    assert "refused" in upgrade.output
    assert "written by a newer version of the bot" in upgrade.output
    current = runner.invoke(app, ["db", "current"])
    assert current.exit_code == 1
    assert current.stdout.startswith("0099 (unknown to this release")
    # Starting the bot on it stops at once with the same reason, not a traceback.
    started = runner.invoke(app, ["run"])
    assert started.exit_code == 1
    assert "newer" in started.output
    assert "Traceback" not in started.output


def test_an_unreachable_server_is_named_without_its_password(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing listens on port 1.
    monkeypatch.setenv("HELPDESK_DATABASE_URL", "postgresql+asyncpg://helpdesk:s3cret-pw@127.0.0.1:1/helpdesk")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "postgresql+asyncpg://helpdesk:***@127.0.0.1:1/helpdesk: cannot use the database" in result.output
    assert "s3cret-pw" not in result.output
