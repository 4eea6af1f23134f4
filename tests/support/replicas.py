"""Several real bot processes (`helpdesk-bot run`) sharing one database and one Redis, as replicas behind a load
balancer would; used by the two-replica tests and the load benchmark.

Each replica gets its own copy of an indexed data directory (what a pod's volume holds), its own port and log
file; they share HELPDESK_DATABASE_URL and HELPDESK_REDIS_URL. Start-up waits for /readyz; shutdown is SIGTERM
(the graceful path a pod gets), then SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp

from tests.support.tcp import free_port

START_TIMEOUT_SECONDS = 180.0  # two replicas load the model at once on a 2-core machine
STOP_GRACE_SECONDS = 15.0


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log_path: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    @property
    def alive(self) -> bool:
        return self.process.poll() is None


def start_replica(name: str, *, data_dir: Path, work_dir: Path, env: Mapping[str, str]) -> Replica:
    """Launch one bot process on a free port with its own copy of `data_dir` (its index and trained models)."""
    own_data = work_dir / name / "data"
    shutil.copytree(data_dir, own_data, dirs_exist_ok=True)
    port = free_port()
    log_path = work_dir / name / "bot.log"
    environment = {
        **os.environ,
        **env,
        "HELPDESK_DATA_DIR": str(own_data),
        "HELPDESK_HOST": "127.0.0.1",
        "HELPDESK_PORT": str(port),
        "HF_HUB_OFFLINE": "1",
        "ORT_DISABLE_TELEMETRY": "1",
        "TOKENIZERS_PARALLELISM": "false",
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=work_dir / name,
        )
    return Replica(name=name, port=port, process=process, log_path=log_path)


async def wait_until_ready(replica: Replica, *, timeout: float = START_TIMEOUT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline:
            if not replica.alive:
                raise RuntimeError(f"replica {replica.name} exited at start:\n{replica.log_tail()}")
            try:
                async with session.get(f"{replica.url}/readyz", timeout=aiohttp.ClientTimeout(total=2)) as answer:
                    if answer.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError):
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"replica {replica.name} not ready within {timeout:.0f} s:\n{replica.log_tail()}")


def stop_replica(replica: Replica) -> None:
    if not replica.alive:
        return
    replica.process.send_signal(signal.SIGTERM)
    try:
        replica.process.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        replica.process.kill()
        replica.process.wait(timeout=10)


@asynccontextmanager
async def running_replicas(
    count: int, *, data_dir: Path, work_dir: Path, env: Mapping[str, str]
) -> AsyncIterator[list[Replica]]:
    """`count` replicas started together and ready; all stopped afterwards, whatever happened."""
    replicas: list[Replica] = []
    try:
        for number in range(count):
            replicas.append(
                start_replica(f"replica-{'abcdefgh'[number]}", data_dir=data_dir, work_dir=work_dir, env=env)
            )
        await asyncio.gather(*(wait_until_ready(replica) for replica in replicas))
        yield replicas
    finally:
        for replica in replicas:
            stop_replica(replica)
