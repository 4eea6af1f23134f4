"""The knowledge library behind the core's KnowledgeBase port: retrieval, confidence and answer composition."""

from __future__ import annotations

import structlog

from bot.core.model import Answer, Citation, KnowledgeHit, Retrieval
from knowledge.answer import ComposedAnswer, choose_section, compose_extractive
from knowledge.chroma_store import KnowledgeStoreUnavailable
from knowledge.confidence import ConfidenceModel
from knowledge.generate import GroundedAnswerer
from knowledge.index import KnowledgeIndex
from knowledge.model import Chunk, SearchResult
from knowledge.retrieval import HybridRetriever

log = structlog.get_logger(__name__)

SEARCH_DEPTH = 10
LLM_SOURCES = 4


class KnowledgeService:
    """Implements KnowledgeBase: hybrid search, calibrated confidence, extractive or LLM-grounded answers."""

    def __init__(
        self,
        *,
        index: KnowledgeIndex,
        retriever: HybridRetriever,
        confidence: ConfidenceModel,
        generator: GroundedAnswerer | None = None,
    ) -> None:
        self._index = index
        self._retriever = retriever
        self._confidence = confidence
        self._generator = generator
        self._last: SearchResult | None = None  # the engine answers the question it just retrieved for
        self._store_up = True  # so an unavailable Chroma server is logged once, and its return once

    async def retrieve(self, question: str) -> Retrieval:
        result = await self._search(question)
        hits = tuple(
            KnowledgeHit(
                article_id=h.chunk.article_id,
                title=h.chunk.article_title,
                heading=h.chunk.heading,
                url=h.chunk.url,
                score=h.score,
            )
            for h in result.hits
        )
        return Retrieval(question=question, hits=hits, confidence=self._confidence.score(result))

    async def answer(self, *, question: str, retrieval: Retrieval, article_id: str | None = None) -> Answer:
        result = await self._search(question)
        target = article_id or (result.hits[0].chunk.article_id if result.hits else None)
        article_chunks = self._index.chunks_of(target) if target else []
        if not article_chunks:
            raise LookupError(f"no indexed article {target!r} to answer from")
        own_hits = [h for h in result.hits if h.chunk.article_id == target]
        best = choose_section(
            question=question, hits=own_hits, article_chunks=article_chunks, picked=article_id is not None
        )
        composed: ComposedAnswer | None = None
        if self._generator is not None:
            sources = [h.chunk for h in result.hits if article_id is None or h.chunk.article_id == target]
            composed = await self._generator.compose(question=question, sources=sources[:LLM_SOURCES] or [best])
        if composed is None:
            composed = compose_extractive(best=best, article_chunks=article_chunks)
        return Answer(text=composed.text, citations=_citations(composed.sources), generated=composed.generated)

    async def is_ready(self) -> bool:
        """Chunks are loaded and the vector store answers (a bounded heartbeat when it is a Chroma server)."""
        try:
            await self._index.check()
        except KnowledgeStoreUnavailable as error:
            self._note(error)
            return False
        self._note(None)
        return not self._index.is_empty

    async def refresh(self) -> int:
        """Pick up a `kb sync` another process made on the Chroma server: the chunk count if reloaded, else 0."""
        try:
            reloaded = await self._index.refresh()
        except KnowledgeStoreUnavailable as error:
            self._note(error)
            return 0
        self._note(None)
        if reloaded:
            self._last = None  # a cached search may cite an article that has just changed
        return self._index.chunk_count if reloaded else 0

    def _note(self, error: KnowledgeStoreUnavailable | None) -> None:
        if error is not None and self._store_up:
            log.warning("knowledge_store_unavailable", error=str(error))
        elif error is None and not self._store_up:
            log.info("knowledge_store_recovered")
        self._store_up = error is None

    async def _search(self, question: str) -> SearchResult:
        # retrieve() and answer() run back to back for the same question; search once.
        if self._last is not None and self._last.query == question:
            return self._last
        self._last = await self._retriever.search(question, k=SEARCH_DEPTH)
        return self._last


def _citations(sources: tuple[Chunk, ...]) -> tuple[Citation, ...]:
    seen: dict[str, Citation] = {}
    for chunk in sources:
        seen.setdefault(
            chunk.article_id, Citation(article_id=chunk.article_id, title=chunk.article_title, url=chunk.url)
        )
    return tuple(seen.values())
