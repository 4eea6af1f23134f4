"""Shared fixtures: the embedding model and the starter knowledge base are loaded once per test session."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from bot.store.sql.database import Database
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.openai_server import FakeOpenAI
from tests.support.servers.postgres import PostgresServer, running_postgres
from tests.support.webchat import Bot, running_bot


@pytest.fixture(scope="session")
def encoder() -> MiniLMEncoder:
    """The real offline MiniLM model (a few seconds to load, so once per session)."""
    return MiniLMEncoder()


@pytest.fixture(scope="session")
def starter_data_dir(tmp_path_factory: pytest.TempPathFactory, encoder: MiniLMEncoder) -> Path:
    """A data directory whose knowledge index holds the packaged starter articles."""
    from knowledge.index import KnowledgeIndex
    from knowledge.loader import load_articles
    from knowledge.paths import packaged_articles_dir

    data_dir = tmp_path_factory.mktemp("starter-data")
    report = load_articles(directory=packaged_articles_dir())
    assert not report.errors, report.errors

    async def build() -> None:
        index = KnowledgeIndex.open(directory=data_dir / "kb", encoder=encoder)
        await index.sync(articles=report.articles)

    asyncio.run(build())
    return data_dir


@pytest_asyncio.fixture
async def bot(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Bot]:
    """The whole bot on a fresh database, with the starter knowledge base."""
    async with running_bot(data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder) as started:
        yield started


# The stores run on SQLite (the default) and on PostgreSQL: tests that take `database` or `database_url` run on
# both. `-m "not postgresql"` leaves PostgreSQL out; without it installed those variants are skipped.
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)]


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """One PostgreSQL server per session (a throwaway cluster, or HELPDESK_TEST_DATABASE_URL)."""
    with running_postgres() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database of its own for this test, on each backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
        return
    server: PostgresServer = request.getfixturevalue("postgres")
    with server.fresh_database() as url:
        yield url


@pytest.fixture(params=BACKENDS)
def store_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no rows in it, for tests of the stores (on PostgreSQL: the session's migrated one, emptied)."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.emptied_database()


@pytest_asyncio.fixture
async def database(store_database_url: str) -> AsyncIterator[Database]:
    """A database with the current schema and no rows, for tests of one store: on SQLite, then PostgreSQL."""
    db = Database(url=store_database_url)
    await db.migrate()  # as the bot does on start (nothing to do on PostgreSQL's migrated one)
    yield db
    await db.close()


@pytest_asyncio.fixture
async def llm() -> AsyncIterator[FakeOpenAI]:
    """The local OpenAI-compatible stand-in, for tests of LLM answers and summaries."""
    fake = FakeOpenAI()
    await fake.start()
    yield fake
    await fake.close()
