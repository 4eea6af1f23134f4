"""Article drafts: resolved tickets suggest knowledge articles; editors accept (a Markdown file) or reject them."""

from __future__ import annotations

import builtins
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

import sqlalchemy as sa
import structlog
import yaml

from bot.store.sql.database import Database, as_utc, as_utc_or_none
from bot.store.sql.schema import article_drafts
from knowledge.loader import load_articles

log = structlog.get_logger(__name__)

Status = Literal["pending", "accepted", "rejected"]
STATUSES: tuple[Status, ...] = ("pending", "accepted", "rejected")
TITLE_CHARS = 80
SUMMARY_CHARS = 200
SLUG_CHARS = 60
OWNER = "service-desk"
SOURCE_TAG = "from-ticket"

# A line that Markdown (or the chunker) would read as structure: an ATX heading, a code fence, an HTML block,
# or a setext underline / horizontal rule. Escaping its first character keeps pasted text inside its section.
_STRUCTURE = re.compile(r"^(\s*)(#|```|~~~|<|[-=*_](?:\s*[-=*_])*\s*$)")


class DraftError(Exception):
    """The draft does not exist or was already decided."""


@dataclass(frozen=True, kw_only=True)
class Draft:
    id: str
    ticket: str
    title: str
    question: str
    resolution: str
    category: str | None
    status: Status
    created_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    article_path: Path | None


class ArticleDrafts:
    """Draft suggestions in the bot's database; a decision is a conditional update, so it happens once."""

    def __init__(self, database: Database, *, articles_dir: Path) -> None:
        self._db = database
        self._articles_dir = articles_dir

    async def suggest(self, *, ticket: str, question: str, resolution: str, category: str | None) -> str | None:
        """Record a pending draft for `ticket`; None if there is nothing to write up or it was suggested before."""
        title = _title(question)
        if not resolution.strip() or not title:
            return None
        draft_id = f"D-{ticket}"
        values = {
            "id": draft_id,
            "ticket": ticket,
            "title": title,
            "question": question.strip(),
            "resolution": resolution.strip(),
            "category": category,
            "status": "pending",
            "created_at": datetime.now(UTC),
        }
        try:
            async with self._db.engine.begin() as conn:
                await conn.execute(article_drafts.insert().values(**values))
        except sa.exc.IntegrityError:
            if await self._for_ticket(ticket):
                return None  # one suggestion per ticket, whatever became of it
            raise  # not a duplicate: the ticket does not exist
        log.info("article_draft_suggested", draft=draft_id, ticket=ticket)
        return draft_id

    async def list(self, status: Status | None = "pending") -> builtins.list[Draft]:
        """Drafts with `status` (None: all), oldest first."""
        query = sa.select(article_drafts).order_by(article_drafts.c.created_at, article_drafts.c.id)
        if status is not None:
            query = query.where(article_drafts.c.status == status)
        async with self._db.engine.connect() as conn:
            return [_draft(row) for row in (await conn.execute(query)).all()]

    async def get(self, draft_id: str) -> Draft | None:
        async with self._db.engine.connect() as conn:
            row = (await conn.execute(sa.select(article_drafts).where(article_drafts.c.id == draft_id))).first()
        return None if row is None else _draft(row)

    async def accept(self, draft_id: str, *, editor: str) -> Path:
        """Write the draft as `<articles_dir>/<slug>.md` (never over an existing file) and mark it accepted."""
        draft = await self._pending(draft_id)
        if not self._articles_dir.is_dir():
            raise DraftError(f"articles directory not found: {self._articles_dir}")
        path = _write_new(self._articles_dir, draft, today=date.today())
        if not await self._decide(draft_id, status="accepted", editor=editor, article_path=str(path)):
            path.unlink()  # someone else decided meanwhile: theirs stands, and no orphan file is left behind
            raise DraftError(f"{draft_id} was decided by someone else meanwhile")
        log.info("article_draft_accepted", draft=draft_id, editor=editor, path=str(path))
        return path

    async def reject(self, draft_id: str, *, editor: str) -> None:
        await self._pending(draft_id)
        if not await self._decide(draft_id, status="rejected", editor=editor, article_path=None):
            raise DraftError(f"{draft_id} was decided by someone else meanwhile")
        log.info("article_draft_rejected", draft=draft_id, editor=editor)

    async def _pending(self, draft_id: str) -> Draft:
        draft = await self.get(draft_id)
        if draft is None:
            raise DraftError(f"no draft {draft_id}")
        if draft.status != "pending":
            when = f" on {draft.decided_at:%Y-%m-%d}" if draft.decided_at else ""
            raise DraftError(f"{draft_id} is already {draft.status} (by {draft.decided_by}{when})")
        return draft

    async def _decide(self, draft_id: str, *, status: Status, editor: str, article_path: str | None) -> bool:
        values: dict[str, Any] = {
            "status": status,
            "decided_by": _one_line(editor),
            "decided_at": datetime.now(UTC),
            "article_path": article_path,
        }
        query = (
            article_drafts.update()
            .where(article_drafts.c.id == draft_id, article_drafts.c.status == "pending")
            .values(**values)
        )
        async with self._db.engine.begin() as conn:
            return (await conn.execute(query)).rowcount == 1

    async def _for_ticket(self, ticket: str) -> bool:
        async with self._db.engine.connect() as conn:
            found = await conn.execute(sa.select(article_drafts.c.id).where(article_drafts.c.ticket == ticket))
            return found.first() is not None


