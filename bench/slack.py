"""Slack channel benchmark: how fast /slack/events acknowledges, and how long until the reply is posted.

Usage:
    python bench/slack.py [--questions 100] [--burst 50]

The bot runs as in production (aiohttp on a TCP port, real slack-bolt, real SQLite, starter knowledge base)
and talks to the local Slack Web API stand-in from tests/fakes. Signed Events API requests carry labelled
questions from knowledge/eval/questions.jsonl as direct messages. "ack" is request → HTTP 200 (Slack's limit is
3 s); "reply" is request → chat.postMessage arriving at the stand-in. Prints a Markdown table; never fails
on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import numpy as np
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_services, create_web_app  # noqa: E402
from bot.channels.slack.channel import SLACK_CHANNEL  # noqa: E402
from bot.logging import configure_logging  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge.calibrate import load_questions  # noqa: E402
from knowledge.embeddings import MiniLMEncoder  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.loader import load_articles  # noqa: E402
from knowledge.paths import default_articles_dir  # noqa: E402
from tests.fakes.slack_api import FakeSlack  # noqa: E402
from tests.slackchat import SIGNING_SECRET, next_ts, sign  # noqa: E402

QUESTIONS = ROOT / "knowledge" / "eval" / "questions.jsonl"


def envelope(*, user: str, text: str, ts: str, number: int) -> bytes:
    return json.dumps({"type": "event_callback", "team_id": "T0001", "event_id": f"EvBENCH{number:06d}",
                       "event": {"type": "message", "channel_type": "im", "channel": f"D{user}", "user": user,
                                 "text": text, "ts": ts}}).encode()


async def deliver(session: aiohttp.ClientSession, url: str, body: bytes) -> float:
    """Post one signed event; the monotonic time it was sent. Fails loudly on anything but 200."""
    sent = time.monotonic()
    async with session.post(url, data=body, headers={**sign(body), "Content-Type": "application/json"}) as response:
        assert response.status == 200, await response.text()
    return sent


async def run(questions: int, burst: int) -> None:
    configure_logging(level="warning")  # one log line per turn would drown the table
    encoder = MiniLMEncoder()
    texts = [q.question for q in load_questions(QUESTIONS) if q.article_id][: max(questions, burst)]
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        index = KnowledgeIndex.open(directory=data_dir / "kb", encoder=encoder)
        await index.sync(articles=load_articles(directory=default_articles_dir()).articles)
        api = FakeSlack()
        await api.start()
        for number in range(max(questions, burst)):
            api.add_user(f"UB{number:04d}", email=f"person{number}@example.com", real_name=f"Person {number}")
        settings = Settings(data_dir=data_dir, slack_bot_token=api.bot_token,  # type: ignore[arg-type]
                            slack_signing_secret=SIGNING_SECRET, slack_api_url=api.api_url)  # type: ignore[arg-type]
        services = await build_services(settings, encoder=encoder)
        application = create_web_app(services)
        runner = web.AppRunner(application)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        url = f"http://127.0.0.1:{port}/slack/events"
        channel = application[SLACK_CHANNEL]
        rows = []
        async with aiohttp.ClientSession() as session:
            await deliver(session, url, envelope(user="UB0000", text="hello", ts=next_ts(), number=999_999))
            await channel.turns.drain(timeout=60)  # warm-up: bolt's auth.test, model, caches

            # One person at a time: each question waits for its reply before the next.
            acks, replies = [], []
            for number, text in enumerate(texts[:questions]):
                ts = next_ts()
                posted_before = len(api.calls_to("chat.postMessage"))
                sent = await deliver(session, url, envelope(user=f"UB{number:04d}", text=text, ts=ts, number=number))
                acks.append(time.monotonic() - sent)
                await channel.turns.drain(timeout=60)
                reply = api.calls_to("chat.postMessage")[posted_before]
                replies.append(reply.at - sent)
            rows.append(("sequential", questions, acks, replies))

            # A burst: everybody writes at once; acknowledgements must not wait for the turns.
            start = len(api.calls_to("chat.postMessage"))
            bodies = [envelope(user=f"UB{n:04d}", text=texts[n], ts=next_ts(), number=100_000 + n)
                      for n in range(burst)]
            ack_times: list[float] = []

            async def one(body: bytes) -> None:
                sent = await deliver(session, url, body)
                ack_times.append(time.monotonic() - sent)

            burst_started = time.monotonic()
            await asyncio.gather(*(one(body) for body in bodies))
            await channel.turns.drain(timeout=300)
            posted = api.calls_to("chat.postMessage")[start:]
            rows.append(("burst", burst, ack_times, [call.at - burst_started for call in posted]))
        await runner.cleanup()
        await services.close()
        await api.close()

    print("| load | events | ack p50 ms | ack p95 ms | ack max ms | reply p50 ms | reply p95 ms | reply max ms |")
    print("|---|---|---|---|---|---|---|---|")
    for name, count, ack, reply in rows:
        a, r = np.array(ack) * 1000, np.array(reply) * 1000
        print(f"| {name} | {count} | {np.percentile(a, 50):.1f} | {np.percentile(a, 95):.1f} | {a.max():.1f} | "
              f"{np.percentile(r, 50):.1f} | {np.percentile(r, 95):.1f} | {r.max():.1f} |")
    print("\nburst reply times are measured from the moment the whole burst started.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--burst", type=int, default=50)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.questions, arguments.burst))


if __name__ == "__main__":
    main()
