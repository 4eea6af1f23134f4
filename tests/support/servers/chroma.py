"""A throwaway Chroma server (`chroma run`, shipped in the chromadb wheel) on a random loopback port, which a test
can stop, start again on the same data, or freeze.

`running_chroma(directory)` starts it with its data in `directory`, waits until its heartbeat answers and stops it
on exit. With HELPDESK_TEST_CHROMA_URL set, that server is used instead (its `kb_chunks` collection is deleted
before each test) and tests that need to stop or freeze the server are skipped. Without the `chroma` executable
the tests are skipped, saying so.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings
from chromadb.errors import NotFoundError

from tests.support.tcp import free_port

EXTERNAL_ENV = "HELPDESK_TEST_CHROMA_URL"
START_TIMEOUT_SECONDS = 30.0


@dataclass
class ChromaServer:
    url: str
    directory: Path | None = None  # None: an external server this process does not own
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None)

    @property
    def owned(self) -> bool:
        return self.directory is not None

    def require_owned(self) -> None:
        if not self.owned:
            pytest.skip(f"{EXTERNAL_ENV} names a server this test cannot stop or freeze")

    def start(self) -> None:
        assert self.directory is not None
        binary = _chroma_binary()
        log = (self.directory / "chroma.log").open("ab")
        # The server is Rust and sends no product telemetry; the variable is for any Python part that might.
        env = {**os.environ, "ANONYMIZED_TELEMETRY": "False", "NO_COLOR": "1"}
        self.process = subprocess.Popen(
            [binary, "run", "--path", str(self.directory / "data"), "--host", "127.0.0.1", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=self.directory,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(
                    f"chroma exited at start ({self.process.returncode}); see {self.directory / 'chroma.log'}",
                    pytrace=False,
                )
            if _answers(self.url):
                return
            time.sleep(0.05)
        self.stop()
        pytest.fail(f"chroma did not answer within {START_TIMEOUT_SECONDS:.0f} s", pytrace=False)

    def stop(self) -> None:
        """SIGTERM (a pod being stopped), SIGKILL if it lingers; the data on disk stays for `start`."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.resume()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def freeze(self) -> None:
        """SIGSTOP: the port still accepts connections but nothing answers, as with a hung server."""
        assert self.process is not None
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)


def _chroma_binary() -> str:
    beside_python = Path(sys.executable).parent / "chroma"  # the venv's, even when it is not on PATH
    binary = str(beside_python) if beside_python.exists() else shutil.which("chroma")
    if binary is None:
        pytest.skip("the `chroma` executable (from the chromadb wheel) is not installed: no Chroma server to test")
    return binary


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=0.5) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _empty_external(url: str) -> None:
    """Delete the knowledge collection on an external test server, so each test starts from nothing."""
    from knowledge.index import COLLECTION

    host, _, port = url.removeprefix("http://").rstrip("/").partition(":")
    client = chromadb.HttpClient(host=host, port=int(port or 8000), settings=Settings(anonymized_telemetry=False))
    with suppress(NotFoundError):
        client.delete_collection(COLLECTION)


@contextmanager
def running_chroma(directory: Path) -> Iterator[ChromaServer]:
    external = os.environ.get(EXTERNAL_ENV)
    if external:
        _empty_external(external)
        yield ChromaServer(url=external.rstrip("/"))
        return
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    server = ChromaServer(url=f"http://127.0.0.1:{port}", directory=directory, port=port)
    server.start()
    try:
        yield server
    finally:
        server.stop()