def render_article(draft: Draft, *, article_id: str, today: date) -> str:
    """The article's Markdown: front matter the knowledge loader accepts, then the problem and what fixed it."""
    tags = [tag for tag in (_slug(draft.category or ""), SOURCE_TAG) if tag]
    fields = {
        "id": article_id,
        "title": draft.title,
        "summary": _shorten(draft.resolution, SUMMARY_CHARS),
        "tags": list(dict.fromkeys(tags)),
        "owner": OWNER,
        "last_reviewed": today,
    }
    # The loader rejects unknown fields, so "this is a draft" is a YAML comment, not a field.
    note = _one_line(f"Draft from ticket {draft.ticket}: review and edit it, then run `helpdesk-bot kb sync`.")
    front = yaml.safe_dump(fields, sort_keys=False, allow_unicode=True, default_flow_style=None, width=10_000)
    return (
        f"---\n# {note}\n{front}---\n\n# {draft.title}\n\n"
        f"## The problem\n\n{_contained(draft.question)}\n\n"
        f"## What fixed it\n\n{_contained(draft.resolution)}\n\n"
        f"_Written up from ticket {_one_line(draft.ticket)}._\n"
    )


def _write_new(directory: Path, draft: Draft, *, today: date) -> Path:
    """Create the article under the first free slug; exclusive creation, so an existing file is never touched."""
    report = load_articles(directory=directory)
    taken = {path.stem for path in directory.iterdir()} | {article.id for article in report.articles}
    base = _slug(draft.title)
    if len(base) > SLUG_CHARS:
        base = base[: SLUG_CHARS + 1].rsplit("-", 1)[0]  # whole words only
    base = base or _slug(f"ticket {draft.ticket}") or "draft"
    for n in range(1, 1000):
        slug = base if n == 1 else f"{base}-{n}"
        if slug in taken:
            continue
        path = directory / f"{slug}.md"
        try:
            with path.open("x", encoding="utf-8", newline="\n") as file:
                file.write(render_article(draft, article_id=slug, today=today))
        except FileExistsError:
            continue
        return path
    raise DraftError(f"no free file name for {base!r} in {directory}")


def _title(question: str) -> str:
    title = _shorten(question, TITLE_CHARS)
    return title[:1].upper() + title[1:]


def _shorten(text: str, limit: int) -> str:
    """`text` on one line, cut at a word boundary to at most `limit` characters."""
    line = _one_line(text)
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0] if " " in line[: limit - 1] else line[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def _one_line(text: str) -> str:
    # str.split() splits on every Unicode line break YAML and Markdown know (\r, \x85, \u2028 …), not only \n.
    return " ".join(text.split())


def _slug(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "-".join(re.findall(r"[a-z0-9]+", ascii_text.lower()))


def _contained(text: str) -> str:
    """User or staff text as Markdown that cannot open a section, a code block or HTML, or end the front matter."""
    lines = text.strip().splitlines()  # every line break, so no consumer sees a line this function did not check
    return "\n".join(_STRUCTURE.sub(r"\1\\\2", line) for line in lines)


def _draft(row: sa.Row[Any]) -> Draft:
    return Draft(
        id=row.id,
        ticket=row.ticket,
        title=row.title,
        question=row.question,
        resolution=row.resolution,
        category=row.category,
        status=row.status,
        created_at=as_utc(row.created_at),
        decided_by=row.decided_by,
        decided_at=as_utc_or_none(row.decided_at),
        article_path=None if row.article_path is None else Path(row.article_path),
    )
