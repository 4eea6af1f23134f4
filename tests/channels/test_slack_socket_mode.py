"""Socket Mode: with an app-level token the bot connects out to Slack and needs no public address."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from knowledge.embeddings import MiniLMEncoder
from tests.fakes.slack_api import FakeSlack
from tests.support.slackchat import Workspace, next_ts, section_text
from tests.support.webchat import running_bot

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def socket_slack(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Workspace]:
    api = FakeSlack()
    await api.start()
    try:
        async with running_bot(
            data_dir=starter_data_dir,
            tmp_path=tmp_path,
            encoder=encoder,
            slack_bot_token=api.bot_token,
            slack_app_token=api.app_token,
            slack_api_url=api.api_url,
        ) as bot:
            await api.wait_connected()
            yield Workspace(bot=bot, api=api)
    finally:
        await api.close()


async def test_a_direct_message_over_socket_mode_is_acknowledged_and_answered(socket_slack: Workspace) -> None:
    slack = socket_slack
    slack.person("UANA")
    ts = next_ts()
    envelope = {
        "type": "event_callback",
        "team_id": slack.team_id,
        "event_id": f"Ev{uuid.uuid4().hex[:8]}",
        "event_time": int(time.time()),
        "event": {
            "type": "message",
            "channel_type": "im",
            "channel": "DUANA",
            "user": "UANA",
            "text": "how do I connect to the VPN?",
            "ts": ts,
        },
    }
    ack = await slack.api.send_envelope("events_api", envelope)
    assert "envelope_id" in ack
    await slack.settle()
    [answer] = slack.thread("DUANA", ts)
    assert "Sources" in section_text(answer)
    assert slack.api.calls_to("apps.connections.open")  # with the app-level token, not the bot token


async def test_without_a_signing_secret_there_is_no_http_endpoint_to_forge(socket_slack: Workspace) -> None:
    response = await socket_slack.bot.client.post("/slack/events", data=b"{}")
    assert response.status == 404
