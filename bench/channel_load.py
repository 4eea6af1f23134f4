"""What the chat-channel benchmarks share: the starter knowledge base, a bot on a TCP port, and the two loads.

"ack" is request → HTTP response; "reply" is request → the reply arriving at the platform stand-in (for the
burst, from the moment the burst started). Nothing here fails on timing.
"""

from __future__ import annotations

import os

# Before anything imports the model stack: nothing may phone home or download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import numpy as np
from aiohttp import web

from bot.ops.logging import configure_logging
from knowledge.calibrate import load_questions
from knowledge.embeddings import Encoder
from knowledge.index import KnowledgeIndex
from knowledge.loader import load_articles
from knowledge.paths import packaged_articles_dir

ROOT = Path(__file__).resolve().parent.parent
QUESTIONS = ROOT / "knowledge" / "eval" / "questions.jsonl"

Row = tuple[str, int, list[float], list[float]]


@dataclass(frozen=True, kw_only=True)
class ChannelUnderTest:
    """How a benchmark talks to one channel of the running bot.

    deliver: post person `number`'s message `text` (asserting the platform's success status); the monotonic
        time it was sent.
    reply_times: the monotonic arrival times of the bot's replies so far, oldest first.
    drain: wait until every acknowledged turn has finished.
    """

    deliver: Callable[[aiohttp.ClientSession, int, str], Awaitable[float]]
    reply_times: Callable[[], list[float]]
    drain: Callable[[float], Awaitable[None]]


def labelled_questions(count: int) -> list[str]:
    return [q.question for q in load_questions(QUESTIONS) if q.article_id][:count]


async def index_starter_articles(*, data_dir: Path, encoder: Encoder) -> None:
    index = KnowledgeIndex.open(directory=data_dir / "kb", encoder=encoder)
    await index.sync(articles=load_articles(directory=packaged_articles_dir()).articles)


async def serve(application: web.Application) -> tuple[web.AppRunner, str]:
    """The application on a random loopback TCP port, as in production; its base URL."""
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}"


async def measure(channel: ChannelUnderTest, *, texts: list[str], questions: int, burst: int) -> list[Row]:
    """A warm-up turn, then one person at a time, then everybody at once."""
    rows: list[Row] = []
    async with aiohttp.ClientSession() as session:
        await channel.deliver(session, 999_999, "hello")
        await channel.drain(60)  # warm-up: model, caches, first token checks

        acks, replies = [], []
        for number, text in enumerate(texts[:questions]):
            before = len(channel.reply_times())
            sent = await channel.deliver(session, number, text)
            acks.append(time.monotonic() - sent)
            await channel.drain(60)
            replies.append(channel.reply_times()[before] - sent)
        rows.append(("sequential", questions, acks, replies))

        start = len(channel.reply_times())
        ack_times: list[float] = []

        async def one(number: int) -> None:
            sent = await channel.deliver(session, 100_000 + number, texts[number])
            ack_times.append(time.monotonic() - sent)

        burst_started = time.monotonic()
        await asyncio.gather(*(one(n) for n in range(burst)))
        await channel.drain(300)
        rows.append(("burst", burst, ack_times, [at - burst_started for at in channel.reply_times()[start:]]))
    return rows


def print_table(rows: list[Row], *, unit: str) -> None:
    print(f"| load | {unit} | ack p50 ms | ack p95 ms | ack max ms | reply p50 ms | reply p95 ms | reply max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, count, ack, reply in rows:
        a, r = np.array(ack) * 1000, np.array(reply) * 1000
        print(
            f"| {name} | {count} | {np.percentile(a, 50):.1f} | {np.percentile(a, 95):.1f} | {a.max():.1f} | "
            f"{np.percentile(r, 50):.1f} | {np.percentile(r, 95):.1f} | {r.max():.1f} |"
        )
    print("\nburst reply times are measured from the moment the whole burst started.")


def command_line(run: Callable[[int, int], Coroutine[Any, Any, None]], *, description: str) -> None:
    """`--questions N --burst M`, then the benchmark with logging quietened (a line per turn would drown the
    table)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--burst", type=int, default=50)
    arguments = parser.parse_args()
    configure_logging(level="warning")
    asyncio.run(run(arguments.questions, arguments.burst))
