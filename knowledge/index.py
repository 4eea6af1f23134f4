"""The knowledge index: chunk vectors in ChromaDB, chunk texts in chunks.json, BM25 rebuilt in memory.

Layout of the index directory (`<data_dir>/kb/`):
    chroma/         the embedded ChromaDB store (unused when a Chroma server URL is given)
    manifest.json   {article_id: content_hash} of what is indexed, for incremental syncs
    chunks.json     every chunk, so BM25, citations and answers need no Chroma round-trip

With a Chroma server the two JSON files still live in the local directory: give every replica the same data
directory, or run `kb sync` on each (a replica whose files disagree with the server re-indexes everything).
After changing the embedding model, delete the directory and sync again.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import chromadb
import numpy as np
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.api.types import Embeddable, EmbeddingFunction, Where
from chromadb.config import Settings

from knowledge.chunking import chunk_article
from knowledge.embeddings import ChromaEmbeddingFunction, Encoder, Vectors
from knowledge.lexical import Bm25Index, LexicalScores
from knowledge.model import Article, Chunk

log = structlog.get_logger(__name__)

COLLECTION = "kb_chunks"
STATE_FORMAT = 1  # bump when chunking or the indexed text changes, to force a full re-index
_DELETE_BATCH = 500


@dataclass(frozen=True, kw_only=True)
class SyncReport:
    """What a sync changed, counted in articles, plus the resulting number of chunks."""

    added: int
    updated: int
    removed: int
    unchanged: int
    chunk_count: int
    embedded: int = 0  # chunks embedded by this sync (0 when nothing changed)
    kept: int = 0  # articles left as indexed because the caller asked (counted in `unchanged` too)


def dense_text(chunk: Chunk) -> str:
    """What is embedded: "<title>. <heading path>\\n<text>" (the heading is left out when it is the title)."""
    prefix = chunk.article_title
    if chunk.heading and chunk.heading != chunk.article_title:
        prefix = f"{prefix}. {chunk.heading}" if prefix else chunk.heading
    return f"{prefix}\n{chunk.text}" if prefix else chunk.text


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

    def __init__(self, *, directory: Path, encoder: Encoder, client: ClientAPI, collection: ChromaCollection,
                 manifest: dict[str, str], chunks: Sequence[Chunk], consistent: bool) -> None:
        self._directory = directory
        self._encoder = encoder
        self._client = client
        self._collection = collection
        self._manifest = manifest
        self._corpus = _Corpus(chunks)
        self._consistent = consistent  # False: state files unreadable or of another format: rebuild on sync
        self._sync_lock = asyncio.Lock()

    @classmethod
    def open(cls, *, directory: Path, encoder: Encoder, chroma_url: str | None = None) -> KnowledgeIndex:
        """Open (creating if needed) the index in `directory`.

        Blocking (Chroma client, reading chunks.json, building BM25): from async code, call it through
        `asyncio.to_thread`.

        Args:
            directory: the index directory, normally `<data_dir>/kb`.
            encoder: the sentence encoder; must be the one the index was built with.
            chroma_url: a Chroma server such as "http://chroma:8000"; None for the embedded store.
        """
        directory.mkdir(parents=True, exist_ok=True)
        client = _connect(directory=directory, chroma_url=chroma_url)
        collection = _collection(client, encoder)
        manifest, chunks, consistent = _read_state(directory, dimension=encoder.dimension)
        return cls(directory=directory, encoder=encoder, client=client, collection=collection,
                   manifest=manifest, chunks=chunks, consistent=consistent)

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
        """All chunks, grouped by article in the order the last sync was given them."""
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
            self._collection.query, query_embeddings=np.asarray([embedding], dtype=np.float32), n_results=n,
            include=["distances"],
        )
        distances = (result["distances"] or [[]])[0]
        hits = []
        for chunk_id, distance in zip(result["ids"][0], distances, strict=True):
            position = corpus.position.get(chunk_id)
            if position is not None:  # Chroma ahead of chunks.json (interrupted sync): ignore until re-sync
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
        return {chunk_id: float(np.dot(np.asarray(vector, dtype=np.float32), query))
                for chunk_id, vector in zip(stored["ids"], vectors, strict=True)}

    async def sync(self, *, articles: Sequence[Article], keep: Collection[str] = ()) -> SyncReport:
        """Make the index hold exactly `articles`, re-embedding only new or changed ones.

        Changed articles have their old chunks deleted before the new ones are added; indexed articles that
        are neither given nor in `keep` are removed. If Chroma and chunks.json disagree (e.g. after an
        interrupted sync), everything is re-indexed.

        Args:
            articles: the articles to index.
            keep: ids of indexed articles to leave exactly as they are although they are not in `articles`,
                e.g. because their edited file failed validation: the last good version keeps serving.

        Raises:
            ValueError: two articles share an id.
        """
        async with self._sync_lock:
            return await asyncio.to_thread(self._sync_blocking, list(articles), set(keep))

    async def close(self) -> None:
        """Release the Chroma client (the embedded store's SQLite files)."""
        close = getattr(self._client, "close", None)  # not on the ClientAPI protocol, but on every client
        if callable(close):
            await asyncio.to_thread(close)

    def _sync_blocking(self, articles: list[Article], keep: set[str]) -> SyncReport:
        wanted = {article.id: article for article in articles}
        if len(wanted) != len(articles):
            duplicates = sorted(i for i, n in Counter(article.id for article in articles).items() if n > 1)
            raise ValueError(f"duplicate article ids: {', '.join(duplicates)}")

        old = self._manifest
        previous = self._corpus.by_article
        kept = [i for i in old if i in keep and i not in wanted and i in previous]
        added = [i for i in wanted if i not in old]
        updated = [i for i in wanted if i in old and old[i] != wanted[i].content_hash]
        removed = [i for i in old if i not in wanted and i not in kept]
        rebuild = not self._consistent or self._collection.count() != len(self._corpus.chunks)
        if rebuild:
            log.warning("knowledge_index_rebuild", directory=str(self._directory),
                        reason="state files missing or out of step with Chroma")
            self._client.delete_collection(COLLECTION)
            self._collection = _collection(self._client, self._encoder)
            to_index = list(wanted)
        else:
            to_index = added + updated
            stale = added + updated + removed  # added too: an interrupted sync may have left its chunks
            for start in range(0, len(stale), _DELETE_BATCH):
                where = cast("Where", {"article_id": {"$in": stale[start:start + _DELETE_BATCH]}})
                self._collection.delete(where=where)

        fresh = {article_id: chunk_article(article=wanted[article_id]) for article_id in to_index}
        embedded = [chunk for chunks in fresh.values() for chunk in chunks]
        kept_chunks = [chunk for article_id in kept for chunk in previous[article_id]]
        self._add(embedded + (kept_chunks if rebuild else []))

        all_chunks = [c for a in articles for c in (fresh[a.id] if a.id in fresh else previous.get(a.id, []))]
        all_chunks += kept_chunks
        manifest = {article.id: article.content_hash for article in articles} | {i: old[i] for i in kept}
        _write_json(self._directory / "chunks.json", {
            "format": STATE_FORMAT, "dimension": self._encoder.dimension,
            "chunks": [asdict(chunk) for chunk in all_chunks],
        })
        _write_json(self._directory / "manifest.json", manifest)
        self._manifest = manifest
        self._corpus = _Corpus(all_chunks)
        self._consistent = True
        return SyncReport(added=len(added), updated=len(updated), removed=len(removed),
                          unchanged=len(manifest) - len(added) - len(updated), chunk_count=len(all_chunks),
                          embedded=len(embedded) + (len(kept_chunks) if rebuild else 0), kept=len(kept))

    def _add(self, chunks: list[Chunk]) -> None:
        if not chunks:
            return
        documents = [dense_text(chunk) for chunk in chunks]
        embeddings = self._encoder.encode(documents)
        batch = max(1, self._client.get_max_batch_size())
        for start in range(0, len(chunks), batch):
            part = slice(start, start + batch)
            self._collection.add(
                ids=[c.chunk_id for c in chunks[part]], embeddings=embeddings[part],
                documents=documents[part], metadatas=[_metadata(c) for c in chunks[part]],
            )


def _metadata(chunk: Chunk) -> dict[str, str | int | float | bool | None]:
    metadata: dict[str, str | int | float | bool | None] = {
        "article_id": chunk.article_id, "article_title": chunk.article_title, "heading": chunk.heading,
    }
    if chunk.url:
        metadata["url"] = chunk.url
    return metadata


def _connect(*, directory: Path, chroma_url: str | None) -> ClientAPI:
    settings = Settings(anonymized_telemetry=False)
    if chroma_url is None:
        return chromadb.PersistentClient(path=str(directory / "chroma"), settings=settings)
    url = urlsplit(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"Chroma URL must look like http://host:8000, got {chroma_url!r}")
    return chromadb.HttpClient(host=url.hostname, port=url.port or (443 if url.scheme == "https" else 8000),
                               ssl=url.scheme == "https", settings=settings)


def _collection(client: ClientAPI, encoder: Encoder) -> ChromaCollection:
    # Our embedding function is attached so Chroma never instantiates its default, which downloads a model.
    # Chroma types the parameter over every Embeddable; ours embeds Documents, the only kind we store.
    function = cast("EmbeddingFunction[Embeddable]", ChromaEmbeddingFunction(encoder))
    return client.get_or_create_collection(COLLECTION, metadata={"hnsw:space": "cosine"},
                                           embedding_function=function)


def _read_state(directory: Path, *, dimension: int) -> tuple[dict[str, str], list[Chunk], bool]:
    """(manifest, chunks, consistent); unreadable or foreign files give an empty state and force a rebuild."""
    manifest_path, chunks_path = directory / "manifest.json", directory / "chunks.json"
    if not manifest_path.exists() and not chunks_path.exists():
        return {}, [], True
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        state = json.loads(chunks_path.read_text(encoding="utf-8"))
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"chunks.json format {state.get('format')!r}, expected {STATE_FORMAT}")
        if state.get("dimension") != dimension:
            raise ValueError(f"vectors of dimension {state.get('dimension')}, the encoder makes {dimension}")
        chunks = [Chunk(**item) for item in state["chunks"]]
        return {str(k): str(v) for k, v in manifest.items()}, chunks, True
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("knowledge_index_state_unreadable", directory=str(directory), error=str(error))
        return {}, [], False


def _write_json(path: Path, payload: Any) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
