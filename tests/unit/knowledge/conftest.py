"""Fixtures for the knowledge library (the session-wide `encoder` comes from tests/conftest.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from knowledge.embeddings import MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.loader import load_articles
from knowledge.retrieval import HybridRetriever
from tests.unit.knowledge.helpers import write_sample


@pytest_asyncio.fixture
async def sample_index(tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[KnowledgeIndex]:
    """An index of the five sample articles."""
    report = load_articles(directory=write_sample(tmp_path / "articles"))
    assert not report.errors
    index = KnowledgeIndex.open(directory=tmp_path / "kb", encoder=encoder)
    await index.sync(articles=report.articles)
    yield index
    await index.close()


@pytest.fixture
def retriever(sample_index: KnowledgeIndex, encoder: MiniLMEncoder) -> HybridRetriever:
    return HybridRetriever(index=sample_index, encoder=encoder)
