"""The Chroma side of the knowledge index: connecting with bounded timeouts, and the records a server shares.

With a Chroma server (`HELPDESK_CHROMA_URL`) the server is the only source of truth, so an indexing job and any
number of replicas, each with its own empty data directory, agree on what is indexed:

- every chunk's record carries its article's content hash and chunk count, so the articles and their hashes
  (what an incremental sync compares against) are read back from the server, and an article whose records are
  incomplete (an interrupted sync) is recognised and indexed again;
- the collection's metadata carries the state format, the vector dimension and a generation that every sync
  that changes something renews, so a replica notices a sync with one small request and reloads the chunks.
  While a sync writes, the generation says so ("syncing-…"): replicas keep serving what they have, and a job
  that finds a sync left that way (killed halfway) finishes it and renews the generation even if nothing else
  is left to do.

One indexing job at a time: two jobs syncing the same server at once can interleave their writes.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast
from urllib.parse import urlsplit

import chromadb
import httpx
import structlog
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection
from chromadb.config import Settings
from chromadb.errors import ChromaError, InternalError, RateLimitError

from knowledge.model import Chunk

log = structlog.get_logger(__name__)

DEFAULT_TIMEOUT_SECONDS = 10.0  # per request; an add is capped at ADD_BATCH records so it stays well inside
CONNECT_TIMEOUT_SECONDS = 3.0
ADD_BATCH = 1000  # a full server batch (5,461 records) took 6.5 s on the 2-core VM; 1,000 take about 1.2 s
_PAGE = 2000  # records per `get` when a replica reads the index
FORMAT_KEY, DIMENSION_KEY, GENERATION_KEY = "kb_format", "kb_dimension", "kb_generation"
HASH_KEY, COUNT_KEY = "article_hash", "article_chunks"
SYNCING = "syncing-"  # prefix of the generation while a sync writes

# What a call to a Chroma server raises when the server is down, hung, failing or overloaded (a request the
# server refuses as wrong, e.g. InvalidArgumentError, is a bug, not unavailability, and is left as it is).
SERVER_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, InternalError, RateLimitError)

Metadata = dict[str, str | int | float | bool | None]


class KnowledgeStoreUnavailable(RuntimeError):
    """The Chroma server did not answer (refused, timed out or failed); the message names the URL."""


@dataclass(frozen=True, kw_only=True)
class IndexState:
    """What is indexed: {article_id: content_hash} and the chunks of those articles.

    `consistent` False means the stored state cannot be trusted (unreadable, another format or dimension): the
    next sync rebuilds everything. `leftovers` are articles with incomplete records on a server (an interrupted
    sync), deleted or re-indexed by the next sync. `marker` identifies the server state that was read.
    """

    manifest: dict[str, str]
    chunks: list[Chunk]
    consistent: bool = True
    leftovers: frozenset[str] = frozenset()
    marker: str | None = None


def dense_text(chunk: Chunk) -> str:
    """What is embedded: "<title>. <heading path>\\n<text>" (the heading is left out when it is the title)."""
    prefix = chunk.article_title
    if chunk.heading and chunk.heading != chunk.article_title:
        prefix = f"{prefix}. {chunk.heading}" if prefix else chunk.heading
    return f"{prefix}\n{chunk.text}" if prefix else chunk.text


def record_metadata(chunk: Chunk, *, content_hash: str, count: int) -> Metadata:
    """A chunk's Chroma metadata; with the document (its dense text) the chunk can be rebuilt from it."""
    metadata: Metadata = {
        "article_id": chunk.article_id,
        "article_title": chunk.article_title,
        "heading": chunk.heading,
        HASH_KEY: content_hash,
        COUNT_KEY: count,
    }
    if chunk.url:
        metadata["url"] = chunk.url
    return metadata


def connect(*, directory: Path, chroma_url: str | None, timeout_seconds: float) -> ClientAPI:
    """The embedded store in `directory/chroma`, or a client of the server at `chroma_url`.

    Raises:
        ValueError: the URL is not http(s)://host[:port].
        KnowledgeStoreUnavailable: the server did not answer its heartbeat within the timeout.
    """
    settings = Settings(anonymized_telemetry=False)
    if chroma_url is None:
        return chromadb.PersistentClient(path=str(directory / "chroma"), settings=settings)
    url = urlsplit(chroma_url)
    if url.scheme not in ("http", "https") or not url.hostname:
        raise ValueError(f"Chroma URL must look like http://host:8000, got {chroma_url!r}")
    port = url.port or (443 if url.scheme == "https" else 8000)
    base = f"{url.scheme}://{url.hostname}:{port}"
    timeout = httpx.Timeout(timeout_seconds, connect=min(timeout_seconds, CONNECT_TIMEOUT_SECONDS))
    # chromadb's client talks to the server as soon as it is built, with no timeout at all: a hung or
    # unreachable server would hang start-up. Ask first, bounded, so that case fails fast and says why.
    try:
        httpx.get(f"{base}/api/v2/heartbeat", timeout=timeout).raise_for_status()
        client = chromadb.HttpClient(host=url.hostname, port=port, ssl=url.scheme == "https", settings=settings)
    except (httpx.HTTPError, ChromaError, ValueError) as error:  # chromadb: ValueError("Could not connect …")
        raise unavailable(base, error) from error
    _bound_requests(client, timeout)
    return client


