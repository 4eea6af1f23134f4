"""A local stand-in for the Slack Web API (and Socket Mode) that the real slack_sdk client talks to.

It models what the bot uses: auth.test, users.info, chat.postMessage / postEphemeral / update, reactions.add /
remove, conversations.open, views.open, apps.connections.open and its websocket, and interactivity response URLs.
Like Slack it answers HTTP 200 with `{"ok": false, "error": …}` for a missing token (`not_authed`), an unknown one
(`invalid_auth`), the wrong kind of token (`not_allowed_token_type`), missing arguments, invalid blocks or views,
a message that is not there to update, and a trigger id that was never issued, has expired (3 s) or was already
used; and HTTP 429 with `Retry-After` when rate limited. Arguments arrive as JSON, form fields or query
parameters depending on the method, exactly as slack_sdk sends them.

Interactions are Slack's to create: `new_trigger` issues the trigger id a click carries, and `submission` builds
the `view_submission` payload of an opened view as Slack's client would (refusing an empty required field, which
the client does not let anyone submit).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.fakes.local_server import LocalServer

APP_TOKEN_METHODS = {"apps.connections.open"}
TRIGGER_SECONDS = 3.0  # a trigger id can open a view this long after the interaction, once


@dataclass
class SlackCall:
    """One Web API call that got past authentication: its arguments, what was answered, or the error given."""

    method: str
    args: dict[str, Any]
    response: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    at: float = field(default_factory=time.monotonic)  # when it arrived (benchmarks measure reply latency)


@dataclass
class FakeSlack:
    bot_token: str = "xoxb-test-token"
    app_token: str = "xapp-1-test-token"
    team_id: str = "T0001"
    bot_user_id: str = "UBOT"
    bot_id: str = "BBOT"
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[SlackCall] = field(default_factory=list)
    missing_channels: set[str] = field(default_factory=set)
    channels_without_bot: set[str] = field(default_factory=set)
    _failures: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    _holds: dict[str, asyncio.Event] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) → as it is now
    views: dict[str, dict[str, Any]] = field(default_factory=dict)  # opened views by id, with the "user" they are for
    _triggers: dict[str, tuple[str, float]] = field(default_factory=dict)  # trigger id → (user, issued at)
    _ts: itertools.count[int] = field(default_factory=lambda: itertools.count(1_700_000_000_000_100, 100))
    _socket: web.WebSocketResponse | None = None
    _acks: dict[str, asyncio.Future[dict[str, Any]]] = field(default_factory=dict)
    _server: LocalServer = field(default_factory=LocalServer)

    # ---- lifecycle and test helpers ----------------------------------------------------------------------------

    async def start(self) -> str:
        application = web.Application()
        application.router.add_route("*", "/api/{method}", self._api)
        application.router.add_post("/response/{token}", self._response_url)
        application.router.add_get("/link/", self._websocket)
        return await self._server.serve(application)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()
        await self._server.close()

    @property
    def api_url(self) -> str:
        return f"{self._server.base_url}/api/"

    def response_url(self, token: str) -> str:
        return f"{self._server.base_url}/response/{token}"

    def add_user(self, user_id: str, *, email: str | None, real_name: str, deleted: bool = False) -> None:
        profile: dict[str, Any] = {"real_name": real_name, "display_name": real_name.split()[0]}
        if email is not None:  # absent, as Slack leaves it, without users:read.email or on profiles without one
            profile["email"] = email
        self.users[user_id] = {
            "id": user_id,
            "team_id": self.team_id,
            "name": user_id.lower(),
            "real_name": real_name,
            "deleted": deleted,
            "is_bot": False,
            "profile": profile,
        }

    def fail_next(self, method: str, error: str, *, times: int = 1, retry_after: int = 1) -> None:
        """The next `times` calls to `method` fail with `error` (ratelimited: HTTP 429 + Retry-After)."""
        self._failures.setdefault(method, []).extend([(error, retry_after)] * times)

    def hold(self, method: str) -> asyncio.Event:
        """Calls to `method` wait until the returned event is set (a slow Slack)."""
        self._holds[method] = asyncio.Event()
        return self._holds[method]

    def calls_to(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]

    def new_trigger(self, user_id: str) -> str:
        """The trigger id Slack puts in an interaction by `user_id` (a click, a submission)."""
        trigger = f"{next(self._ts)}.{self.team_id[1:]}.{uuid.uuid4().hex[:24]}"
        self._triggers[trigger] = (user_id, time.monotonic())
        return trigger

    def submission(self, view_id: str, *, user_id: str, values: dict[str, str]) -> dict[str, Any]:
        """The view_submission payload of `user_id` submitting an opened view with `values` (block_id → text)."""
        view = self.views[view_id]
        assert view["user"] == user_id, "a view is only ever shown to the person it was opened for"
        inputs = {b["block_id"]: b for b in view["blocks"] if b.get("type") == "input"}
        assert set(values) <= set(inputs), f"no such inputs: {sorted(set(values) - set(inputs))}"
        state: dict[str, Any] = {}
        for block_id, block in inputs.items():
            value = values.get(block_id) or None
            if value is None and not block.get("optional"):
                raise ValueError(f"Slack's client does not submit a view with {block_id!r} empty")
            element = block["element"]
            state[block_id] = {element["action_id"]: {"type": element["type"], "value": value}}
        submitted = {k: v for k, v in view.items() if k != "user"}
        return {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": "test"},
            "user": {"id": user_id, "team_id": self.team_id},
            "api_app_id": "A1",
            "token": "legacy",
            "trigger_id": self.new_trigger(user_id),
            "view": {**submitted, "state": {"values": state}},
            "response_urls": [],
        }

    # ---- Web API ---------------------------------------------------------------------------------------------------

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        args = await _arguments(request)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip() or args.pop("token", "")
        if not token:
            return _no("not_authed")
        if token not in (self.bot_token, self.app_token):
            return _no("invalid_auth")
        if (token == self.app_token) != (method in APP_TOKEN_METHODS):
            return _no("not_allowed_token_type")
        if method in self._holds:
            await self._holds[method].wait()
        call = SlackCall(method=method, args=args)
        self.calls.append(call)
        if self._failures.get(method):
            call.error, retry_after = self._failures[method].pop(0)
            if call.error == "ratelimited":
                return web.json_response(
                    {"ok": False, "error": "ratelimited"}, status=429, headers={"Retry-After": str(retry_after)}
                )
            return _no(call.error)
        handler = getattr(self, "_" + method.replace(".", "_"), None)
        result = handler(args) if handler is not None else {"ok": False, "error": "unknown_method"}
        call.response = result
        call.error = None if result.get("ok") else str(result.get("error"))
        return web.json_response(result)

    def _auth_test(self, _args: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True,
            "url": "https://test.slack.com/",
            "team": "Test",
            "user": "helpdesk",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
        }

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(args.get("user", "")))
        return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}

    def _chat_postMessage(self, args: dict[str, Any]) -> dict[str, Any]:
        if problem := self._message_problem(args):
            return problem
        ts = self._next_ts()
        message: dict[str, Any] = {
            "type": "message",
            "text": args.get("text", ""),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "ts": ts,
            **{k: args[k] for k in ("blocks", "thread_ts") if k in args},
        }
        self.messages[(str(args["channel"]), ts)] = message
        return {"ok": True, "channel": args["channel"], "ts": ts, "message": message}

    def _chat_postEphemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        if not args.get("user"):
            return {"ok": False, "error": "user_not_found"}
        return self._message_problem(args) or {"ok": True, "message_ts": self._next_ts()}

    def _chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        if problem := self._message_problem(args):
            return problem
        message = self.messages.get((str(args["channel"]), str(args.get("ts", ""))))
        if message is None:  # the bot only ever updates what it posted
            return {"ok": False, "error": "message_not_found"}
        message["text"], message["blocks"] = args.get("text", ""), args.get("blocks", [])
        return {"ok": True, "channel": args["channel"], "ts": args["ts"], "text": args.get("text", "")}

    def _views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        view = args.get("view")
        if not isinstance(view, dict):
            return {
                "ok": False,
                "error": "invalid_arguments",
                "response_metadata": {"messages": ["[ERROR] missing required field: view"]},
            }
        trigger = self._triggers.get(str(args.get("trigger_id", "")))
        if trigger is None:
            return {"ok": False, "error": "invalid_trigger_id"}
        user, issued = trigger
        if user == "":
            return {"ok": False, "error": "exchanged_trigger_id"}
        if time.monotonic() - issued > TRIGGER_SECONDS:
            return {"ok": False, "error": "expired_trigger_id"}
        if errors := _view_errors(view):
            return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": errors}}
        self._triggers[str(args["trigger_id"])] = ("", issued)
        view_id = f"V{uuid.uuid4().hex[:10].upper()}"
        opened = {
            **view,
            "id": view_id,
            "team_id": self.team_id,
            "state": {"values": {}},
            "hash": f"{int(time.time())}.{uuid.uuid4().hex[:8]}",
            "app_id": "A1",
            "bot_id": self.bot_id,
        }
        self.views[view_id] = {**opened, "user": user}
        return {"ok": True, "view": opened}

    def _reactions_add(self, args: dict[str, Any]) -> dict[str, Any]:
        if not (args.get("name") and args.get("timestamp")):
            return {"ok": False, "error": "invalid_arguments"}
        return self._channel_problem(str(args.get("channel", ""))) or {"ok": True}

    _reactions_remove = _reactions_add

    def _conversations_open(self, args: dict[str, Any]) -> dict[str, Any]:
        users = str(args.get("users", ""))
        if not users or "," in users:
            return {"ok": False, "error": "users_list_not_supplied" if not users else "not_allowed"}
        return {"ok": True, "channel": {"id": f"D{users}"}}

    def _apps_connections_open(self, _args: dict[str, Any]) -> dict[str, Any]:
        url = self._server.base_url.replace("http://", "ws://") + f"/link/?ticket={uuid.uuid4()}"
        return {"ok": True, "url": url}

    def _message_problem(self, args: dict[str, Any]) -> dict[str, Any] | None:
        if not args.get("channel"):
            return {"ok": False, "error": "channel_not_found"}
        if problem := self._channel_problem(str(args["channel"])):
            return problem
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        errors = _block_errors(args.get("blocks", []))
        return {"ok": False, "error": "invalid_blocks", "errors": errors} if errors else None

    def _channel_problem(self, channel: str) -> dict[str, Any] | None:
        if channel in self.missing_channels:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.channels_without_bot:
            return {"ok": False, "error": "not_in_channel"}
        return None

    def _next_ts(self) -> str:
        value = next(self._ts)
        return f"{value // 1_000_000}.{value % 1_000_000:06d}"

    async def _response_url(self, request: web.Request) -> web.Response:
        self.calls.append(
            SlackCall(method="response_url", args={**await request.json(), "token": request.match_info["token"]})
        )
        return web.Response(text="ok")

    # ---- Socket Mode -------------------------------------------------------------------------------------------

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        if "ticket" not in request.query:
            raise web.HTTPUnauthorized()
        socket = web.WebSocketResponse(autoping=True)
        await socket.prepare(request)
        self._socket = socket
        await socket.send_json(
            {"type": "hello", "num_connections": 1, "debug_info": {"host": "fake"}, "connection_info": {"app_id": "A1"}}
        )
        async for frame in socket:
            if frame.type == WSMsgType.TEXT:
                ack = json.loads(frame.data)
                waiting = self._acks.pop(str(ack.get("envelope_id")), None)
                if waiting is not None and not waiting.done():
                    waiting.set_result(ack)
        return socket

    async def wait_connected(self, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while self._socket is None:
                await asyncio.sleep(0.01)

    async def send_envelope(self, kind: str, payload: dict[str, Any], *, timeout: float = 10.0) -> dict[str, Any]:
        """Deliver one Socket Mode envelope ("events_api", "interactive", "slash_commands"); the client's ack."""
        assert self._socket is not None, "no Socket Mode client is connected"
        envelope_id = str(uuid.uuid4())
        self._acks[envelope_id] = asyncio.get_running_loop().create_future()
        await self._socket.send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        async with asyncio.timeout(timeout):
            return await self._acks[envelope_id]


