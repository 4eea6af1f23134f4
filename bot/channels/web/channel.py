"""The built-in web chat channel (JSON API, polling for later replies, the chat page) and the health probes."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot import messages
from bot.channels.runtime.collecting import CollectingReplyPort
from bot.channels.web.identity import IdentityError, WebIdentity
from bot.core.engine import ConversationNotYoursError, Engine
from bot.core.model import ConversationRef, Inbound, Reply, ReplyKind, UserRef
from bot.core.ports import ConversationStore, KnowledgeBase
from bot.core.validation import problems
from bot.store.shared.wakeups import Wakeups, woken_within

log = structlog.get_logger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).with_name("static")
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
CORRELATION_ID = web.RequestKey("correlation_id", str)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class WebUser(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)
    id: str = Field(min_length=1, max_length=256)
    email: str | None = Field(default=None, max_length=320)
    name: str | None = Field(default=None, max_length=256)


class ChatRequest(BaseModel):
    """Body of POST /api/chat: a typed message or a clicked choice."""

    model_config = ConfigDict(extra="forbid", strict=True)
    conversation_id: str = Field(pattern=r"^[A-Za-z0-9._:-]{1,128}$")
    user: WebUser | None = None
    text: str | None = None
    choice: str | None = Field(default=None, min_length=1, max_length=128)
    in_reply_to: int | None = Field(default=None, ge=1)  # the reply (its `seq`) whose button was clicked
    # The client's events cursor: when given, the response carries every reply stored after it (this turn's
    # and any a person from IT sent meanwhile), so nothing falls between polling and posting.
    after: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_of_text_or_choice(self) -> ChatRequest:
        if (self.text is None) == (self.choice is None):
            raise ValueError("send exactly one of 'text' or 'choice'")
        return self


def error_response(*, status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": {"code": code, "message": message}}, status=status)


# Long polls are held at most this long: under the usual 60 s idle timeout of load balancers and proxies.
MAX_EVENTS_WAIT_SECONDS = 25.0


class WebChannel:
    """Translates HTTP requests into engine turns and replies into JSON."""

    def __init__(self, *, engine: Engine, store: ConversationStore, identity: WebIdentity,
                 wakeups: Wakeups | None = None) -> None:
        """`wakeups`: lets GET …/events?wait=N hold the request until a reply is stored (long polling);
        without it, `wait` is ignored and the events answer at once."""
        self._engine = engine
        self._store = store
        self._identity = identity
        self._wakeups = wakeups

    def register(self, app: web.Application) -> None:
        app.router.add_get("/", self.page)
        app.router.add_post("/api/chat", self.chat)
        app.router.add_get("/api/chat/{conversation_id}/events", self.events)

    async def page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "index.html", headers={"Cache-Control": "no-cache"})

    async def chat(self, request: web.Request) -> web.Response:
        payload = await read_json(request)
        try:
            body = ChatRequest.model_validate(payload)
        except ValidationError as error:
            return error_response(status=422, code="invalid_request", message=describe_validation(error))
        body_user = None if body.user is None else UserRef(id=body.user.id, email=body.user.email,
                                                             name=body.user.name)
        try:
            user = self._identity.resolve(request, body_user)
        except IdentityError as error:
            return error_response(status=error.status, code=error.code, message=error.message)

        inbound = Inbound(conversation=ConversationRef(channel=CHANNEL, id=body.conversation_id), user=user,
                          text=body.text or "", choice=body.choice, in_reply_to=body.in_reply_to,
                          correlation_id=request[CORRELATION_ID])
        port = CollectingReplyPort()
        try:
            result = await self._engine.handle(inbound, port)
        except ConversationNotYoursError as error:
            return error_response(status=403, code="forbidden", message=str(error))
        except Exception:
            # The turn-level handler: log with the correlation id, apologise, offer a human.
            log.exception("turn_failed", conversation=inbound.conversation.key)
            apology = Reply(kind=ReplyKind.ERROR,
                            text=messages.TURN_FAILED.format(reference=request[CORRELATION_ID]))
            return web.json_response({"replies": [*(r.to_dict() for r in port.replies), apology.to_dict()],
                                      "seq": None})
        if body.after is None:
            return web.json_response({"replies": [r.to_dict() for r in port.replies], "seq": result.seq})
        replies, cursor = await self._store.replies_after(conversation=inbound.conversation, after=body.after)
        # This turn's own replies as delivered: a secret (a temporary password) is only a placeholder in the store.
        delivered = {r.seq: r for r in port.replies if r.seq is not None}
        replies = [delivered.get(r.seq, r) if r.seq is not None else r for r in replies]
        return web.json_response({"replies": [r.to_dict() for r in replies], "seq": cursor})

    async def events(self, request: web.Request) -> web.Response:
        conversation = ConversationRef(channel=CHANNEL, id=request.match_info["conversation_id"])
        try:
            after = int(request.query.get("after", "0"))
            wait = float(request.query.get("wait", "0"))
        except ValueError:
            return error_response(status=400, code="invalid_request", message="'after' and 'wait' must be numbers")
        if not 0 <= wait <= MAX_EVENTS_WAIT_SECONDS:
            return error_response(status=400, code="invalid_request",
                                  message=f"'wait' must be between 0 and {MAX_EVENTS_WAIT_SECONDS:g} seconds")
        state = await self._store.load_state(conversation)
        if state is None or not self._identity.may_read(request, state.owner_id):
            # Same answer for "absent" and "not yours", so ids cannot be probed.
            return error_response(status=404, code="not_found", message="no such conversation")
        if self._wakeups is None or wait == 0:
            replies, cursor = await self._store.replies_after(conversation=conversation, after=after)
        else:
            deadline = time.monotonic() + wait
            with self._wakeups.watch(conversation.key) as stored:  # watching before reading: nothing slips by
                replies, cursor = await self._store.replies_after(conversation=conversation, after=after)
                # Woken, yet nothing after the cursor: a reply this client already had. Wait for the next one.
                while not replies and await woken_within(stored, deadline - time.monotonic()):
                    stored.clear()
                    replies, cursor = await self._store.replies_after(conversation=conversation, after=after)
        return web.json_response({"replies": [r.to_dict() for r in replies], "seq": cursor})

SHARED_ASSETS = ("common.css", "common.js")  # what the chat page and the staff console share


def register_shared_assets(app: web.Application) -> None:
    """GET /static/common.css and /static/common.js (only these names: nothing else in the folder is served)."""

    async def asset(request: web.Request) -> web.FileResponse:
        name = request.match_info["name"]
        if name not in SHARED_ASSETS:
            raise web.HTTPNotFound()
        return web.FileResponse(STATIC_DIR / name, headers={"Cache-Control": "no-cache"})

    app.router.add_get("/static/{name}", asset)


class HealthProbes:
    """/healthz (the process is up) and /readyz (database and knowledge index answer), for orchestrators."""

    def __init__(self, *, store: ConversationStore, knowledge: KnowledgeBase) -> None:
        self._store = store
        self._knowledge = knowledge

    def register(self, app: web.Application) -> None:
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/readyz", self.readyz)

    async def healthz(self, _request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(self, _request: web.Request) -> web.Response:
        checks = {"database": await self._store.is_ready(), "knowledge_index": await self._knowledge.is_ready()}
        ready = all(checks.values())
        return web.json_response({"status": "ready" if ready else "not_ready", "checks": checks},
                                 status=200 if ready else 503)


async def read_json(request: web.Request) -> Any:
    """The parsed body, or an HTTP error that the middleware renders as JSON."""
    raw = await request.read()  # aiohttp enforces client_max_size here (413)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise _bad_request("invalid_utf8", f"request body is not valid UTF-8 (byte {error.start})") from error
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise _bad_request("invalid_json", f"request body is not valid JSON: {error.msg} "
                                               f"at line {error.lineno} column {error.colno}") from error


def _bad_request(code: str, message: str) -> web.HTTPBadRequest:
    body = json.dumps({"error": {"code": code, "message": message}})
    return web.HTTPBadRequest(text=body, content_type="application/json")


def describe_validation(error: ValidationError) -> str:
    return "; ".join(problems(error, whole="body", limit=5))


@web.middleware
async def correlation_and_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give every request a correlation id and turn HTTP errors on the API into JSON."""
    supplied = request.headers.get("X-Request-ID", "")
    correlation_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex[:16]
    request[CORRELATION_ID] = correlation_id
    structlog.contextvars.bind_contextvars(correlation_id=correlation_id)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        if error.content_type == "application/json" or not request.path.startswith("/api/"):
            raise
        code = {413: "too_large", 404: "not_found", 405: "method_not_allowed"}.get(error.status, "http_error")
        message = error.reason if error.status != 413 else "request body is too large"
        response = error_response(status=error.status, code=code, message=message)
    finally:
        structlog.contextvars.unbind_contextvars("correlation_id")
    response.headers["X-Request-ID"] = correlation_id
    return response
