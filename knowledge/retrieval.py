"""Hybrid retrieval: dense (Chroma) and BM25 candidate lists, each candidate scored by both, fused by a rule."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np

from knowledge.embeddings import Encoder, Vectors
from knowledge.fusion import DEFAULT_FUSION, Candidate, Fusion
from knowledge.index import KnowledgeIndex
from knowledge.language import english_reading
from knowledge.lexical import LexicalScores
from knowledge.model import Chunk, ScoredChunk, SearchResult

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = get_args(Mode)

_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, kw_only=True)
class Pool:
    """Every candidate of one query with both signals, before fusion (what the tuning script fuses offline)."""

    chunks: dict[str, Chunk]
    candidates: tuple[Candidate, ...]


class HybridRetriever:
    """Searches a KnowledgeIndex in one of three modes; "hybrid" is what the bot uses.

    Hybrid takes the top `candidates` of each side, completes each candidate's missing signal (the cosine
    similarity of a chunk only BM25 ranked, from its stored vector; the BM25 score of a chunk only the dense
    side ranked, from the full score vector, 0.0 when it shares no term with the query) and orders them by
    `fusion` (knowledge/fusion.py). Ranks stay None for a side whose candidate list missed the chunk;
    bm25_score is None only when no query term occurs in the index at all. The single modes ("dense", "bm25")
    report just their own signal, with that signal as the score.

    A German question is also read in English (knowledge/language.py), because the embedding model and the
    starter articles are English: the dense side takes the better similarity of the two readings, the lexical
    side searches the words of both, so German articles are still found by German words (`english_readings`
    False searches the question as written, for comparison).
    """

    def __init__(
        self,
        *,
        index: KnowledgeIndex,
        encoder: Encoder,
        candidates: int = 30,
        fusion: Fusion = DEFAULT_FUSION,
        english_readings: bool = True,
    ) -> None:
        if candidates < 1:
            raise ValueError("candidates must be at least 1")
        self._index = index
        self._encoder = encoder
        self._candidates = candidates
        self._fusion = fusion
        self._english_readings = english_readings

    async def search(self, query: str, *, k: int = 10, mode: Mode = "hybrid") -> SearchResult:
        """The best `k` chunks for `query`, best first; empty for a blank query or an empty index."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not query.strip() or k < 1 or self._index.is_empty:
            return SearchResult(query=query)

        if mode == "bm25":
            lexical = self._index.bm25_scores(_lexical_query(self._readings(query)))
            ranked = lexical.top(self._candidates) if lexical is not None else []
            hits = [
                ScoredChunk(chunk=chunk, score=score, bm25_score=score, bm25_rank=rank)
                for rank, (chunk, score) in enumerate(ranked[:k], 1)
            ]
            return SearchResult(query=query, hits=tuple(hits))

        if mode == "dense":
            embeddings = await self._embed(self._readings(query))
            dense = await self._dense(embeddings)
            hits = [
                ScoredChunk(chunk=chunk, score=similarity, dense_similarity=similarity, dense_rank=rank)
                for rank, (chunk, similarity) in enumerate(dense[:k], 1)
            ]
            return SearchResult(query=query, hits=tuple(hits))

        pool = await self.pool(query)
        return SearchResult(query=query, hits=tuple(fuse(pool, self._fusion)[:k]))

    async def pool(self, query: str) -> Pool:
        """Both candidate lists of `query` merged, each candidate with both signals (blank query: empty)."""
        if not query.strip() or self._index.is_empty:
            return Pool(chunks={}, candidates=())
        readings = self._readings(query)
        lexical = self._index.bm25_scores(_lexical_query(readings))
        bm25_ranked = lexical.top(self._candidates) if lexical is not None else []
        embeddings = await self._embed(readings)
        dense_ranked = await self._dense(embeddings)

        chunks = {chunk.chunk_id: chunk for chunk, _ in (*dense_ranked, *bm25_ranked)}
        similarity = {chunk.chunk_id: value for chunk, value in dense_ranked}
        dense_rank = {chunk.chunk_id: rank for rank, (chunk, _) in enumerate(dense_ranked, 1)}
        bm25_rank = {chunk.chunk_id: rank for rank, (chunk, _) in enumerate(bm25_ranked, 1)}
        missing = [chunk_id for chunk_id in chunks if chunk_id not in similarity]
        similarity.update(await self._similarities(embeddings, missing))
        candidates = tuple(
            Candidate(
                chunk_id=chunk_id,
                dense_similarity=similarity.get(chunk_id),
                bm25_score=_bm25_of(chunk_id, lexical),
                dense_rank=dense_rank.get(chunk_id),
                bm25_rank=bm25_rank.get(chunk_id),
            )
            for chunk_id in chunks
        )
        return Pool(chunks=chunks, candidates=candidates)

    def _readings(self, query: str) -> tuple[str, ...]:
        """The query, and its English reading when it is German (unless English readings are off)."""
        if not self._english_readings:
            return (query,)
        english = english_reading(query)
        return (query,) if english == query else (query, english)

    async def _embed(self, readings: tuple[str, ...]) -> Vectors:
        # The caller's exact string first: the intent detector has just embedded it, so the encoder's cache answers.
        return await asyncio.to_thread(self._encoder.encode, list(readings))

    async def _dense(self, embeddings: Vectors) -> list[tuple[Chunk, float]]:
        """The dense candidates, best first; over several readings a chunk keeps its best similarity."""
        best: dict[str, tuple[Chunk, float]] = {}
        for embedding in embeddings:
            for chunk, similarity in await self._index.dense_search(embedding=embedding, n=self._candidates):
                seen = best.get(chunk.chunk_id)
                if seen is None or similarity > seen[1]:
                    best[chunk.chunk_id] = (chunk, similarity)
        ordered = sorted(best.values(), key=lambda pair: (-pair[1], pair[0].chunk_id))
        return ordered[: self._candidates]

    async def _similarities(self, embeddings: Vectors, chunk_ids: list[str]) -> dict[str, float]:
        best: dict[str, float] = {}
        for embedding in embeddings:
            found = await self._index.dense_similarities(embedding=np.asarray(embedding), chunk_ids=chunk_ids)
            for chunk_id, similarity in found.items():
                best[chunk_id] = max(similarity, best.get(chunk_id, -1.0))
        return best


