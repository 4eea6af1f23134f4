"""Extractive answers: the section of an article that tells the person what to do, with its how-to kept whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.model import Chunk, ScoredChunk
from knowledge.section_roles import Role, section_role, wanted_roles

SHORT_SECTION_CHARS = 300  # an intro this short rarely answers alone, so the next section follows it
# How much a section's part in the article moves it against relevance, in cosine similarity: sections of one
# article score within a few hundredths of each other, so a small nudge decides between near-ties, while a
# section clearly closer to the question still wins.
ROLE_NUDGE = {
    Role.STEPS: 0.08,
    Role.INTRO: 0.0,
    Role.OTHER: 0.0,
    Role.BACKGROUND: -0.08,
    Role.AFTERCARE: -0.25,
    Role.ESCALATION: -0.25,
}
WANTED_NUDGE = 0.08  # a part the question asks for ("how do I report … to IT") counts like the steps
UNRANKED_RELEVANCE = -0.15  # an article's first steps section that the search did not rank


@dataclass(frozen=True, kw_only=True)
class ComposedAnswer:
    """Answer text plus the chunks it came from (for citations)."""

    text: str
    sources: tuple[Chunk, ...]
    generated: bool = False


def choose_section(
    *, question: str, hits: Sequence[ScoredChunk], article_chunks: Sequence[Chunk], picked: bool = False
) -> Chunk:
    """The section of one article to start the answer at.

    People asking IT mostly want to know what to do, so a steps section beats background, after-care and
    "contact IT" sections of similar relevance, unless the question asks for one of those. When the intro is
    the best match the question is about the article as a whole, which is answered by its first how-to; the
    same holds when the person picked the article from the options offered (`picked`).

    Args:
        question: what the person asked (its wording says whether it wants a non-steps part).
        hits: the search hits of this article, best first (may be empty).
        article_chunks: all chunks of the article in document order.
        picked: the person chose this article from a list, rather than it being the best match.
    """
    if not article_chunks:
        raise ValueError("no chunks to choose a section from")
    wanted = wanted_roles(question)
    first_steps = next((c for c in article_chunks if section_role(c) is Role.STEPS), None)
    if picked and first_steps is not None and not (wanted and hits):
        return first_steps
    if not hits:
        return first_steps or article_chunks[0]

    candidates: dict[str, tuple[float, Chunk]] = {}

    def consider(chunk: Chunk, relevance: float) -> None:
        role = section_role(chunk)
        value = relevance + (WANTED_NUDGE if role in wanted else ROLE_NUDGE[role])
        if chunk.chunk_id not in candidates or value > candidates[chunk.chunk_id][0]:
            candidates[chunk.chunk_id] = (value, chunk)

    for hit, relevance in zip(hits, _relevances(hits), strict=True):
        if section_role(hit.chunk) is Role.INTRO and first_steps is not None:
            consider(first_steps, relevance)  # the article as a whole matches: start at its how-to
        else:
            consider(hit.chunk, relevance)
    if first_steps is not None:
        consider(first_steps, UNRANKED_RELEVANCE)
    # max() keeps the first of equal values, and candidates are in hit order, so ties go to the better hit.
    return max(candidates.values(), key=lambda pair: pair[0])[1]


def _relevances(hits: Sequence[ScoredChunk]) -> list[float]:
    """Each hit's distance from the article's best hit, in cosine similarity (0 for the best, else negative).

    Cosine similarity keeps its meaning whatever fusion orders the hits; a hit without it (a BM25-only search)
    falls back to its fused score relative to the best one.
    """
    similarities = [h.dense_similarity for h in hits]
    if all(s is not None for s in similarities):
        best = max(s for s in similarities if s is not None)
        return [(s or 0.0) - best for s in similarities]
    top = max(h.score for h in hits)
    return [(h.score / top - 1.0) * 0.5 if top > 0 else 0.0 for h in hits]


def compose_extractive(*, best: Chunk, article_chunks: Sequence[Chunk], max_chars: int = 1500) -> ComposedAnswer:
    """Quote the section `best`, then the how-to that follows it, trimmed by whole blocks and sections.

    A short intro is followed by the next section; a steps section by the steps sections right after it,
    each only if it fits whole. Blocks are separated by blank lines, so a numbered list stays in one block
    and is never cut mid-step; at least one block is always kept even if it is long. What is left out is
    named at the end, so the person knows where the rest is.
    """
    position = next((i for i, c in enumerate(article_chunks) if c.chunk_id == best.chunk_id), None)
    following = list(article_chunks[position + 1 :]) if position is not None else []

    parts = _blocks_of(best, first=True)
    kept, used, truncated = _fit(parts, max_chars=max_chars)
    sections = [best]
    for section in following if not truncated else []:
        if not _continues(sections[-1], section):
            break
        blocks = _blocks_of(section, first=False)
        size = sum(len(b) + 2 for b in blocks)
        if used + size > max_chars:
            break
        kept += blocks
        used += size
        sections.append(section)
    rest = [_last_heading(c) for c in following[len(sections) - 1 :]]
    # Plain words, no italics: the web chat renders only bold, links and code.
    if rest:
        kept.append(f"More in the article: {'; '.join((['the rest of this part'] if truncated else []) + rest)}.")
    elif truncated:
        kept.append("(More in the article.)")
    text = f"From **{best.article_title}**:\n\n" + "\n\n".join(kept)
    return ComposedAnswer(text=text, sources=tuple(sections))


def _continues(previous: Chunk, section: Chunk) -> bool:
    """A short intro is followed by the next section; a steps section by the next one if it is steps too."""
    role = section_role(previous)
    if role is Role.INTRO:
        return len(previous.text) < SHORT_SECTION_CHARS
    return role is Role.STEPS and section_role(section) is Role.STEPS


def _blocks_of(section: Chunk, *, first: bool) -> list[str]:
    heading = _last_heading(section)
    blocks = [block.strip() for block in section.text.split("\n\n") if block.strip()]
    if not (first and heading == section.article_title) and blocks:
        blocks[0] = f"**{heading}**\n\n{blocks[0]}"  # a heading is never quoted without what it heads
    return blocks


def _fit(blocks: list[str], *, max_chars: int) -> tuple[list[str], int, bool]:
    """The leading blocks that fit in `max_chars` (at least one), the characters used, and whether any were cut."""
    kept: list[str] = []
    used = 0
    for block in blocks:
        if kept and used + len(block) > max_chars:
            return kept, used, True
        kept.append(block)
        used += len(block) + 2
    return kept, used, False


def _last_heading(chunk: Chunk) -> str:
    return chunk.heading.split(" > ")[-1].strip() or chunk.article_title