async def _arguments(request: web.Request) -> dict[str, Any]:
    """Query, form and JSON arguments merged; JSON-encoded form values (blocks) decoded."""
    args: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        args.update(await request.json())
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            args[name] = _maybe_json(value) if isinstance(value, str) else value
    return args


def _maybe_json(value: str) -> Any:
    if value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _no(error: str) -> web.Response:
    return web.json_response({"ok": False, "error": error})


def _block_errors(blocks: Any, *, limit: int = 50) -> list[str]:
    """Slack's invalid_blocks checks for the block types the bot sends."""
    if not isinstance(blocks, list) or len(blocks) > limit:
        return [f"blocks must be a list of at most {limit} blocks"]
    errors: list[str] = []
    for index, block in enumerate(blocks):
        if not isinstance(block, dict) or "type" not in block:
            errors.append(f"[{index}] missing type")
        elif block["type"] == "section" and len(block.get("text", {}).get("text", "")) > 3000:
            errors.append(f"[{index}] section text longer than 3000")
        elif block["type"] == "section" and (
            len(block.get("fields", [])) > 10 or any(len(f.get("text", "")) > 2000 for f in block.get("fields", []))
        ):
            errors.append(f"[{index}] more than 10 fields or a field longer than 2000")
        elif block["type"] == "section" and not (block.get("text") or block.get("fields")):
            errors.append(f"[{index}] section needs text or fields")
        elif block["type"] == "header" and not _plain_text(block.get("text"), 150):
            errors.append(f"[{index}] header text must be plain_text of at most 150")
        elif block["type"] == "actions":
            errors.extend(f"[{index}] {problem}" for problem in _actions_errors(block))
        elif block["type"] == "input":
            errors.extend(f"[{index}] {problem}" for problem in _input_errors(block))
    return errors


