"""Hybrid retrieval: dense (Chroma) and BM25 candidate lists fused by reciprocal rank."""

from __future__ import annotations

import asyncio
from typing import Literal, get_args

from knowledge.embeddings import Encoder
from knowledge.index import KnowledgeIndex
from knowledge.lexical import LexicalScores
from knowledge.model import ScoredChunk, SearchResult

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = get_args(Mode)


class HybridRetriever:
    """Searches a KnowledgeIndex in one of three modes; "hybrid" is what the bot uses.

    Hybrid fuses the top `candidates` of each side by reciprocal rank: score = sum of 1 / (rrf_k + rank).
    Every hybrid hit carries both signals, because the confidence model reads them: a hit that only BM25
    ranked gets its cosine similarity computed against its stored vector (one Chroma `get` for at most k
    chunks), and a hit that only the dense side ranked gets its BM25 score from the full score vector
    (0.0 when it shares no term with the query). Ranks stay None for a side whose candidate list missed
    the chunk; bm25_score is None only when no query term occurs in the index at all. The single modes
    ("dense", "bm25") report just their own signal, with that signal as the score.
    """

    def __init__(self, *, index: KnowledgeIndex, encoder: Encoder, candidates: int = 30, rrf_k: int = 60) -> None:
        if candidates < 1 or rrf_k < 0:
            raise ValueError("candidates must be at least 1 and rrf_k must not be negative")
        self._index = index
        self._encoder = encoder
        self._candidates = candidates
        self._rrf_k = rrf_k

    async def search(self, query: str, *, k: int = 10, mode: Mode = "hybrid") -> SearchResult:
        """The best `k` chunks for `query`, best first; empty for a blank query or an empty index."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if not query.strip() or k < 1 or self._index.is_empty:
            return SearchResult(query=query)

        lexical = self._index.bm25_scores(query) if mode != "dense" else None
        bm25_ranked = lexical.top(self._candidates) if lexical is not None else []
        if mode == "bm25":
            return SearchResult(
                query=query,
                hits=tuple(
                    ScoredChunk(chunk=chunk, score=score, bm25_score=score, bm25_rank=rank)
                    for rank, (chunk, score) in enumerate(bm25_ranked[:k], 1)
                ),
            )

        # The caller's exact string: the intent detector has just embedded it, so the encoder's cache answers.
        embedding = (await asyncio.to_thread(self._encoder.encode, [query]))[0]
        dense_ranked = await self._index.dense_search(embedding=embedding, n=self._candidates)
        if mode == "dense":
            return SearchResult(
                query=query,
                hits=tuple(
                    ScoredChunk(chunk=chunk, score=similarity, dense_similarity=similarity, dense_rank=rank)
                    for rank, (chunk, similarity) in enumerate(dense_ranked[:k], 1)
                ),
            )

        fused: dict[str, ScoredChunk] = {}
        for rank, (chunk, similarity) in enumerate(dense_ranked, 1):
            fused[chunk.chunk_id] = ScoredChunk(
                chunk=chunk, score=1 / (self._rrf_k + rank), dense_similarity=similarity, dense_rank=rank
            )
        for rank, (chunk, score) in enumerate(bm25_ranked, 1):
            seen = fused.get(chunk.chunk_id)
            fused[chunk.chunk_id] = ScoredChunk(
                chunk=chunk,
                score=(seen.score if seen else 0.0) + 1 / (self._rrf_k + rank),
                dense_similarity=seen.dense_similarity if seen else None,
                dense_rank=seen.dense_rank if seen else None,
                bm25_score=score,
                bm25_rank=rank,
            )
        # Equal fused scores (rank r on one side only, either side) go to the higher cosine similarity.
        best = sorted(fused.values(), key=_fused_order)[:k]
        missing = [hit.chunk.chunk_id for hit in best if hit.dense_similarity is None]
        similarities = await self._index.dense_similarities(embedding=embedding, chunk_ids=missing)
        return SearchResult(query=query, hits=tuple(_complete(h, similarities, lexical) for h in best))


def _complete(hit: ScoredChunk, similarities: dict[str, float], lexical: LexicalScores | None) -> ScoredChunk:
    """Fill in the signal of the side that did not rank this hit among its candidates."""
    chunk_id = hit.chunk.chunk_id
    dense_similarity = hit.dense_similarity
    if dense_similarity is None:
        dense_similarity = similarities.get(chunk_id)
    bm25_score = hit.bm25_score
    if bm25_score is None and lexical is not None:
        bm25_score = lexical.score_of(chunk_id)
    return ScoredChunk(
        chunk=hit.chunk,
        score=hit.score,
        dense_similarity=dense_similarity,
        bm25_score=bm25_score,
        dense_rank=hit.dense_rank,
        bm25_rank=hit.bm25_rank,
    )


def _fused_order(hit: ScoredChunk) -> tuple[float, float, str]:
    similarity = hit.dense_similarity if hit.dense_similarity is not None else -1.0
    return -hit.score, -similarity, hit.chunk.chunk_id
