"""`helpdesk-bot kb drafts list | show | accept | reject`: article suggestions from resolved tickets."""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Annotated, TypeVar

import typer

from bot.cli import common
from bot.handoff.drafts import STATUSES, ArticleDrafts, Draft, DraftError
from bot.store.sql.database import Database

drafts_app = typer.Typer(
    help="Article drafts suggested by resolved tickets: review, accept or reject.", no_args_is_help=True
)

T = TypeVar("T")
DraftId = Annotated[str, typer.Argument(help="The draft's id, e.g. D-HD-261122-ABCDEF.", show_default=False)]
EditorOption = Annotated[
    str | None,
    typer.Option("--editor", help="Who decides [default: $USER]", show_default=False),
]


class StatusFilter(StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"
    all = "all"


@drafts_app.command("list")
def list_drafts(
    status: Annotated[StatusFilter, typer.Option("--status", help="Which drafts to show.")] = StatusFilter.pending,
) -> None:
    """One line per draft, oldest first: id, status, date, title."""
    wanted = next((known for known in STATUSES if known == status.value), None)  # "all": None
    drafts = _run(lambda drafts: drafts.list(wanted))
    if not drafts:
        typer.echo("no drafts" if wanted is None else f"no {wanted} drafts")
    for draft in drafts:
        typer.echo(f"{draft.id}  {draft.status:<8}  {draft.created_at:%Y-%m-%d}  {draft.title}")


@drafts_app.command("show")
def show(draft_id: DraftId) -> None:
    """The draft in full: the person's question, the resolution and what became of it."""
    draft = _run(lambda drafts: drafts.get(draft_id))
    if draft is None:
        common.fail(f"no draft {draft_id}")
    typer.echo(_describe(draft))


@drafts_app.command("accept")
def accept(draft_id: DraftId, editor: EditorOption = None) -> None:
    """Write the draft into the articles folder as a Markdown article, for review before `kb sync`."""
    path = _run(lambda drafts: drafts.accept(draft_id, editor=_editor(editor)))
    typer.echo(f"accepted {draft_id}: wrote {path}")
    typer.echo("review it, then run `helpdesk-bot kb sync`")


@drafts_app.command("reject")
def reject(draft_id: DraftId, editor: EditorOption = None) -> None:
    """Decline the suggestion; it stays in the list as rejected."""
    _run(lambda drafts: drafts.reject(draft_id, editor=_editor(editor)))
    typer.echo(f"rejected {draft_id}")


def _describe(draft: Draft) -> str:
    lines = [
        f"{draft.id}: {draft.title}",
        f"ticket:   {draft.ticket}",
        f"category: {draft.category or '-'}",
        f"status:   {draft.status}",
        f"created:  {draft.created_at:%Y-%m-%d %H:%M} UTC",
    ]
    if draft.decided_at is not None:
        lines.append(f"decided:  {draft.decided_at:%Y-%m-%d %H:%M} UTC by {draft.decided_by}")
    if draft.article_path is not None:
        lines.append(f"article:  {draft.article_path}")
    lines += ["", "Question:", draft.question, "", "Resolution:", draft.resolution]
    return "\n".join(lines)


def _editor(given: str | None) -> str:
    return (given or os.environ.get("USER") or "editor").strip() or "editor"


def _run(work: Callable[[ArticleDrafts], Awaitable[T]]) -> T:
    """Run `work` against the configured database and articles folder; a DraftError exits 1 with its reason."""
    settings = common.settings()

    async def main() -> T:
        database = Database(url=settings.resolved_database_url)
        try:
            await database.migrate()
            return await work(ArticleDrafts(database, articles_dir=settings.articles_dir))
        finally:
            await database.close()

    try:
        return common.run(main())
    except DraftError as error:
        common.fail(str(error))
