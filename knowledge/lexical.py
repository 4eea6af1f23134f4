"""The lexical half of retrieval: BM25 (bm25s) over each chunk's title, heading path and text.

The BM25 model is rebuilt in memory from the chunks rather than persisted: bm25s indexes 10,000 chunks of
150 words in about a second on two cores (a query takes under a millisecond), and one source of truth
(chunks.json) cannot drift from a second one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import bm25s
import numpy as np
import numpy.typing as npt

from knowledge.model import Chunk


def lexical_text(chunk: Chunk) -> str:
    """What BM25 indexes: title, heading path and text."""
    return f"{chunk.article_title}\n{chunk.heading}\n{chunk.text}"


def tokenize(texts: list[str]) -> list[list[str]]:
    """Lower-cased word tokens without English stopwords."""
    tokens: list[list[str]] = bm25s.tokenize(texts, stopwords="en", return_ids=False, show_progress=False)
    return tokens


@dataclass(frozen=True, kw_only=True)
class LexicalScores:
    """BM25 scores for one query over a fixed tuple of chunks (a later sync does not shift them)."""

    chunks: tuple[Chunk, ...]
    position: Mapping[str, int]
    scores: npt.NDArray[np.float32]

    def top(self, n: int) -> list[tuple[Chunk, float]]:
        """The best `n` chunks with a positive score, best first (ties in chunk order)."""
        n = min(n, len(self.scores))
        if n <= 0:
            return []
        scores = self.scores
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        ordered = sorted((int(i) for i in top if scores[i] > 0), key=lambda i: (-float(scores[i]), i))
        return [(self.chunks[i], float(scores[i])) for i in ordered]

    def score_of(self, chunk_id: str) -> float | None:
        position = self.position.get(chunk_id)
        return None if position is None else float(self.scores[position])


class Bm25Index:
    """BM25 over a fixed sequence of chunks; read-only once built, so safe to share between threads."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self._chunks = tuple(chunks)
        self._position = {chunk.chunk_id: i for i, chunk in enumerate(self._chunks)}
        self._model: bm25s.BM25 | None = None
        if self._chunks:
            self._model = bm25s.BM25()
            self._model.index(tokenize([lexical_text(c) for c in self._chunks]), show_progress=False)

    def scores(self, query: str) -> LexicalScores | None:
        """Every chunk's score for `query`; None when there are no chunks or no query term is indexed."""
        if self._model is None:
            return None
        ids = self._model.get_tokens_ids(tokenize([query])[0])
        if not ids:
            return None
        scores = np.asarray(self._model.get_scores_from_ids(ids), dtype=np.float32)
        return LexicalScores(chunks=self._chunks, position=self._position, scores=scores)
