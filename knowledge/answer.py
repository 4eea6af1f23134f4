"""Extractive answers: the best-matching section of the best article, trimmed, with steps kept whole."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.model import Chunk, ScoredChunk

SHORT_SECTION_CHARS = 300  # an intro this short rarely answers alone, so the next section follows it
NEAR_TIE = 0.9  # sections scoring within 10 % of an article's best are treated as equally relevant
_NUMBERED_STEP = re.compile(r"(?m)^\s*1[.)]\s")


@dataclass(frozen=True, kw_only=True)
class ComposedAnswer:
    """Answer text plus the chunks it came from (for citations)."""

    text: str
    sources: tuple[Chunk, ...]
    generated: bool = False


def choose_section(hits: Sequence[ScoredChunk]) -> Chunk:
    """The section to quote from one article's hits (best first).

    Fused scores of an article's sections are often near-tied (BM25 favours short sections that repeat the
    query's words), and people asking IT mostly want to know what to do, so among near-ties a section with
    numbered steps wins; otherwise the best-scoring section does.
    """
    if not hits:
        raise ValueError("no hits to choose a section from")
    best_score = max(h.score for h in hits)
    contenders = [h for h in hits if h.score >= NEAR_TIE * best_score]
    with_steps = [h for h in contenders if _NUMBERED_STEP.search(h.chunk.text)]
    return max(with_steps or contenders, key=lambda h: h.score).chunk


def compose_extractive(*, best: Chunk, article_chunks: Sequence[Chunk], max_chars: int = 1200) -> ComposedAnswer:
    """Quote the section `best` (and the following one if `best` is a short intro), trimmed by whole blocks.

    Blocks are separated by blank lines, so a numbered list stays in one block and is never cut mid-step;
    at least one block is always kept even if it is long.
    """
    sections = [best]
    position = next((i for i, c in enumerate(article_chunks) if c.chunk_id == best.chunk_id), None)
    if len(best.text) < SHORT_SECTION_CHARS and position is not None and position + 1 < len(article_chunks):
        sections.append(article_chunks[position + 1])

    parts: list[str] = []
    used = 0
    truncated = False
    for index, section in enumerate(sections):
        heading = _last_heading(section)
        blocks = ([f"**{heading}**"] if index > 0 or heading != section.article_title else []) + _blocks(section.text)
        for block in blocks:
            if parts and used + len(block) > max_chars:
                truncated = True
                break
            parts.append(block)
            used += len(block) + 2
        if truncated:
            break
    if truncated:
        parts.append("_(More in the article.)_")
    text = f"From **{best.article_title}**:\n\n" + "\n\n".join(parts)
    return ComposedAnswer(text=text, sources=tuple(sections))


def _blocks(text: str) -> list[str]:
    return [block.strip() for block in text.split("\n\n") if block.strip()]


def _last_heading(chunk: Chunk) -> str:
    return chunk.heading.split(" > ")[-1].strip() or chunk.article_title
