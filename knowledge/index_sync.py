"""What a sync of the knowledge index changes: which articles it adds, re-embeds, removes or keeps, the embedding
of their chunks into Chroma, and the report of what changed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection as ChromaCollection

from knowledge.chroma_store import ADD_BATCH, chunk_counts, dense_text, record_metadata
from knowledge.embeddings import Encoder
from knowledge.model import Article, Chunk


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


def by_id(articles: Sequence[Article]) -> dict[str, Article]:
    """The articles by id, in their order.

    Raises:
        ValueError: two articles share an id.
    """
    wanted = {article.id: article for article in articles}
    if len(wanted) != len(articles):
        duplicates = sorted(i for i, n in Counter(article.id for article in articles).items() if n > 1)
        raise ValueError(f"duplicate article ids: {', '.join(duplicates)}")
    return wanted


@dataclass(frozen=True, kw_only=True)
class SyncPlan:
    """Which articles (by id) a sync adds, re-embeds, removes or keeps, and the manifest it leaves."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    kept: list[str]
    stale: list[str]  # whose records are deleted before anything is added
    manifest: dict[str, str]  # {article_id: content_hash} once the sync is done

    @classmethod
    def compare(
        cls,
        *,
        wanted: dict[str, Article],
        manifest: dict[str, str],
        indexed: Collection[str],
        keep: Collection[str],
        leftovers: frozenset[str],
    ) -> SyncPlan:
        """Compare the wanted articles with the manifest of what is indexed.

        Args:
            wanted: the articles to index, by id (see `by_id`).
            manifest: {article_id: content_hash} of what is indexed.
            indexed: ids of the articles whose chunks are loaded (only those can be kept).
            keep: ids of indexed articles to leave as they are although they are not wanted.
            leftovers: articles with incomplete records (an interrupted sync on a server).
        """
        kept = [i for i in manifest if i in keep and i not in wanted and i in indexed]
        added = [i for i in wanted if i not in manifest]
        updated = [i for i in wanted if i in manifest and manifest[i] != wanted[i].content_hash]
        removed = [i for i in manifest if i not in wanted and i not in kept]
        unwanted_leftovers = sorted(leftovers - set(wanted))  # half-written articles nobody wants any more
        return cls(
            added=added,
            updated=updated,
            removed=removed,
            kept=kept,
            stale=added + updated + removed + unwanted_leftovers,  # added too: an interrupted sync may have left chunks
            manifest={i: article.content_hash for i, article in wanted.items()} | {i: manifest[i] for i in kept},
        )

    def report(self, *, chunk_count: int, embedded: int) -> SyncReport:
        return SyncReport(
            added=len(self.added),
            updated=len(self.updated),
            removed=len(self.removed),
            unchanged=len(self.manifest) - len(self.added) - len(self.updated),
            chunk_count=chunk_count,
            embedded=embedded,
            kept=len(self.kept),
        )


def add_chunks(
    *, client: ClientAPI, collection: ChromaCollection, encoder: Encoder, chunks: list[Chunk], hashes: dict[str, str]
) -> None:
    """Embed the chunks of whole articles and add them to the collection, in batches the client accepts."""
    if not chunks:
        return
    documents = [dense_text(chunk) for chunk in chunks]
    embeddings = encoder.encode(documents)
    counts = chunk_counts(chunks)  # whole articles are added, so this is each article's chunk count
    batch = max(1, min(client.get_max_batch_size(), ADD_BATCH))
    for start in range(0, len(chunks), batch):
        part = slice(start, start + batch)
        collection.add(
            ids=[c.chunk_id for c in chunks[part]],
            embeddings=embeddings[part],
            documents=documents[part],
            metadatas=[
                record_metadata(c, content_hash=hashes[c.article_id], count=counts[c.article_id]) for c in chunks[part]
            ],
        )