def fuse(pool: Pool, fusion: Fusion) -> list[ScoredChunk]:
    """The pool's chunks ordered by `fusion`, best first (ties: higher cosine similarity, then chunk id)."""
    scores = fusion.scores(pool.candidates)
    hits = [
        ScoredChunk(
            chunk=pool.chunks[candidate.chunk_id],
            score=score,
            dense_similarity=candidate.dense_similarity,
            bm25_score=candidate.bm25_score,
            dense_rank=candidate.dense_rank,
            bm25_rank=candidate.bm25_rank,
        )
        for candidate, score in zip(pool.candidates, scores, strict=True)
    ]
    return sorted(hits, key=_fused_order)


def _lexical_query(readings: tuple[str, ...]) -> str:
    """The query for BM25: the query itself, or the words of every reading, each once (BM25 counts a repeated
    query word twice, and the two readings share their untranslated words)."""
    if len(readings) == 1:
        return readings[0]
    words = dict.fromkeys(word.lower() for reading in readings for word in _WORD.findall(reading))
    return " ".join(words)


def _bm25_of(chunk_id: str, lexical: LexicalScores | None) -> float | None:
    return lexical.score_of(chunk_id) if lexical is not None else None


def _fused_order(hit: ScoredChunk) -> tuple[float, float, str]:
    similarity = hit.dense_similarity if hit.dense_similarity is not None else -1.0
    return -hit.score, -similarity, hit.chunk.chunk_id
