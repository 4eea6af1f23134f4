"""Two real bot processes behind an imaginary load balancer, sharing one database and one Redis.

What must hold when requests land on either replica: a Slack event and its retries are answered once; two
messages of one conversation are handled one after the other, in order; a staff reply written on one replica
reaches a person polling the other; and Redis dying mid-run loses no ticket and needs no restart.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from bot.store.sql.schema import turns
from tests.fakes.slack_api import FakeSlack
from tests.support.replicas import Replica, running_replicas
from tests.support.servers.postgres import PostgresServer
from tests.support.servers.redis import RedisServer, running_redis
from tests.support.slackchat import SIGNING_SECRET, next_ts, sign
from tests.support.staffapi import STAFF_TOKEN

pytestmark = [pytest.mark.slow, pytest.mark.postgresql, pytest.mark.asyncio(loop_scope="module")]


@dataclass
class Cluster:
    """What the tests talk to: the replicas, the Slack stand-in they both post to, and the shared servers."""

    replicas: list[Replica]
    slack: FakeSlack
    redis: RedisServer
    database_url: str
    http: aiohttp.ClientSession

    @property
    def a(self) -> Replica:
        return self.replicas[0]

    @property
    def b(self) -> Replica:
        return self.replicas[1]

    async def slack_event(self, replica: Replica, event: dict[str, Any], *, event_id: str, retry: int = 0) -> int:
        """Post a signed Events API envelope to one replica, as Slack (or its retry) would; the HTTP status."""
        envelope = {
            "token": "legacy",
            "team_id": self.slack.team_id,
            "api_app_id": "A1",
            "type": "event_callback",
            "event": event,
            "event_id": event_id,
            "event_time": int(time.time()),
            "authorizations": [{"team_id": self.slack.team_id, "user_id": self.slack.bot_user_id, "is_bot": True}],
        }
        body = json.dumps(envelope).encode()
        headers = {**sign(body), "Content-Type": "application/json"}
        if retry:
            headers |= {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"}
        async with self.http.post(f"{replica.url}/slack/events", data=body, headers=headers) as answer:
            return answer.status

    def posts_to(self, channel: str) -> list[dict[str, Any]]:
        return [
            call.args
            for call in self.slack.calls_to("chat.postMessage")
            if call.args.get("channel") == channel and call.error is None
        ]

    async def wait_for_posts(self, channel: str, count: int, *, timeout: float = 60) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(self.posts_to(channel)) < count and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        return self.posts_to(channel)

    async def wait_for_turn(self, conversation_prefix: str, text: str, *, timeout: float = 30) -> None:
        """Wait until a person's message with `text` is stored (its turn has begun)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ("user", text) in await self.transcript_roles(conversation_prefix):
                return
            await asyncio.sleep(0.1)
        raise AssertionError(f"{text!r} was never handled")

    async def transcript_roles(self, conversation_prefix: str) -> list[tuple[str, str]]:
        """(role, text) of every stored turn of the conversations whose key starts with the prefix, in order."""
        engine = create_async_engine(self.database_url)
        try:
            async with engine.connect() as conn:
                rows = (
                    await conn.execute(
                        sa.select(turns.c.role, turns.c.text)
                        .where(turns.c.conversation_key.startswith(conversation_prefix))
                        .order_by(turns.c.id)
                    )
                ).all()
        finally:
            await engine.dispose()
        return [(row.role, row.text) for row in rows]


def dm_event(user: str, text: str, *, thread_ts: str | None = None) -> dict[str, Any]:
    """A direct message to the bot; each top-level message starts a conversation (a thread) of its own."""
    ts = next_ts()
    return {
        "type": "message",
        "channel_type": "im",
        "channel": f"D{user}",
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        **({"thread_ts": thread_ts} if thread_ts else {}),
    }


