"""Teams channel benchmark: how fast /api/messages acknowledges, and how long until the reply reaches Teams.

Usage:
    python bench/teams.py [--questions 100] [--burst 50]

The bot runs as in production (aiohttp on a TCP port, the Microsoft 365 Agents SDK, real SQLite, starter
knowledge base) with TEAMS_APP_ID set, so every activity's JWT is verified (RS256 signature, audience, issuer,
serviceUrl). It talks to the local Bot Framework connector stand-in from tests/fakes, which also signs the
activities. Labelled questions from knowledge/eval/questions.jsonl arrive as personal-chat messages from
different people. "ack" is request → HTTP 202; "reply" is request → the answer's POST arriving at the
connector. Prints a Markdown table; never fails on timing.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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
from bot.channels.teams.channel import TEAMS_CHANNEL
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.bot_connector import FakeBotConnector
from tests.support.settings import settings_from
from tests.support.teamschat import APP_PASSWORD, BOT_ID, TENANT, static_connections

_ids = itertools.count(1)


def message(*, connector: FakeBotConnector, number: int, text: str) -> dict[str, Any]:
    person = f"29:bench-{number}"
    return {
        "type": "message",
        "id": f"bench-{next(_ids)}",
        "serviceUrl": connector.service_url,
        "channelId": "msteams",
        "from": {"id": person, "aadObjectId": f"aad-{number}"},
        "recipient": {"id": BOT_ID},
        "conversation": {"id": f"a:{number}", "conversationType": "personal"},
        "channelData": {"tenant": {"id": TENANT}},
        "text": text,
    }


async def run(questions: int, burst: int) -> None:
    encoder = MiniLMEncoder()
    texts = labelled_questions(max(questions, burst))
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch)
        await index_starter_articles(data_dir=data_dir, encoder=encoder)
        connector = FakeBotConnector()
        await connector.start()
        connector.trust_keys()
        for number in [*range(max(questions, burst)), *range(100_000, 100_000 + burst), 999_999]:
            connector.add_member(
                f"29:bench-{number}",
                aad_object_id=f"aad-{number}",
                name=f"Person {number}",
                email=f"person{number}@example.com",
            )
        settings = settings_from(
            data_dir=data_dir, teams_app_id=connector.app_id, teams_app_password=APP_PASSWORD, teams_tenant_id=TENANT
        )
        services = await build_services(settings, encoder=encoder)
        application = create_web_app(services, teams_connections=static_connections(connector))
        runner, base_url = await serve(application)
        turns = application[TEAMS_CHANNEL].turns
        token = connector.channel_token()  # the Bot Framework reuses a token until it nears expiry

        async def deliver(session: aiohttp.ClientSession, number: int, text: str) -> float:
            sent = time.monotonic()
            async with session.post(
                f"{base_url}/api/messages",
                json=message(connector=connector, number=number, text=text),
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                assert response.status == 202, await response.text()
            return sent

        teams = ChannelUnderTest(
            deliver=deliver,
            drain=lambda timeout: turns.drain(timeout=timeout),
            reply_times=lambda: [call.at for call in connector.posted()],
        )
        rows = await measure(teams, texts=texts, questions=questions, burst=burst)
        await runner.cleanup()
        await services.close()
        await connector.close()
    print_table(rows, unit="activities")


if __name__ == "__main__":
    command_line(run, description=__doc__ or "")
