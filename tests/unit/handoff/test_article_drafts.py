"""Resolved tickets suggest articles; editors accept them into the articles folder (loadable, never overwriting)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.handoff.drafts import ArticleDrafts, Draft, DraftError
from bot.store.sql.database import Database
from bot.store.sql.schema import article_drafts, conversations, handoffs
from knowledge.chunking import chunk_article
from knowledge.loader import load_articles
from knowledge.model import Article

VPN_QUESTION = "my vpn keeps dropping every ten minutes since yesterday"
VPN_FIX = (
    "Removed the old VPN profile and reinstalled the client from Company Portal.\n\n1. Quit the client\n2. Reinstall"
)


async def open_ticket(database: Database, ticket: str) -> str:
    """A hand-off ticket row (with its conversation), as the queue would have stored it."""
    now = datetime.now(UTC)
    async with database.engine.begin() as conn:
        await conn.execute(
            conversations.insert().values(
                key=f"web:{ticket}",
                channel="web",
                external_id=ticket,
                owner_id="alice",
                flow_data={},
                created_at=now,
                updated_at=now,
            )
        )
        await conn.execute(
            handoffs.insert().values(
                id=ticket,
                conversation_key=f"web:{ticket}",
                user_id="alice",
                packet={},
                status="resolved",
                created_at=now,
            )
        )
    return ticket


@pytest.fixture
def articles_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "articles"
    directory.mkdir()
    return directory


@pytest.fixture
def drafts(database: Database, articles_dir: Path) -> ArticleDrafts:
    return ArticleDrafts(database, articles_dir=articles_dir)


def loaded(directory: Path) -> dict[str, Article]:
    report = load_articles(directory=directory)
    assert not report.errors, [str(error) for error in report.errors]
    return {article.id: article for article in report.articles}


@pytest.mark.asyncio
async def test_a_resolved_ticket_suggests_one_pending_draft(database: Database, drafts: ArticleDrafts) -> None:
    ticket = await open_ticket(database, "HD-261122-AAAAAA")
    draft_id = await drafts.suggest(ticket=ticket, question=VPN_QUESTION, resolution=VPN_FIX, category="network")
    assert draft_id == "D-HD-261122-AAAAAA"

    draft = await drafts.get(draft_id)
    assert draft is not None
    assert (draft.ticket, draft.status, draft.category) == (ticket, "pending", "network")
    assert draft.title == "My vpn keeps dropping every ten minutes since yesterday"
    assert draft.resolution == VPN_FIX
    assert draft.created_at.tzinfo is not None
    assert (draft.decided_by, draft.decided_at, draft.article_path) == (None, None, None)


@pytest.mark.asyncio
async def test_the_same_ticket_suggests_only_once(database: Database, drafts: ArticleDrafts) -> None:
    ticket = await open_ticket(database, "HD-1")
    await drafts.suggest(ticket=ticket, question=VPN_QUESTION, resolution=VPN_FIX, category=None)
    again = await drafts.suggest(ticket=ticket, question="something else", resolution="other fix", category="x")
    assert again is None
    [draft] = await drafts.list(None)
    assert (draft.title, draft.category) == ("My vpn keeps dropping every ten minutes since yesterday", None)


@pytest.mark.asyncio
async def test_nothing_to_write_up_suggests_nothing(database: Database, drafts: ArticleDrafts) -> None:
    ticket = await open_ticket(database, "HD-1")
    assert await drafts.suggest(ticket=ticket, question=VPN_QUESTION, resolution=" \n\t ", category=None) is None
    assert await drafts.suggest(ticket=ticket, question="  ", resolution=VPN_FIX, category=None) is None
    assert await drafts.list(None) == []


@pytest.mark.asyncio
async def test_a_suggestion_for_an_unknown_ticket_is_an_error(drafts: ArticleDrafts) -> None:
    with pytest.raises(sa.exc.IntegrityError):
        await drafts.suggest(ticket="HD-NOPE", question=VPN_QUESTION, resolution=VPN_FIX, category=None)


@pytest.mark.asyncio
async def test_a_long_question_gives_a_short_title_cut_at_a_word(database: Database, drafts: ArticleDrafts) -> None:
    ticket = await open_ticket(database, "HD-1")
    question = "outlook " * 40 + "\n\nthanks"
    draft_id = await drafts.suggest(ticket=ticket, question=question, resolution=VPN_FIX, category=None)
    assert draft_id is not None
    draft = await drafts.get(draft_id)
    assert draft is not None
    assert len(draft.title) <= 80
    assert draft.title.startswith("Outlook outlook")
    assert draft.title.endswith("outlook…")
    assert draft.question == question.strip()  # the full question is kept for the body


@pytest.mark.asyncio
async def test_list_shows_pending_by_default_and_filters_by_status(database: Database, drafts: ArticleDrafts) -> None:
    for n in (1, 2, 3):
        await drafts.suggest(
            ticket=await open_ticket(database, f"HD-{n}"), question=f"question {n}", resolution="fix", category=None
        )
    await drafts.accept("D-HD-1", editor="erin")
    await drafts.reject("D-HD-2", editor="erin")

    assert [d.id for d in await drafts.list()] == ["D-HD-3"]
    assert [d.id for d in await drafts.list("accepted")] == ["D-HD-1"]
    assert [d.id for d in await drafts.list("rejected")] == ["D-HD-2"]
    assert [d.id for d in await drafts.list(None)] == ["D-HD-1", "D-HD-2", "D-HD-3"]


@pytest.mark.asyncio
async def test_accept_writes_an_article_the_loader_accepts(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-261122-AAAAAA"),
        question=VPN_QUESTION,
        resolution=VPN_FIX,
        category="Network / VPN",
    )
    before = date.today()
    path = await drafts.accept("D-HD-261122-AAAAAA", editor="erin")
    after = date.today()

    assert path == articles_dir / "my-vpn-keeps-dropping-every-ten-minutes-since-yesterday.md"
    article = loaded(articles_dir)[path.stem]
    assert article.title == "My vpn keeps dropping every ten minutes since yesterday"
    assert article.tags == ("network-vpn", "from-ticket")
    assert article.owner == "service-desk"
    assert article.last_reviewed in (before, after)
    assert article.summary.startswith("Removed the old VPN profile")
    assert article.body.startswith("# My vpn keeps dropping")
    problem, fixed = article.body.split("## The problem")[1].split("## What fixed it")
    assert VPN_QUESTION in problem
    assert "1. Quit the client\n2. Reinstall" in fixed
    assert "HD-261122-AAAAAA" in fixed  # the line naming the source ticket
    assert path.read_text(encoding="utf-8").startswith("---\n# Draft from ticket HD-261122-AAAAAA")

    draft = await drafts.get("D-HD-261122-AAAAAA")
    assert draft is not None
    assert (draft.status, draft.decided_by, draft.article_path) == ("accepted", "erin", path)
    assert draft.decided_at is not None


@pytest.mark.asyncio
async def test_accept_never_overwrites_an_existing_article(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    existing = articles_dir / "printer-jam.md"
    existing.write_text("hand-written, not even valid", encoding="utf-8")
    for n in (1, 2):
        await drafts.suggest(
            ticket=await open_ticket(database, f"HD-{n}"), question="Printer jam", resolution=f"fix {n}", category=None
        )

    first = await drafts.accept("D-HD-1", editor="erin")
    second = await drafts.accept("D-HD-2", editor="erin")

    assert (first.name, second.name) == ("printer-jam-2.md", "printer-jam-3.md")
    assert existing.read_text(encoding="utf-8") == "hand-written, not even valid"
    report = load_articles(directory=articles_dir)
    assert {a.id for a in report.articles} == {"printer-jam-2", "printer-jam-3"}
    assert [e.path for e in report.errors] == [existing]  # only the hand-written file, as before


@pytest.mark.asyncio
async def test_an_id_already_used_by_another_file_is_not_reused(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    (articles_dir / "zz-old-name.md").write_text(
        "---\nid: printer-jam\ntitle: Jam\nsummary: s\ntags: [x]\nowner: o\nlast_reviewed: 2026-01-01\n---\n\nbody\n",
        encoding="utf-8",
    )
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question="Printer jam", resolution="fix", category=None
    )
    path = await drafts.accept("D-HD-1", editor="erin")
    assert path.name == "printer-jam-2.md"
    assert set(loaded(articles_dir)) == {"printer-jam", "printer-jam-2"}


@pytest.mark.asyncio
async def test_hostile_text_stays_inside_its_section(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    question = '---\nid: evil\nowner: "mallory"\n---\nVPN: "broken" # really\n```\n<!-- hide the rest'
    resolution = "## Heading\n   ### Indented\ntitle: evil\n---\nsetext\n===\n~~~\nDone.\u2028# after a Unicode break"
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question=question, resolution=resolution, category="evil\nid: x"
    )

    path = await drafts.accept("D-HD-1", editor="erin\nid: evil")
    article = loaded(articles_dir)[path.stem]

    assert article.id == path.stem != "evil"
    assert article.owner == "service-desk"
    assert article.title == '--- id: evil owner: "mallory" --- VPN: "broken" # really ``` <!-- hide the rest'
    assert article.tags == ("evil-id-x", "from-ticket")
    # Exactly the two sections we wrote: nothing pasted in opened a heading, a code block or HTML.
    headings = [chunk.heading for chunk in chunk_article(article=article)]
    assert headings == [f"{article.title} > The problem", f"{article.title} > What fixed it"]
    body_lines = article.body.splitlines()
    assert [line for line in body_lines if line.lstrip().startswith(("#", "---", "===", "```", "~~~", "<"))] == [
        f"# {article.title}",
        "## The problem",
        "## What fixed it",
    ]
    assert "\\## Heading" in article.body
    assert "\\# after a Unicode break" in article.body
    assert "\u2028" not in article.body


@pytest.mark.asyncio
async def test_reject_records_who_and_writes_nothing(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question=VPN_QUESTION, resolution=VPN_FIX, category=None
    )
    await drafts.reject("D-HD-1", editor="erin")
    draft = await drafts.get("D-HD-1")
    assert draft is not None
    assert (draft.status, draft.decided_by, draft.article_path) == ("rejected", "erin", None)
    assert draft.decided_at is not None
    assert list(articles_dir.iterdir()) == []


@pytest.mark.asyncio
async def test_a_decided_draft_cannot_be_decided_again(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question=VPN_QUESTION, resolution=VPN_FIX, category=None
    )
    await drafts.accept("D-HD-1", editor="erin")
    with pytest.raises(DraftError, match=r"D-HD-1 is already accepted \(by erin on \d{4}-\d\d-\d\d\)"):
        await drafts.accept("D-HD-1", editor="frank")
    with pytest.raises(DraftError, match="already accepted"):
        await drafts.reject("D-HD-1", editor="frank")
    assert len(list(articles_dir.iterdir())) == 1
    with pytest.raises(DraftError, match="no draft D-HD-9"):
        await drafts.accept("D-HD-9", editor="erin")


@pytest.mark.asyncio
async def test_a_draft_decided_meanwhile_leaves_no_file_behind(
    database: Database, drafts: ArticleDrafts, articles_dir: Path
) -> None:
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question=VPN_QUESTION, resolution=VPN_FIX, category=None
    )
    original = drafts.get

    async def stale_get(draft_id: str) -> Draft | None:
        # Another editor rejects between our read and our write.
        found = await original(draft_id)
        async with database.engine.begin() as conn:
            await conn.execute(article_drafts.update().values(status="rejected", decided_by="frank"))
        return found

    drafts.get = stale_get  # type: ignore[method-assign]
    with pytest.raises(DraftError, match="decided by someone else"):
        await drafts.accept("D-HD-1", editor="erin")
    assert list(articles_dir.iterdir()) == []


@pytest.mark.asyncio
async def test_a_missing_articles_folder_is_reported(database: Database, tmp_path: Path) -> None:
    drafts = ArticleDrafts(database, articles_dir=tmp_path / "typo")
    await drafts.suggest(
        ticket=await open_ticket(database, "HD-1"), question=VPN_QUESTION, resolution=VPN_FIX, category=None
    )
    with pytest.raises(DraftError, match="articles directory not found"):
        await drafts.accept("D-HD-1", editor="erin")
    assert [d.status for d in await drafts.list()] == ["pending"]