@pytest.fixture(scope="module")
def shared_database_url(postgres: PostgresServer) -> Iterator[str]:
    """An empty PostgreSQL database: both replicas migrate it at start, as pods starting together would."""
    with postgres.fresh_database() as url:
        yield url


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    with running_redis(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def cluster(
    starter_data_dir: Path,
    redis_server: RedisServer,
    shared_database_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> AsyncIterator[Cluster]:
    slack = FakeSlack()
    await slack.start()
    for user in ("UANA", "UBEN", "UCARA", "UDAN"):
        slack.add_user(user, email=f"{user[1:].lower()}@example.com", real_name=user[1:].title())
    env = {
        "HELPDESK_DATABASE_URL": shared_database_url,
        "HELPDESK_REDIS_URL": redis_server.url,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "HELPDESK_STAFF_TOKEN": STAFF_TOKEN,
        "HELPDESK_SLACK_PROGRESS_REACTION": "",
        "HELPDESK_LOG_LEVEL": "info",
    }
    async with (
        running_replicas(
            2, data_dir=starter_data_dir, work_dir=tmp_path_factory.mktemp("replicas"), env=env
        ) as replicas,
        aiohttp.ClientSession() as http,
    ):
        yield Cluster(replicas=replicas, slack=slack, redis=redis_server, database_url=shared_database_url, http=http)
        for replica in replicas:
            assert replica.alive, f"{replica.name} died during the tests:\n{replica.log_tail()}"
    await slack.close()


async def test_slack_events_and_their_retries_on_alternating_replicas_are_answered_once(cluster: Cluster) -> None:
    questions = [
        "How do I connect to the VPN?",
        "My printer says it is offline",
        "How do I reset my password?",
        "Outlook keeps asking for my password",
    ]
    for number, question in enumerate(questions):
        event, event_id = dm_event("UANA", question), f"EvRetry{number}{uuid.uuid4().hex[:6]}"
        first, second = (cluster.a, cluster.b) if number % 2 == 0 else (cluster.b, cluster.a)
        # Slack gave up waiting for the first delivery and retries; the retries land on the other replica.
        statuses = await asyncio.gather(
            cluster.slack_event(first, event, event_id=event_id),
            cluster.slack_event(second, event, event_id=event_id, retry=1),
            cluster.slack_event(first, event, event_id=event_id, retry=2),
        )
        assert list(statuses) == [200, 200, 200]  # gather is typed as returning a tuple, but returns a list

    posts = await cluster.wait_for_posts("DUANA", len(questions))
    await asyncio.sleep(1.0)  # a duplicate turn would post shortly after the first
    posts = cluster.posts_to("DUANA")
    user_turns = [
        text for role, text in await cluster.transcript_roles("slack:") if role == "user" and text in questions
    ]
    assert sorted(user_turns) == sorted(questions)  # each question handled once, wherever it landed
    assert len(posts) == len(questions), [p.get("text") for p in posts]


async def test_two_messages_of_one_conversation_on_both_replicas_are_handled_in_order(cluster: Cluster) -> None:
    first = dm_event("UBEN", "My laptop will not connect to the wifi")
    second = dm_event("UBEN", "It is a Dell XPS", thread_ts=first["ts"])  # a follow-up in the same thread
    conversation = f"slack:T0001:DUBEN:{first['ts']}"
    slack_is_slow = cluster.slack.hold("chat.postMessage")  # the first turn stalls while posting its answer
    try:
        assert await cluster.slack_event(cluster.a, first, event_id=f"EvOrder1{uuid.uuid4().hex[:6]}") == 200
        await cluster.wait_for_turn(conversation, first["text"])
        assert await cluster.slack_event(cluster.b, second, event_id=f"EvOrder2{uuid.uuid4().hex[:6]}") == 200
        await asyncio.sleep(1.0)
        # Replica B has the second message but waits: the first is still being answered on replica A.
        assert [text for role, text in await cluster.transcript_roles(conversation) if role == "user"] == [
            first["text"]
        ]
    finally:
        slack_is_slow.set()
    await cluster.wait_for_posts("DUBEN", 2)
    await cluster.wait_for_turn(conversation, second["text"])
    await asyncio.sleep(0.5)

    roles = await cluster.transcript_roles(conversation)
    user_positions = [index for index, (role, _) in enumerate(roles) if role == "user"]
    assert [roles[i][1] for i in user_positions] == [first["text"], second["text"]]
    assert roles[user_positions[0] + 1][0] != "user", roles  # the first was answered before the second began


async def test_a_staff_reply_made_on_one_replica_reaches_a_web_user_polling_the_other(cluster: Cluster) -> None:
    conversation = f"conv-{uuid.uuid4().hex[:10]}"
    cara = {"id": "cara", "email": "cara@example.com", "name": "Cara"}

    async def say_on_b(body: dict[str, Any]) -> dict[str, Any]:
        async with cluster.http.post(
            f"{cluster.b.url}/api/chat", json={"conversation_id": conversation, "user": cara, **body}
        ) as answer:
            assert answer.status == 200, await answer.text()
            return dict(await answer.json())

    handed_off = await say_on_b({"text": "I want to talk to a person"})
    [ticket_id] = [r["handoff_id"] for r in handed_off["replies"] if r.get("handoff_id")]
    cursor = handed_off["seq"]

    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}

    async def staff_on_a(step: str, body: dict[str, Any] | None = None) -> None:
        async with cluster.http.post(
            f"{cluster.a.url}/api/staff/tickets/{ticket_id}/{step}", headers=staff, json=body
        ) as answer:
            assert answer.status in (200, 201), await answer.text()

    async def poll_on_b(wait: float) -> dict[str, Any]:
        async with cluster.http.get(
            f"{cluster.b.url}/api/chat/{conversation}/events", params={"after": str(cursor), "wait": str(wait)}
        ) as answer:
            return dict(await answer.json())

    await staff_on_a("claim")
    cursor = (await poll_on_b(0))["seq"]  # past any notice the claim sent
    waiting = asyncio.create_task(poll_on_b(20))
    await asyncio.sleep(0.5)
    assert not waiting.done()  # Cara's page is waiting on replica B

    written = time.monotonic()
    await staff_on_a("messages", {"text": "Hi Cara, which monitor model is it?"})
    later = await asyncio.wait_for(waiting, timeout=25)
    assert [r["text"] for r in later["replies"]] == ["Hi Cara, which monitor model is it?"]
    assert time.monotonic() - written < 5  # woken through Redis, not by the 20 s wait running out


async def test_redis_dying_mid_run_loses_no_ticket_and_the_replicas_recover_without_restart(cluster: Cluster) -> None:
    cluster.redis.stop()
    try:
        # Questions still get answers, and a hand-off still reaches the queue, on either replica.
        assert (
            await cluster.slack_event(
                cluster.a, dm_event("UDAN", "How do I connect to the VPN?"), event_id=f"EvDown1{uuid.uuid4().hex[:6]}"
            )
            == 200
        )
        assert (
            await cluster.slack_event(
                cluster.b, dm_event("UDAN", "I want to talk to a person"), event_id=f"EvDown2{uuid.uuid4().hex[:6]}"
            )
            == 200
        )
        await cluster.wait_for_posts("DUDAN", 2)
    finally:
        cluster.redis.start()

    staff = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    async with cluster.http.get(f"{cluster.a.url}/api/staff/tickets?status=active", headers=staff) as answer:
        tickets = [t for t in (await answer.json())["tickets"] if t["requester"].get("email") == "dan@example.com"]
    assert len(tickets) == 1, tickets

    # Back to normal without a restart: a retry landing on the other replica is answered once again.
    before = len(cluster.posts_to("DUDAN"))
    event, event_id = dm_event("UDAN", "How do I set up my printer?"), f"EvBack{uuid.uuid4().hex[:6]}"
    await asyncio.gather(
        cluster.slack_event(cluster.a, event, event_id=event_id),
        cluster.slack_event(cluster.b, event, event_id=event_id, retry=1),
    )
    await cluster.wait_for_posts("DUDAN", before + 1)
    await asyncio.sleep(1.0)
    assert len(cluster.posts_to("DUDAN")) == before + 1
    assert all(replica.alive for replica in cluster.replicas)