def unavailable(where: str, error: BaseException) -> KnowledgeStoreUnavailable:
    reason = str(error) or type(error).__name__
    return KnowledgeStoreUnavailable(
        f"cannot reach the Chroma server at {where}: {reason} "
        f"({type(error).__name__}); check HELPDESK_CHROMA_URL and the server"
    )


def _bound_requests(client: ClientAPI, timeout: httpx.Timeout) -> None:
    """Give the client's HTTP session a timeout (chromadb creates it with none and has no setting for one)."""
    session = getattr(getattr(client, "_server", None), "_session", None)
    if isinstance(session, httpx.Client):
        session.timeout = timeout
    else:  # a chromadb release that changed its internals: say so rather than hang silently later
        log.warning("chroma_timeout_not_applied", hint="requests to the Chroma server have no timeout")


def server_marker(collection: ChromaCollection) -> str:
    """Which synced state a collection handle shows: its id (new after a rebuild) and its generation."""
    return f"{collection.id}:{(collection.metadata or {}).get(GENERATION_KEY)}"


def sync_under_way(collection: ChromaCollection) -> bool:
    """Whether a sync is writing to the collection, or was killed while it did."""
    generation = (collection.metadata or {}).get(GENERATION_KEY)
    return isinstance(generation, str) and generation.startswith(SYNCING)


def stamp(collection: ChromaCollection, *, state_format: int, dimension: int, syncing: bool = False) -> str:
    """Record on the server that a sync is about to write (`syncing`) or has changed the index; the new marker."""
    generation = f"{SYNCING if syncing else ''}{uuid.uuid4().hex}"
    metadata: Metadata = {FORMAT_KEY: state_format, DIMENSION_KEY: dimension, GENERATION_KEY: generation}
    collection.modify(metadata=metadata)  # replaces the metadata; the cosine space lives in the configuration
    return f"{collection.id}:{generation}"


def read_server_state(collection: ChromaCollection, *, state_format: int, dimension: int) -> IndexState:
    """The index as the server holds it. Blocking; raises one of SERVER_ERRORS if the server fails."""
    marker = server_marker(collection)
    ids: list[str] = []
    documents: list[str | None] = []
    metadatas: list[Metadata | None] = []
    while True:
        page = collection.get(include=["documents", "metadatas"], limit=_PAGE, offset=len(ids))
        ids += page["ids"]
        documents += page["documents"] or [None] * len(page["ids"])
        metadatas += cast("list[Metadata | None]", page["metadatas"] or [None] * len(page["ids"]))
        if len(page["ids"]) < _PAGE:
            break
    if not ids:
        return IndexState(manifest={}, chunks=[], marker=marker)
    stored = collection.metadata or {}
    if (stored.get(FORMAT_KEY), stored.get(DIMENSION_KEY)) != (state_format, dimension):
        log.warning(
            "knowledge_index_foreign",
            records=len(ids),
            found_format=stored.get(FORMAT_KEY),
            found_dimension=stored.get(DIMENSION_KEY),
            hint="run `helpdesk-bot kb sync` to rebuild it",
        )
        return IndexState(manifest={}, chunks=[], consistent=False, marker=marker)

    by_article: dict[str, list[tuple[int, Chunk, str, int]]] = {}
    for chunk_id, document, metadata in zip(ids, documents, metadatas, strict=True):
        parsed = _chunk(chunk_id, document, metadata or {})
        if parsed is None:
            log.warning("knowledge_index_record_unreadable", chunk_id=chunk_id)
            return IndexState(manifest={}, chunks=[], consistent=False, marker=marker)
        by_article.setdefault(parsed[1].article_id, []).append(parsed)

    manifest: dict[str, str] = {}
    chunks: list[Chunk] = []
    leftovers: set[str] = set()
    for article_id in sorted(by_article):
        records = sorted(by_article[article_id], key=lambda record: record[0])
        hashes, counts = {r[2] for r in records}, {r[3] for r in records}
        if len(hashes) == 1 and counts == {len(records)} and [r[0] for r in records] == list(range(len(records))):
            manifest[article_id] = hashes.pop()
            chunks += [r[1] for r in records]
        else:
            leftovers.add(article_id)
    return IndexState(manifest=manifest, chunks=chunks, leftovers=frozenset(leftovers), marker=marker)


def _chunk(chunk_id: str, document: str | None, metadata: Metadata) -> tuple[int, Chunk, str, int] | None:
    """(position in the article, chunk, content hash, chunk count) from one record; None if it is not ours."""
    article_id, _, position = chunk_id.rpartition("#")
    title, heading = metadata.get("article_title"), metadata.get("heading")
    content_hash, count, url = metadata.get(HASH_KEY), metadata.get(COUNT_KEY), metadata.get("url")
    if (
        metadata.get("article_id") != article_id
        or not position.isdigit()
        or document is None
        or not isinstance(title, str)
        or not isinstance(heading, str)
        or not isinstance(content_hash, str)
        or not isinstance(count, int)
        or not isinstance(url, str | None)
    ):
        return None
    chunk = Chunk(chunk_id=chunk_id, article_id=article_id, article_title=title, heading=heading, text="", url=url)
    head = dense_text(chunk)  # the document is this prefix followed by the chunk's text
    if not document.startswith(head):
        return None
    return int(position), replace(chunk, text=document[len(head) :]), content_hash, count


def chunk_counts(chunks: Sequence[Chunk]) -> dict[str, int]:
    """How many chunks each article has among `chunks`."""
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.article_id] = counts.get(chunk.article_id, 0) + 1
    return counts
