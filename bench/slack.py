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

import json
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.channel_load import (
    ChannelUnderTest,
    command_line,
    index_starter_articles,
    labelled_questions,
    measure,
    print_table,
    serve,
)
from bot.app import build_services, create_web_app
from bot.channels.slack.channel import SLACK_CHANNEL
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.slack_api import FakeSlack
from tests.support.settings import settings_from
from tests.support.slackchat import SIGNING_SECRET, next_ts, sign


def envelope(*, user: str, text: str, ts: str, number: int) -> bytes:
    return json.dumps(
        {
            "type": "event_callback",
            "team_id": "T0001",
            "event_id": f"EvBENCH{number:06d}",
            "event": {
                "type": "message",
                "channel_type": "im",
                "channel": f"D{user}",
                "user": user,
                "text": text,
                "ts": ts,
            },
        }
    ).encode()


async def run(questions: int, burst: int) -> None:
    encoder = MiniLMEncoder()
    texts = labelled_questions(max(questions, burst))
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        await index_starter_articles(data_dir=data_dir, encoder=encoder)
        api = FakeSlack()
        await api.start()
        for number in [*range(max(questions, burst)), *range(100_000, 100_000 + burst), 999_999]:
            api.add_user(f"UB{number:06d}", email=f"person{number}@example.com", real_name=f"Person {number}")
        settings = settings_from(
            data_dir=data_dir,
            slack_bot_token=api.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=api.api_url,
        )
        services = await build_services(settings, encoder=encoder)
        application = create_web_app(services)
        runner, base_url = await serve(application)
        turns = application[SLACK_CHANNEL].turns

        async def deliver(session: aiohttp.ClientSession, number: int, text: str) -> float:
            body = envelope(user=f"UB{number:06d}", text=text, ts=next_ts(), number=number)
            sent = time.monotonic()
            async with session.post(
                f"{base_url}/slack/events", data=body, headers={**sign(body), "Content-Type": "application/json"}
            ) as response:
                assert response.status == 200, await response.text()
            return sent

        slack = ChannelUnderTest(
            deliver=deliver,
            drain=lambda timeout: turns.drain(timeout=timeout),
            reply_times=lambda: [call.at for call in api.calls_to("chat.postMessage")],
        )
        rows = await measure(slack, texts=texts, questions=questions, burst=burst)
        await runner.cleanup()
        await services.close()
        await api.close()
    print_table(rows, unit="events")


if __name__ == "__main__":
    command_line(run, description=__doc__ or "")
