"""`helpdesk-bot kb drafts …`, typed as a knowledge editor would."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app
from bot.handoff.drafts import ArticleDrafts
from bot.store.sql.database import Database
from knowledge.loader import load_articles
from tests.unit.handoff.test_article_drafts import open_ticket

runner = CliRunner()


@pytest.fixture
def articles_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Settings pointed at tmp_path, with two resolved tickets that suggested drafts."""
    directory = tmp_path / "articles"
    directory.mkdir()
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("HELPDESK_ARTICLES_DIR", str(directory))
    monkeypatch.delenv("HELPDESK_DATABASE_URL", raising=False)
    monkeypatch.setenv("USER", "erin")

    async def seed() -> None:
        database = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'data' / 'helpdesk.db'}")
        await database.migrate()
        drafts = ArticleDrafts(database, articles_dir=directory)
        await drafts.suggest(
            ticket=await open_ticket(database, "HD-1"),
            question="VPN drops every ten minutes",
            resolution="Reinstalled the VPN client.",
            category="network",
        )
        await drafts.suggest(
            ticket=await open_ticket(database, "HD-2"),
            question="Teams has no sound",
            resolution="Picked the headset as the speaker.",
            category=None,
        )
        await database.close()

    asyncio.run(seed())
    return directory


def drafts(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["kb", "drafts", *args])
    return result.exit_code, result.stdout, result.stderr


def test_list_shows_the_pending_drafts(articles_dir: Path) -> None:
    code, out, _ = drafts("list")
    assert code == 0
    lines = out.splitlines()
    assert [line.split()[:2] for line in lines] == [["D-HD-1", "pending"], ["D-HD-2", "pending"]]
    assert lines[0].endswith("VPN drops every ten minutes")


def test_show_prints_the_question_and_the_resolution(articles_dir: Path) -> None:
    code, out, _ = drafts("show", "D-HD-1")
    assert code == 0
    assert out.startswith("D-HD-1: VPN drops every ten minutes\nticket:   HD-1\ncategory: network\n")
    assert "Question:\nVPN drops every ten minutes\n\nResolution:\nReinstalled the VPN client." in out


def test_accept_writes_the_article_and_says_what_to_do_next(articles_dir: Path) -> None:
    code, out, _ = drafts("accept", "D-HD-1")
    path = articles_dir / "vpn-drops-every-ten-minutes.md"
    assert code == 0
    assert out == f"accepted D-HD-1: wrote {path}\nreview it, then run `helpdesk-bot kb sync`\n"
    assert [article.id for article in load_articles(directory=articles_dir).articles] == [path.stem]

    code, out, _ = drafts("show", "D-HD-1")
    assert "status:   accepted" in out
    assert "by erin" in out
    assert f"article:  {path}" in out
    code, out, _ = drafts("list")
    assert [line.split()[0] for line in out.splitlines()] == ["D-HD-2"]


def test_reject_with_a_named_editor(articles_dir: Path) -> None:
    code, out, _ = drafts("reject", "D-HD-2", "--editor", "frank")
    assert (code, out) == (0, "rejected D-HD-2\n")
    code, out, _ = drafts("list", "--status", "rejected")
    assert [line.split()[:2] for line in out.splitlines()] == [["D-HD-2", "rejected"]]
    code, out, _ = drafts("list", "--status", "all")
    assert [line.split()[0] for line in out.splitlines()] == ["D-HD-1", "D-HD-2"]
    assert "by frank" in drafts("show", "D-HD-2")[1]
    assert list(articles_dir.iterdir()) == []


def test_an_empty_list_says_so(articles_dir: Path) -> None:
    assert drafts("list", "--status", "accepted")[:2] == (0, "no accepted drafts\n")


def test_an_unknown_id_exits_1(articles_dir: Path) -> None:
    for command in ("show", "accept", "reject"):
        code, out, err = drafts(command, "D-HD-9")
        assert (code, out, err) == (1, "", "no draft D-HD-9\n"), command


def test_a_decided_draft_cannot_be_decided_again(articles_dir: Path) -> None:
    drafts("accept", "D-HD-1")
    code, _, err = drafts("reject", "D-HD-1", "--editor", "frank")
    assert code == 1
    assert err.startswith("D-HD-1 is already accepted (by erin on ")


def test_an_unknown_status_is_refused(articles_dir: Path) -> None:
    code, _, err = drafts("list", "--status", "maybe")
    assert code == 2
    assert "maybe" in err
