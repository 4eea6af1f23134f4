"""The bot as IT staff run it: with the staff token, and (desk_bot) behind the authenticating proxy."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from knowledge.embeddings import MiniLMEncoder
from tests.support.staffapi import PROXY_SECRET, STAFF_TOKEN, write_staff_config
from tests.support.webchat import Bot, running_bot


@pytest_asyncio.fixture
async def desk_bot(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Bot]:
    """The bot with a staff token, and one member of the service desk known to the proxy."""
    config = write_staff_config(tmp_path / "staff.yml", members=["dana@example.com"])
    async with running_bot(
        data_dir=starter_data_dir,
        tmp_path=tmp_path,
        encoder=encoder,
        staff_token=STAFF_TOKEN,
        staff_config=config,
        web_auth="header",
        web_proxy_secret=PROXY_SECRET,
    ) as started:
        yield started


@pytest_asyncio.fixture
async def token_bot(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Bot]:
    """The bot as a new user runs it locally: web chat without a proxy, and the staff token."""
    async with running_bot(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, staff_token=STAFF_TOKEN
    ) as started:
        yield started


@pytest_asyncio.fixture
async def always_clarifying_bot(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Bot]:
    """Thresholds that put every retrieval in the clarify band: the person always gets articles to pick from."""
    async with running_bot(
        data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, answer_threshold=1.0, clarify_threshold=0.0
    ) as started:
        yield started
