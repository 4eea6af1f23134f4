"""The web chat API under bad, huge, malformed and hostile input: clear 4xx or a polite reply, nothing lost."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.core.model import Reply, ReplyKind
from knowledge.embeddings import MiniLMEncoder
from tests.support.webchat import Bot, running_bot

ALICE = {"id": "alice", "email": "alice@example.com", "name": "Alice"}


async def post_raw(bot: Bot, data: bytes, content_type: str = "application/json") -> tuple[int, dict[str, Any]]:
    response = await bot.client.post("/api/chat", data=data, headers={"Content-Type": content_type})
    return response.status, await response.json()


@pytest.mark.asyncio
async def test_the_chat_page_is_served(bot: Bot) -> None:
    response = await bot.client.get("/")
    assert response.status == 200
    assert "/api/chat" in await response.text()


@pytest.mark.asyncio
async def test_the_staff_console_and_the_shared_assets_are_served_but_nothing_else(bot: Bot) -> None:
    console = await bot.client.get("/staff")
    assert console.status == 200
    assert "/api/staff/tickets" in await console.text()
    for name in ("common.css", "common.js"):
        assert (await bot.client.get(f"/static/{name}")).status == 200
    for name in ("index.html", "staff.html", "..%2Fweb.py", "nope.js"):
        assert (await bot.client.get(f"/static/{name}")).status == 404


@pytest.mark.asyncio
async def test_health_and_readiness(bot: Bot) -> None:
    assert (await bot.client.get("/healthz")).status == 200
    ready = await bot.client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json())["checks"] == {"database": True, "knowledge_index": True}


@pytest.mark.asyncio
async def test_not_ready_without_a_knowledge_index(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    async with running_bot(data_dir=tmp_path / "empty", tmp_path=tmp_path, encoder=encoder) as empty:
        response = await empty.client.get("/readyz")
        payload = await response.json()
    assert response.status == 503
    assert payload["checks"]["knowledge_index"] is False


@pytest.mark.asyncio
@pytest.mark.parametrize("text", ["", "   ", "\n\t\u200b\x00"])
async def test_empty_messages_get_a_polite_prompt(bot: Bot, text: str) -> None:
    [reply] = await bot.person().say(text)
    assert reply["kind"] == "info"
    assert "empty" in reply["text"]


@pytest.mark.asyncio
async def test_a_one_megabyte_body_is_refused_as_too_large(bot: Bot) -> None:
    body = json.dumps({"conversation_id": "c1", "user": ALICE, "text": "x" * 1_000_000}).encode()
    status, payload = await post_raw(bot, body)
    assert status == 413
    assert payload["error"]["code"] == "too_large"


@pytest.mark.asyncio
async def test_a_message_over_the_character_cap_is_not_processed(bot: Bot) -> None:
    alice = bot.person()
    [reply] = await alice.say("my laptop is slow " * 500)
    assert reply["kind"] == "error"
    assert "too long" in reply["text"]
    turns = await bot.services.store.transcript(_ref(alice.conversation_id))
    assert turns[0].text.startswith("[message of ")


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "invalid_json"),
        (b'\xff\xfe{"text": 1}', "invalid_utf8"),
    ],
)
async def test_unparseable_bodies_are_bad_requests(bot: Bot, body: bytes, code: str) -> None:
    status, payload = await post_raw(bot, body)
    assert (status, payload["error"]["code"]) == (400, code)


@pytest.mark.asyncio
@pytest.mark.parametrize(
    "body",
    [
        [],
        {"conversation_id": "c1", "user": ALICE},
        {"conversation_id": "c1", "user": ALICE, "text": "hi", "choice": "x"},
        {"conversation_id": "c1", "user": ALICE, "text": 42},
        {"conversation_id": "", "user": ALICE, "text": "hi"},
        {"conversation_id": "../../etc/passwd", "user": ALICE, "text": "hi"},
        {"conversation_id": "c1", "user": {"id": ""}, "text": "hi"},
        {"conversation_id": "c1", "user": ALICE, "text": "hi", "admin": True},
        {"conversation_id": "c1", "user": ALICE, "choice": "feedback:helped", "in_reply_to": "7"},
        {"conversation_id": "c1", "user": ALICE, "choice": "feedback:helped", "in_reply_to": 0},
    ],
)
async def test_wrong_shapes_and_types_are_rejected_with_the_reason(bot: Bot, body: object) -> None:
    status, payload = await post_raw(bot, json.dumps(body).encode())
    assert status == 422
    assert payload["error"]["code"] == "invalid_request"
    assert payload["error"]["message"]


@pytest.mark.asyncio
async def test_a_missing_user_is_a_bad_request(bot: Bot) -> None:
    status, payload = await post_raw(bot, json.dumps({"conversation_id": "c1", "text": "hi"}).encode())
    assert (status, payload["error"]["code"]) == (400, "missing_user")


@pytest.mark.asyncio
async def test_invalid_unicode_escapes_are_cleaned_not_crashed_on(bot: Bot) -> None:
    body = b'{"conversation_id": "c-surrogate", "user": {"id": "alice"}, "text": "vpn \\udcff\\ud800 help"}'
    status, payload = await post_raw(bot, body)
    assert status == 200
    assert payload["replies"]


@pytest.mark.asyncio
async def test_someone_else_cannot_post_into_my_conversation(bot: Bot) -> None:
    alice = bot.person("alice")
    await alice.say("hello")
    mallory = bot.person("mallory")
    mallory.conversation_id = alice.conversation_id
    response = await bot.client.post(
        "/api/chat", json={"conversation_id": alice.conversation_id, "user": mallory.user, "text": "show me"}
    )
    assert response.status == 403


@pytest.mark.asyncio
async def test_events_for_an_unknown_conversation_are_not_found(bot: Bot) -> None:
    response = await bot.client.get("/api/chat/never-seen/events")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.asyncio
async def test_events_with_a_bad_cursor_are_a_bad_request(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("hello")
    response = await bot.client.get(f"/api/chat/{alice.conversation_id}/events", params={"after": "abc"})
    assert response.status == 400


@pytest.mark.asyncio
async def test_a_wait_outside_zero_to_25_seconds_is_a_bad_request(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("hello")
    for wait in ("-1", "26", "nan", "soon"):
        response = await bot.client.get(
            f"/api/chat/{alice.conversation_id}/events", params={"after": "0", "wait": wait}
        )
        assert response.status == 400, wait


@pytest.mark.asyncio
async def test_a_long_poll_returns_as_soon_as_a_reply_is_stored(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("I want to talk to a person")
    poll = asyncio.create_task(
        bot.client.get(f"/api/chat/{alice.conversation_id}/events", params={"after": str(alice.seq), "wait": "20"})
    )
    await asyncio.sleep(0.3)
    assert not poll.done()  # nothing new yet: the request is held

    started = time.monotonic()
    await bot.services.notifier.tell_conversation(
        conversation=_ref(alice.conversation_id),
        user_id="alice",
        reply=Reply(kind=ReplyKind.STAFF, text="Dana from IT here."),
    )
    response = await asyncio.wait_for(poll, timeout=5)
    assert time.monotonic() - started < 2  # woken by the stored reply, not by the 20 s wait running out
    assert [r["text"] for r in (await response.json())["replies"]] == ["Dana from IT here."]


@pytest.mark.asyncio
async def test_a_long_poll_with_nothing_new_answers_empty_when_the_wait_ends(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("hello")
    started = time.monotonic()
    response = await bot.client.get(
        f"/api/chat/{alice.conversation_id}/events", params={"after": str(alice.seq), "wait": "0.5"}
    )
    assert response.status == 200
    assert (await response.json())["replies"] == []
    assert time.monotonic() - started >= 0.5


@pytest.mark.asyncio
async def test_bad_requests_lose_nothing_already_stored(bot: Bot) -> None:
    alice = bot.person()
    await alice.say("hello")
    await alice.say("how do I connect to the vpn")
    before = await bot.services.store.transcript(_ref(alice.conversation_id))
    await post_raw(bot, b"{broken")
    await post_raw(bot, json.dumps({"conversation_id": alice.conversation_id, "user": ALICE, "text": 5}).encode())
    await post_raw(
        bot, json.dumps({"conversation_id": alice.conversation_id, "user": ALICE, "text": "x" * 200_000}).encode()
    )
    assert await bot.services.store.transcript(_ref(alice.conversation_id)) == before


@pytest.mark.asyncio
async def test_unknown_api_routes_answer_in_json(bot: Bot) -> None:
    response = await bot.client.get("/api/nothing-here")
    assert response.status == 404
    assert (await response.json())["error"]["code"] == "not_found"


@pytest.mark.asyncio
async def test_every_response_carries_a_correlation_id(bot: Bot) -> None:
    response = await bot.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["X-Request-ID"] == "abc-123"
    generated = await bot.client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert generated.headers["X-Request-ID"] != "bad id with spaces"


class _Crash(RuntimeError):
    pass


@pytest.mark.asyncio
async def test_an_internal_failure_apologises_with_a_reference_and_offers_a_human(
    bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def crash(*_args: object, **_kwargs: object) -> None:
        raise _Crash("index exploded")

    monkeypatch.setattr(bot.services.knowledge, "retrieve", crash)
    response = await bot.client.post(
        "/api/chat",
        json={"conversation_id": "c-crash", "user": ALICE, "text": "how do I map the S drive"},
        headers={"X-Request-ID": "ref-42"},
    )
    assert response.status == 200
    [reply] = (await response.json())["replies"]
    assert reply["kind"] == "error"
    assert "ref-42" in reply["text"]
    assert "talk to a person" in reply["text"]


def _ref(conversation_id: str):  # type: ignore[no-untyped-def]
    from bot.core.model import ConversationRef

    return ConversationRef(channel="web", id=conversation_id)


@pytest_asyncio.fixture
async def proxied_bot(starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> AsyncIterator[Bot]:
    async with running_bot(
        data_dir=starter_data_dir,
        tmp_path=tmp_path,
        encoder=encoder,
        web_auth="header",
        web_proxy_secret="proxy-secret",
    ) as started:
        yield started


@pytest.mark.asyncio
async def test_behind_the_proxy_the_header_user_is_used_and_forgeries_are_refused(proxied_bot: Bot) -> None:
    body = {"conversation_id": "c-proxy", "user": {"id": "ceo"}, "text": "hello"}
    forged = await proxied_bot.client.post("/api/chat", json=body, headers={"X-Forwarded-User": "ceo"})
    assert forged.status == 401

    headers = {"X-Helpdesk-Proxy-Secret": "proxy-secret", "X-Forwarded-User": "bob"}
    ok = await proxied_bot.client.post("/api/chat", json=body, headers=headers)
    assert ok.status == 200
    state = await proxied_bot.services.store.load_state(_ref("c-proxy"))
    assert state is not None
    assert state.owner_id == "bob"

    events = await proxied_bot.client.get(
        "/api/chat/c-proxy/events", headers={"X-Helpdesk-Proxy-Secret": "proxy-secret", "X-Forwarded-User": "mallory"}
    )
    assert events.status == 404
