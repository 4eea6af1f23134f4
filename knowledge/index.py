"""The knowledge index: chunk vectors in ChromaDB, BM25 rebuilt in memory from the chunk texts.

Where the index keeps track of what it holds:

- Embedded store (the default), in the index directory `<data_dir>/kb/`: the ChromaDB store in chroma/, and
  manifest.json and chunks.json beside it (see knowledge/index_files.py).
- Chroma server (`chroma_url`): on the server only (see knowledge/chroma_store.py); the index directory is not
  used, so the indexing job and every replica can each start with an empty one. Each process holds the chunks
  in memory; `refresh()` reloads them when another process has synced.

After changing the embedding model, delete the directory (or the server's collection) and sync again.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import cast

import numpy as np
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.api.types import Embeddable, EmbeddingFunction, Where

from knowledge.chroma_store import (
    DEFAULT_TIMEOUT_SECONDS,
    SERVER_ERRORS,
    IndexState,
    connect,
    read_server_state,
    server_marker,
    stamp,
    sync_under_way,
    unavailable,
)
from knowledge.chunking import chunk_article
from knowledge.embeddings import ChromaEmbeddingFunction, Encoder, Vectors
from knowledge.index_files import read_state, write_state
from knowledge.index_sync import SyncPlan, SyncReport, add_chunks, by_id
from knowledge.lexical import Bm25Index, LexicalScores
from knowledge.model import Article, Chunk

log = structlog.get_logger(__name__)

COLLECTION = "kb_chunks"
STATE_FORMAT = 1  # bump when chunking or the indexed text changes, to force a full re-index
_DELETE_BATCH = 500


class _Corpus:
    """An immutable snapshot of the indexed chunks, swapped whole after a sync so searches never see half."""

    def __init__(self, chunks: Sequence[Chunk]) -> None:
        self.chunks = tuple(chunks)
        self.position = {chunk.chunk_id: i for i, chunk in enumerate(self.chunks)}
        self.by_article: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            self.by_article.setdefault(chunk.article_id, []).append(chunk)
        self.bm25 = Bm25Index(self.chunks)


class KnowledgeIndex:
    """Dense (Chroma) plus lexical (BM25) index over article chunks, synced incrementally by content hash.

    Build it with `KnowledgeIndex.open`; the constructor only assembles already opened parts.
    """

    def __init__(
        self,
        *,
        directory: Path,
        encoder: Encoder,
        client: ClientAPI,
        collection: ChromaCollection,
        state: IndexState,
        chroma_url: str | None = None,
    ) -> None:
        self._directory = directory
        self._encoder = encoder
        self._client = client
        self._collection = collection
        self._chroma_url = chroma_url  # None: the embedded store, whose state files live in `directory`
        self._sync_lock = asyncio.Lock()  # one sync or reload at a time
        self._use(state)

    def _use(self, state: IndexState) -> None:
        self._manifest = state.manifest
        self._corpus = _Corpus(state.chunks)
        self._consistent = state.consistent  # False: state unreadable or of another format: rebuild on sync
        self._leftovers = state.leftovers
        self._marker = state.marker

    @classmethod
    def open(
        cls,
        *,
        directory: Path,
        encoder: Encoder,
        chroma_url: str | None = None,
        timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> KnowledgeIndex:
        """Open (creating if needed) the index in `directory`, or the one on the Chroma server at `chroma_url`.

        Blocking (Chroma client, reading the state, building BM25): from async code, call it through
        `asyncio.to_thread`.

        Args:
            directory: the index directory, normally `<data_dir>/kb` (not used with a server).
            encoder: the sentence encoder; must be the one the index was built with.
            chroma_url: a Chroma server such as "http://chroma:8000"; None for the embedded store.
            timeout_seconds: how long one request to the server may take.

        Raises:
            KnowledgeStoreUnavailable: the Chroma server did not answer in time.
        """
        if chroma_url is None:
            directory.mkdir(parents=True, exist_ok=True)
        client = connect(directory=directory, chroma_url=chroma_url, timeout_seconds=timeout_seconds)
        try:
            collection = _collection(client, encoder)
            state = (
                read_state(directory, state_format=STATE_FORMAT, dimension=encoder.dimension)
                if chroma_url is None
                else read_server_state(collection, state_format=STATE_FORMAT, dimension=encoder.dimension)
            )
        except SERVER_ERRORS as error:
            _close_client(client)
            if chroma_url is None:
                raise
            raise unavailable(chroma_url, error) from error
        return cls(
            directory=directory,
            encoder=encoder,
            client=client,
            collection=collection,
            state=state,
            chroma_url=chroma_url,
        )

    # Cheap getters over the in-memory snapshot.

    @property
    def chunk_count(self) -> int:
        return len(self._corpus.chunks)

    @property
    def article_count(self) -> int:
        return len(self._manifest)

    @property
    def is_empty(self) -> bool:
        return not self._corpus.chunks

    @property
    def chunks(self) -> tuple[Chunk, ...]:
        """All chunks, grouped by article (in the order the last sync was given them; by id from a server)."""
        return self._corpus.chunks

    def article_title(self, article_id: str) -> str | None:
        chunks = self._corpus.by_article.get(article_id)
        return chunks[0].article_title if chunks else None

    def chunks_of(self, article_id: str) -> list[Chunk]:
        """The chunks of one article in document order (empty if it is not indexed)."""
        return list(self._corpus.by_article.get(article_id, ()))

    def bm25_scores(self, query: str) -> LexicalScores | None:
        """BM25 scores of every chunk for `query`; None if the index is empty or no query term is in it.

        In memory and fast (under a millisecond for ten thousand chunks), so it runs on the caller's thread.
        """
        return self._corpus.bm25.scores(query)

    async def dense_search(self, *, embedding: Vectors, n: int) -> list[tuple[Chunk, float]]:
        """The `n` chunks nearest to a query embedding, with cosine similarity (1 - Chroma's distance)."""
        corpus = self._corpus
        n = min(n, len(corpus.chunks))
        if n <= 0:
            return []
        result = await asyncio.to_thread(
            self._collection.query,
            query_embeddings=np.asarray([embedding], dtype=np.float32),
            n_results=n,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        hits = []
        for chunk_id, distance in zip(result["ids"][0], distances, strict=True):
            position = corpus.position.get(chunk_id)
            if position is not None:  # Chroma ahead of the loaded state (a sync under way): ignore until then
                hits.append((corpus.chunks[position], 1.0 - float(distance)))
        return hits

    async def dense_similarities(self, *, embedding: Vectors, chunk_ids: Sequence[str]) -> dict[str, float]:
        """Cosine similarity between a query embedding and the stored vectors of the given chunks."""
        if not chunk_ids:
            return {}
        stored = await asyncio.to_thread(self._collection.get, ids=list(chunk_ids), include=["embeddings"])
        vectors = stored["embeddings"]
        if vectors is None:
            return {}
        query = np.asarray(embedding, dtype=np.float32)
        return {
            chunk_id: float(np.dot(np.asarray(vector, dtype=np.float32), query))
            for chunk_id, vector in zip(stored["ids"], vectors, strict=True)
        }

    async def check(self) -> None:
        """Ask the Chroma server for its heartbeat (bounded by the timeout); the embedded store needs no asking.

        Raises:
            KnowledgeStoreUnavailable: the server did not answer.
        """
        if self._chroma_url is None:
            return
        try:
            await asyncio.to_thread(self._client.heartbeat)
        except SERVER_ERRORS as error:
            raise unavailable(self._chroma_url, error) from error

    async def refresh(self) -> bool:
        """Pick up a sync that another process made on the Chroma server; True if the chunks were reloaded.

        One small request when nothing changed. Always False for the embedded store (its syncs run in this
        process) and while this index is syncing or reloading already.

        Raises:
            KnowledgeStoreUnavailable: the server did not answer.
        """
        if self._chroma_url is None or self._sync_lock.locked():
            return False
        async with self._sync_lock:
            try:
                return await asyncio.to_thread(self._reload_blocking, force=False)
            except SERVER_ERRORS as error:
                raise unavailable(self._chroma_url, error) from error

    async def sync(self, *, articles: Sequence[Article], keep: Collection[str] = ()) -> SyncReport:
        """Make the index hold exactly `articles`, re-embedding only new or changed ones.

        Changed articles have their old chunks deleted before the new ones are added; indexed articles that
        are neither given nor in `keep` are removed. If Chroma and the state disagree (e.g. after an
        interrupted sync), the affected articles (embedded store: everything) are indexed again. With a server,
        what is indexed is read from the server first, whatever this process loaded before.

        Args:
            articles: the articles to index.
            keep: ids of indexed articles to leave exactly as they are although they are not in `articles`,
                e.g. because their edited file failed validation: the last good version keeps serving.

        Raises:
            ValueError: two articles share an id.
            KnowledgeStoreUnavailable: the Chroma server did not answer.
        """
        async with self._sync_lock:
            try:
                return await asyncio.to_thread(self._sync_blocking, list(articles), set(keep))
            except SERVER_ERRORS as error:
                if self._chroma_url is None:
                    raise
                raise unavailable(self._chroma_url, error) from error

    async def close(self) -> None:
        """Release the Chroma client (the embedded store's SQLite files, the server client's connections)."""
        await asyncio.to_thread(_close_client, self._client)

    def _reload_blocking(self, *, force: bool) -> bool:
        collection = _collection(self._client, self._encoder)  # a new handle: a rebuild replaces the collection
        if not force and (server_marker(collection) == self._marker or sync_under_way(collection)):
            return False  # unchanged, or half written: keep serving this snapshot until the sync is done
        state = read_server_state(collection, state_format=STATE_FORMAT, dimension=self._encoder.dimension)
        self._collection = collection
        self._use(state)
        return True

    def _sync_blocking(self, articles: list[Article], keep: set[str]) -> SyncReport:
        wanted = by_id(articles)
        server = self._chroma_url is not None
        if server:
            self._reload_blocking(force=True)  # another job may have synced since this index was opened
        interrupted = server and sync_under_way(self._collection)  # a job killed before it renewed the generation

        previous = self._corpus.by_article
        plan = SyncPlan.compare(
            wanted=wanted, manifest=self._manifest, indexed=previous, keep=keep, leftovers=self._leftovers
        )
        rebuild = not self._consistent or (not server and self._collection.count() != len(self._corpus.chunks))
        changing = rebuild or bool(plan.stale)
        if rebuild:
            log.warning(
                "knowledge_index_rebuild",
                where=self._chroma_url or str(self._directory),
                reason="state missing, of another format or out of step with Chroma",
            )
            self._client.delete_collection(COLLECTION)
            self._collection = _collection(self._client, self._encoder)
        if server and changing:
            stamp(self._collection, state_format=STATE_FORMAT, dimension=self._encoder.dimension, syncing=True)
        to_index = list(wanted) if rebuild else plan.added + plan.updated
        if not rebuild:
            for start in range(0, len(plan.stale), _DELETE_BATCH):
                where = cast("Where", {"article_id": {"$in": plan.stale[start : start + _DELETE_BATCH]}})
                self._collection.delete(where=where)

        fresh = {article_id: chunk_article(article=wanted[article_id]) for article_id in to_index}
        embedded = [chunk for chunks in fresh.values() for chunk in chunks]
        kept_chunks = [chunk for article_id in plan.kept for chunk in previous[article_id]]
        add_chunks(
            client=self._client,
            collection=self._collection,
            encoder=self._encoder,
            chunks=embedded + (kept_chunks if rebuild else []),
            hashes=plan.manifest,
        )

        all_chunks = [c for a in articles for c in (fresh[a.id] if a.id in fresh else previous.get(a.id, []))]
        all_chunks += kept_chunks
        marker = self._marker
        if not server:
            write_state(
                self._directory,
                state_format=STATE_FORMAT,
                dimension=self._encoder.dimension,
                manifest=plan.manifest,
                chunks=all_chunks,
            )
        elif changing or interrupted:
            # Last, so replicas reload only once every record of this sync is written.
            marker = stamp(self._collection, state_format=STATE_FORMAT, dimension=self._encoder.dimension)
        self._use(IndexState(manifest=plan.manifest, chunks=all_chunks, marker=marker))
        return plan.report(chunk_count=len(all_chunks), embedded=len(embedded) + (len(kept_chunks) if rebuild else 0))


def _collection(client: ClientAPI, encoder: Encoder) -> ChromaCollection:
    # Our embedding function is attached so Chroma never instantiates its default, which downloads a model.
    # Chroma types the parameter over every Embeddable; ours embeds Documents, the only kind we store.
    function = cast("EmbeddingFunction[Embeddable]", ChromaEmbeddingFunction(encoder))
    return client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"}, embedding_function=function)


def _close_client(client: ClientAPI) -> None:
    close = getattr(client, "close", None)  # not on the ClientAPI protocol, but on every client
    if callable(close):
        close()
