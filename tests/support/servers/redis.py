"""A throwaway redis-server on a random loopback port (no persistence), which a test can stop and start again.

HELPDESK_TEST_REDIS_URL names an existing Redis instead (CI services, a developer's container): its database is
flushed before each test, and the tests that kill Redis are skipped there.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.tcp import free_port


@dataclass
class RedisServer:
    port: int
    directory: Path
    process: subprocess.Popen[bytes] | None = field(default=None)
    external_url: str | None = None

    @property
    def url(self) -> str:
        return self.external_url or f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if self.external_url is not None:
            pytest.skip("needs a Redis the tests can stop and start (unset HELPDESK_TEST_REDIS_URL)")
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail(
                "`redis-server` is not installed: these tests run a real Redis "
                "(Debian/Ubuntu: apt-get install redis-server)",
                pytrace=False,
            )
        self.process = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--protected-mode",
                "yes",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited at start ({self.process.returncode})", pytrace=False)
            if _answers(self.port):
                return
            time.sleep(0.02)
        pytest.fail("redis-server did not answer within 10 s", pytrace=False)

    def stop(self) -> None:
        """Kill it outright (as a crash would); its keys are gone, as they would be without persistence."""
        if self.external_url is not None:
            pytest.skip("needs a Redis the tests can stop and start (unset HELPDESK_TEST_REDIS_URL)")
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def running_redis(directory: Path) -> Iterator[RedisServer]:
    directory.mkdir(parents=True, exist_ok=True)
    if external := os.environ.get("HELPDESK_TEST_REDIS_URL"):
        import redis

        client = redis.Redis.from_url(external)
        client.flushdb()
        client.close()
        yield RedisServer(port=0, directory=directory, external_url=external)
        return
    server = RedisServer(port=free_port(), directory=directory)
    server.start()
    try:
        yield server
    finally:
        server.stop()
