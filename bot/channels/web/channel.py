"""The built-in web chat channel: the JSON API, polling for later replies, and the chat page."""

from __future__ import annotations

import time
from pathlib import Path

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.channels.runtime.collecting import CollectingReplyPort
from bot.channels.runtime.http import CORRELATION_ID, describe_validation, error_response, read_json
from bot.channels.runtime.turn_errors import apologise
from bot.channels.web.identity import IdentityError, WebIdentity
from bot.core.engine import ConversationNotYoursError, Engine
from bot.core.model import ConversationRef, Inbound, UserRef
from bot.core.ports import ConversationStore, Wakeups
from bot.store.shared.wakeups import woken_within

log = structlog.get_logger(__name__)

CHANNEL = "web"
STATIC_DIR = Path(__file__).with_name("static")


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


# Long polls are held at most this long: under the usual 60 s idle timeout of load balancers and proxies.
MAX_EVENTS_WAIT_SECONDS = 25.0


class WebChannel:
    """Translates HTTP requests into engine turns and replies into JSON."""

    def __init__(
        self, *, engine: Engine, store: ConversationStore, identity: WebIdentity, wakeups: Wakeups | None = None
    ) -> None:
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
        body_user = None if body.user is None else UserRef(id=body.user.id, email=body.user.email, name=body.user.name)
        try:
            user = self._identity.resolve(request, body_user)
        except IdentityError as error:
            return error_response(status=error.status, code=error.code, message=error.message)

        inbound = Inbound(
            conversation=ConversationRef(channel=CHANNEL, id=body.conversation_id),
            user=user,
            text=body.text or "",
            choice=body.choice,
            in_reply_to=body.in_reply_to,
            correlation_id=request[CORRELATION_ID],
        )
        port = CollectingReplyPort()
        try:
            result = await self._engine.handle(inbound, port)
        except ConversationNotYoursError as error:
            return error_response(status=403, code="forbidden", message=str(error))
        except Exception:  # noqa: BLE001 - the turn-level handler: log, apologise, offer a human
            await apologise(port, reference=request[CORRELATION_ID], conversation=inbound.conversation.key)
            return web.json_response({"replies": [r.to_dict() for r in port.replies], "seq": None})
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
            return error_response(
                status=400,
                code="invalid_request",
                message=f"'wait' must be between 0 and {MAX_EVENTS_WAIT_SECONDS:g} seconds",
            )
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
