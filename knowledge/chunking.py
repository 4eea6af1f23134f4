"""Split an article into heading-delimited chunks, the unit that is embedded, indexed and quoted.

We use langchain's ExperimentalMarkdownSyntaxTextSplitter rather than MarkdownHeaderTextSplitter: the latter
strips every line and drops blank lines, which flattens nested lists and merges paragraphs, while answers are
quoted from chunk text and trimmed at blank lines (knowledge/answer.py). The experimental splitter keeps the
Markdown exactly; it also cuts out fenced code blocks and horizontal rules, so consecutive pieces under the
same heading are joined back together here.
"""

from __future__ import annotations

import re

from langchain_text_splitters import ExperimentalMarkdownSyntaxTextSplitter, RecursiveCharacterTextSplitter

from knowledge.model import Article, Chunk

HEADING_SEPARATOR = " > "
_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]
_FENCE = re.compile(r"^(```|~~~)", re.MULTILINE)
# Split long sections at paragraphs first, then before a list item, so a numbered step (with its
# continuation lines) is never cut in two; plain line breaks and spaces are the last resort.
_SEPARATORS = ["\n\n", r"\n(?=[ \t]*(?:\d+[.)]|[-*+])[ \t])", "\n", " ", ""]


def chunk_article(*, article: Article, max_chars: int = 1500) -> list[Chunk]:
    """Chunks of `article` in document order: one per #/##/### section, long sections split further.

    The intro under the H1 is its own chunk; empty sections are skipped. A chunk's heading is the path of
    headings above it, e.g. "Connecting to the VPN > Steps" (the article title if there is no heading).
    """
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=_SEPARATORS,
        is_separator_regex=True,
        keep_separator="start",
    )
    chunks: list[Chunk] = []
    for heading, text in _sections(article.body):
        pieces = [text] if len(text) <= max_chars else splitter.split_text(text)
        for piece in pieces:
            if piece.strip():
                chunks.append(
                    Chunk(
                        chunk_id=f"{article.id}#{len(chunks)}",
                        article_id=article.id,
                        article_title=article.title,
                        heading=heading or article.title,
                        text=piece.strip(),
                        url=article.url,
                    )
                )
    return chunks


def _sections(body: str) -> list[tuple[str, str]]:
    """(heading path, Markdown text) per section, merging pieces that share a heading path."""
    if len(_FENCE.findall(body)) % 2:
        body += "\n```\n"  # the splitter silently drops everything after an unclosed code fence
    splitter = ExperimentalMarkdownSyntaxTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    documents = splitter.split_text(body)
    sections: list[tuple[str, str]] = []
    for document in documents:
        path = HEADING_SEPARATOR.join(
            _clean_heading(str(document.metadata[key])) for _, key in _HEADERS if key in document.metadata
        )
        text = document.page_content.strip("\n").rstrip()
        if not text.strip():
            continue
        if sections and sections[-1][0] == path:
            sections[-1] = (path, f"{sections[-1][1]}\n\n{text}")
        else:
            sections.append((path, text))
    return sections


def _clean_heading(text: str) -> str:
    return re.sub(r"\s+#+\s*$", "", text).strip()  # "## Steps ##" is valid Markdown too
