"""Fixtures the integration tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers.redis import RedisServer, running_redis


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A throwaway redis-server for this test (or HELPDESK_TEST_REDIS_URL's, flushed)."""
    with running_redis(tmp_path / "redis") as server:
        yield server
