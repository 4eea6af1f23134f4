"""Syncing the index: incremental by content hash, persistent across reopening, self-healing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from knowledge.embeddings import MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.index_sync import SyncReport
from knowledge.loader import load_articles
from knowledge.retrieval import HybridRetriever
from tests.unit.knowledge.helpers import SAMPLE, CountingEncoder, write_sample


@pytest.mark.asyncio
async def test_sync_is_incremental_and_survives_reopening(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    articles = write_sample(tmp_path / "articles")
    counting = CountingEncoder(encoder)
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=counting)
    assert index.is_empty

    first = await index.sync(articles=load_articles(directory=articles).articles)
    assert (first.added, first.updated, first.removed, first.unchanged) == (5, 0, 0, 0)
    assert first.chunk_count == index.chunk_count == first.embedded == len(counting.texts)
    assert index.article_count == 5
    assert index.article_title("vpn-connect") == "Connecting to the VPN"
    vpn_chunks = index.chunks_of("vpn-connect")
    assert [c.chunk_id for c in vpn_chunks] == ["vpn-connect#0", "vpn-connect#1", "vpn-connect#2"]

    counting.texts.clear()
    again = await index.sync(articles=load_articles(directory=articles).articles)
    assert again == SyncReport(added=0, updated=0, removed=0, unchanged=5, chunk_count=first.chunk_count)
    assert counting.texts == []

    printer = articles / "printer-add.md"
    linux = "\n## Linux\n\nUse CUPS with the FollowMe queue.\n"
    printer.write_text(printer.read_text(encoding="utf-8") + linux, encoding="utf-8")
    changed = await index.sync(articles=load_articles(directory=articles).articles)
    assert (changed.added, changed.updated, changed.removed, changed.unchanged) == (0, 1, 0, 4)
    printer_chunks = index.chunks_of("printer-add")
    assert changed.embedded == len(counting.texts) == len(printer_chunks) == 4
    assert all(text.startswith("Adding a printer") for text in counting.texts)  # only its chunks re-embedded
    assert printer_chunks[-1].heading == "Adding a printer > Linux"
    assert changed.chunk_count == first.chunk_count + 1

    counting.texts.clear()
    (articles / "pool-car.md").unlink()
    removed = await index.sync(articles=load_articles(directory=articles).articles)
    assert (removed.added, removed.updated, removed.removed, removed.unchanged) == (0, 0, 1, 4)
    assert counting.texts == []
    assert index.chunks_of("pool-car") == []
    assert index.article_title("pool-car") is None
    await index.close()

    reopened = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        assert (reopened.chunk_count, reopened.article_count) == (removed.chunk_count, 4)
        assert json.loads((tmp_path / "kb" / "manifest.json").read_text(encoding="utf-8")).keys() == (
            set(SAMPLE) - {"pool-car"}
        )
        retriever = HybridRetriever(index=reopened, encoder=encoder)
        dense = await retriever.search("book a company car", mode="dense", k=20)
        assert "pool-car" not in dense.article_ids()  # its vectors left Chroma too
        assert len(dense.hits) == reopened.chunk_count
    finally:
        await reopened.close()


@pytest.mark.asyncio
async def test_a_rejected_article_can_keep_its_last_good_version(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    articles = write_sample(tmp_path / "articles")
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        await index.sync(articles=load_articles(directory=articles).articles)
        vpn = index.chunks_of("vpn-connect")
        good = [a for a in load_articles(directory=articles).articles if a.id != "vpn-connect"]
        report = await index.sync(articles=good, keep={"vpn-connect", "never-indexed"})
        assert (report.removed, report.unchanged, report.kept) == (0, 5, 1)
        assert index.chunks_of("vpn-connect") == vpn
        report = await index.sync(articles=good)
        assert (report.removed, report.unchanged) == (1, 4)
    finally:
        await index.close()


@pytest.mark.asyncio
async def test_lost_state_files_trigger_a_full_reindex(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    articles = load_articles(directory=write_sample(tmp_path / "articles")).articles
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    first = await index.sync(articles=articles)
    await index.close()
    (tmp_path / "kb" / "chunks.json").write_text("{not json", encoding="utf-8")

    reopened = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        assert reopened.is_empty
        report = await reopened.sync(articles=articles)
        assert (report.added, report.embedded) == (5, first.chunk_count)
        assert report.chunk_count == first.chunk_count
        result = await HybridRetriever(index=reopened, encoder=encoder).search("vpn", mode="dense", k=50)
        assert len(result.hits) == first.chunk_count  # no duplicates left behind in Chroma
    finally:
        await reopened.close()


@pytest.mark.asyncio
async def test_two_articles_with_one_id_are_refused(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    articles = load_articles(directory=write_sample(tmp_path / "a")).articles
    (article,) = [a for a in articles if a.id == "pool-car"]
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    try:
        with pytest.raises(ValueError, match="duplicate article ids: pool-car"):
            await index.sync(articles=[article, article])
    finally:
        await index.close()
