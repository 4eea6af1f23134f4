"""Extractive answers: the best-matching section of the best article, trimmed, with steps kept whole."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from knowledge.model import Chunk

SHORT_SECTION_CHARS = 300  # an intro this short rarely answers alone, so the next section follows it


@dataclass(frozen=True, kw_only=True)
class ComposedAnswer:
    """Answer text plus the chunks it came from (for citations)."""

    text: str
    sources: tuple[Chunk, ...]
    generated: bool = False


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
