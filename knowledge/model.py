"""Plain data types shared by the knowledge library: articles, chunks and search hits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path


@dataclass(frozen=True, kw_only=True)
class Article:
    """One knowledge-base article, parsed from Markdown with YAML front matter."""

    id: str
    title: str
    summary: str
    tags: tuple[str, ...]
    owner: str
    last_reviewed: date
    body: str
    path: Path
    content_hash: str
    url: str | None = None
    actions: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class Chunk:
    """A heading-delimited section of an article: the unit that is indexed and retrieved."""

    chunk_id: str  # "<article_id>#<n>", n counting from 0 in document order
    article_id: str
    article_title: str
    heading: str  # the section's heading path, e.g. "Connecting to the VPN > Steps"
    text: str  # the section's Markdown body, without the heading line itself
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class ScoredChunk:
    """A chunk returned by a search, with the signals each retriever gave it."""

    chunk: Chunk
    score: float  # the fused (or single-retriever) score used for ordering; higher is better
    # Hybrid search fills both signals for every hit (a side that missed a chunk is asked for its score);
    # a single-retriever search reports only its own. bm25_score is None when no query term is indexed.
    dense_similarity: float | None = None  # cosine similarity in [-1, 1]
    bm25_score: float | None = None  # raw BM25 score
    dense_rank: int | None = None  # 1-based rank in the dense list
    bm25_rank: int | None = None  # 1-based rank in the BM25 list


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    """The ranked chunks for one query, best first."""

    query: str
    hits: tuple[ScoredChunk, ...] = field(default_factory=tuple)

    def article_ids(self) -> list[str]:
        """Distinct article ids in rank order."""
        seen: list[str] = []
        for hit in self.hits:
            if hit.chunk.article_id not in seen:
                seen.append(hit.chunk.article_id)
        return seen