def _actions_errors(block: dict[str, Any]) -> list[str]:
    errors: list[str] = []
    elements = block.get("elements", [])
    action_ids = [e.get("action_id") for e in elements]
    if len(elements) > 25 or len(set(action_ids)) != len(action_ids):
        errors.append("too many elements or repeated action_id")
    for element in elements:
        if len(element.get("text", {}).get("text", "")) > 75 or len(element.get("value", "")) > 2000:
            errors.append("button text over 75 or value over 2000")
    if any(e.get("style") not in (None, "primary", "danger") for e in elements):
        errors.append("button style must be primary or danger")
    return errors


def _view_errors(view: dict[str, Any]) -> list[str]:
    """Slack's checks of a modal view (https://docs.slack.dev/reference/views/modal-views)."""
    errors = [f"[ERROR] {problem}" for problem in _block_errors(view.get("blocks"), limit=100)]
    if view.get("type") != "modal":
        errors.append("[ERROR] view type must be modal")
    if not _plain_text(view.get("title"), 24):
        errors.append("[ERROR] title must be plain_text of at most 24 characters")
    has_inputs = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
    if has_inputs and not _plain_text(view.get("submit"), 24):
        errors.append("[ERROR] a view with inputs needs a plain_text submit of at most 24 characters")
    for key in ("close", "submit"):
        if key in view and not _plain_text(view[key], 24):
            errors.append(f"[ERROR] {key} must be plain_text of at most 24 characters")
    if len(str(view.get("callback_id", ""))) > 255 or len(str(view.get("private_metadata", ""))) > 3000:
        errors.append("[ERROR] callback_id over 255 or private_metadata over 3000 characters")
    block_ids = [b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("block_id")]
    if len(set(block_ids)) != len(block_ids):
        errors.append("[ERROR] repeated block_id")
    return errors


def _input_errors(block: dict[str, Any]) -> list[str]:
    errors = [] if _plain_text(block.get("label"), 2000) else ["input label must be plain_text of at most 2000"]
    element = block.get("element")
    if not isinstance(element, dict) or element.get("type") != "plain_text_input" or not element.get("action_id"):
        return [*errors, "input element must be a plain_text_input with an action_id"]
    if not 0 < int(element.get("max_length", 3000)) <= 3000:
        errors.append("plain_text_input max_length must be 1..3000")
    return errors


def _plain_text(value: Any, limit: int) -> bool:
    return (
        isinstance(value, dict)
        and value.get("type") == "plain_text"
        and isinstance(value.get("text"), str)
        and 0 < len(value["text"]) <= limit
    )
