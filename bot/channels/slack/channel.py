"""The Slack channel: slack-bolt verifies and routes, this class turns Slack activity into engine turns.

HTTP mode serves POST /slack/events (events, interactivity and the slash command share the path); Socket Mode
connects out to Slack instead. Either way every request is acknowledged at once and the turn runs afterwards,
so Slack's 3-second limit holds whatever the engine is doing.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import structlog
from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_bolt.app.async_app import AsyncApp
from slack_bolt.context.ack.async_ack import AsyncAck
from slack_bolt.context.respond.async_respond import AsyncRespond
from slack_bolt.request.async_request import AsyncBoltRequest
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncConnectionErrorRetryHandler,
    AsyncRateLimitErrorRetryHandler,
)
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.channels.runtime.deliveries import Deliveries
from bot.channels.runtime.turn_errors import apologise
from bot.channels.slack import events
from bot.channels.slack.delivery import SlackReplyPort
from bot.channels.slack.errors import WEB_API_ERRORS, error_code
from bot.channels.slack.people import SlackPeople
from bot.channels.slack.render import ACTION_PREFIX, mark_chosen
from bot.channels.slack.staff import SlackStaffConsole, note_errors
from bot.channels.slack.staff_blocks import RESOLVE_CALLBACK, STAFF_PREFIX, resolve_form
from bot.channels.slack.threads import SlackThread, SlackTurn
from bot.core.background import BackgroundTurns
from bot.core.engine import ConversationNotYoursError, Engine
from bot.core.model import ConversationRef, Inbound, Reply, ReplyKind
from bot.core.ports import ConversationStore, SharedState

log = structlog.get_logger(__name__)

DEDUPE_SECONDS = 3600.0  # Slack retries a delivery for up to about an hour
SHUTDOWN_GRACE_SECONDS = 10.0


class SlackChannel:
    """Owns the bolt app, the Web API client and the turns running in the background."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ConversationStore,
        shared_state: SharedState,
        client: AsyncWebClient,
        people: SlackPeople,
        signing_secret: str | None,
        app_token: str | None,
        progress_reaction: str,
        staff_console: SlackStaffConsole | None = None,
    ) -> None:
        """Args:
        client: the Web API client (`slack_web_client`), shared with the staff console and the ticket cards.
        people: Slack profiles by user id, cached.
        staff_console: lets IT staff work tickets from their cards in Slack (bot/channels/slack/staff.py).
        """
        self._engine = engine
        self._store = store
        self._deliveries = Deliveries(shared_state)
        self._signing_secret = signing_secret
        self._app_token = app_token
        self._progress_reaction = progress_reaction
        self.client = client
        self._people = people
        self._staff = staff_console
        self.turns = BackgroundTurns()
        self._socket: AsyncSocketModeHandler | None = None
        self._verifier = SignatureVerifier(signing_secret) if signing_secret else None
        bolt_logger = logging.getLogger("slack_bolt")
        if not any(isinstance(f, _SameTokenWarning) for f in bolt_logger.filters):
            bolt_logger.addFilter(_SameTokenWarning())
        self._bolt = AsyncApp(
            client=self.client,
            signing_secret=signing_secret or "",
            request_verification_enabled=signing_secret is not None,
            # Listeners only queue work, so running them before the response still acknowledges at once.
            process_before_response=True,
            logger=bolt_logger,
        )
        self._bolt.event("message")(self._on_message)
        self._bolt.event("app_mention")(self._on_mention)
        self._bolt.action(re.compile(f"^{re.escape(ACTION_PREFIX)}"))(self._on_click)
        self._bolt.command("/helpdesk")(self._on_command)
        if self._staff is not None:  # the prefixes differ, so the choice listener never sees these
            self._bolt.action(re.compile(f"^{re.escape(STAFF_PREFIX)}"))(self._on_staff_click)
            self._bolt.view(RESOLVE_CALLBACK)(self._on_resolve_submitted)

    def register(self, app: web.Application) -> None:
        """Mount POST /slack/events (HTTP mode) and start/stop Socket Mode with the web app."""
        app[SLACK_CHANNEL] = self
        if self._verifier is not None:
            app.router.add_post("/slack/events", self.handle_http)
        app.on_startup.append(self._start)
        app.on_cleanup.append(self._stop)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Verify the signature before parsing anything, then let bolt route the payload."""
        if self._verifier is None:  # the route is only added with a verifier
            raise RuntimeError("Slack events over HTTP need the signing secret")
        try:
            body = (await request.read()).decode("utf-8")  # Slack always sends UTF-8
        except UnicodeDecodeError:
            log.warning("slack_request_rejected", reason="body is not UTF-8")
            return web.json_response({"error": "malformed body"}, status=400)
        if not self._verifier.is_valid(
            body=body,
            timestamp=request.headers.get("X-Slack-Request-Timestamp", ""),
            signature=request.headers.get("X-Slack-Signature", ""),
        ):
            log.warning("slack_request_rejected", reason="bad or stale signature")
            return web.json_response({"error": "invalid signature"}, status=401)
        try:
            bolt_request = AsyncBoltRequest(body=body, query=request.query_string, headers=dict(request.headers))
        except ValueError as error:
            log.warning("slack_request_rejected", reason="malformed body", error=type(error).__name__)
            return web.json_response({"error": "malformed body"}, status=400)
        if not isinstance(bolt_request.body, dict) or not (
            bolt_request.body.get("type") or bolt_request.body.get("command")
        ):
            log.warning("slack_request_rejected", reason="not a Slack payload")
            return web.json_response({"error": "malformed body"}, status=400)
        retry = request.headers.get("X-Slack-Retry-Num")
        if retry:
            log.info(
                "slack_retry_received",
                attempt=retry,
                reason=request.headers.get("X-Slack-Retry-Reason"),
                event_id=bolt_request.body.get("event_id"),
            )
        return await to_aiohttp_response(await self._bolt.async_dispatch(bolt_request))

    # ---- listeners: decide quickly, queue the turn, return (bolt then acknowledges) -----------------------

    async def _on_message(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        await self._take(
            events.turn_from_message(body, event, bot_user_id=context.get("bot_user_id")), body, event, context
        )

    async def _on_mention(self, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> None:
        await self._take(
            events.turn_from_mention(body, event, bot_user_id=context.get("bot_user_id")), body, event, context
        )

    async def _take(
        self, turn: SlackTurn | None, body: dict[str, Any], event: dict[str, Any], context: dict[str, Any]
    ) -> None:
        # A reply in a channel thread may be staff writing under a ticket card; which it is needs the database,
        # so that is decided in the background too.
        reply = (
            events.thread_reply(body, event, bot_user_id=context.get("bot_user_id"))
            if self._staff is not None
            else None
        )
        if turn is not None:
            if await self._first_delivery(body, event):
                self.turns.spawn(self._route(turn, reply), name=f"slack-{turn.delivery_id}")
        elif reply is not None:
            self.turns.spawn(self._mention_copy(reply, body, event), name=f"slack-{reply.delivery_id}")

    async def _route(self, turn: SlackTurn, reply: SlackTurn | None) -> None:
        """Staff talking under a ticket card, or else a turn for the bot (never both)."""
        if reply is not None and self._staff is not None:
            ticket = await self._staff.ticket_of_thread(reply)
            if ticket is not None:
                await self._staff.thread_message(reply, ticket)
                return
        await self._run(turn)

    async def _mention_copy(self, reply: SlackTurn, body: dict[str, Any], event: dict[str, Any]) -> None:
        """The `message` copy of an @-mention in a thread. Elsewhere its app_mention is the bot's turn, so it is only
        claimed (against that copy) once it is known to be under a ticket card, whichever copy Slack sends first."""
        if self._staff is None:  # only routed when a staff channel is configured
            raise RuntimeError("a staff thread message arrived without a staff channel")
        ticket = await self._staff.ticket_of_thread(reply)
        if ticket is not None and await self._first_delivery(body, event):
            await self._staff.thread_message(reply, ticket)

    async def _on_click(
        self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any], respond: AsyncRespond
    ) -> None:
        await ack()
        turn = events.turn_from_click(body, action)
        if turn is None:
            log.warning("slack_click_ignored", reason="unreadable button value", action_id=action.get("action_id"))
            return
        label = str((action.get("text") or {}).get("text") or turn.choice)
        self.turns.spawn(self._run_click(turn, body, label, respond), name=f"slack-{turn.delivery_id}")

    async def _on_staff_click(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        if self._staff is None:  # only routed when a staff channel is configured
            raise RuntimeError("a staff button was clicked without a staff channel")
        self.turns.spawn(self._staff.click(body, action), name=f"slack-staff-{body.get('trigger_id')}")

    async def _on_resolve_submitted(self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]) -> None:
        if self._staff is None:  # only routed when a staff channel is configured
            raise RuntimeError("a resolve dialog was submitted without a staff channel")
        form = resolve_form(view)
        if form is None:
            await ack()
            log.warning("slack_staff_dialog_ignored", reason="unreadable submission")
            return
        if (errors := note_errors(form)) is not None:  # the dialog stays open with the field marked
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        self.turns.spawn(self._staff.resolve(body, form), name=f"slack-staff-{body.get('trigger_id')}")

    async def _on_command(self, ack: AsyncAck, command: dict[str, Any]) -> None:
        await ack(text=messages.SLACK_COMMAND_ACK)
        self.turns.spawn(self._open_direct_conversation(command), name=f"slack-{command.get('trigger_id')}")

    async def _first_delivery(self, body: dict[str, Any], event: dict[str, Any]) -> bool:
        """False for a retry or a second copy of something already being handled (e.g. after a timeout)."""
        keys = [f"slack:event:{body.get('event_id')}"] if body.get("event_id") else []
        if (message_key := events.message_key(body, event)) is not None:
            keys.append(f"slack:message:{message_key}")
        for key in keys:
            if not await self._deliveries.first(key, ttl_seconds=DEDUPE_SECONDS):
                log.info("slack_duplicate_ignored", key=key, event_id=body.get("event_id"))
                return False
        return True

    async def send_proactive(self, conversation: ConversationRef, user_id: str, reply: Reply) -> None:
        """Post into a conversation outside a turn (approval requests, decisions), privately where asked."""
        thread = SlackThread.from_conversation_id(conversation.id)
        await SlackReplyPort(client=self.client, thread=thread, user_id=user_id, delivery_id="proactive").send(reply)

    # ---- turns (after the acknowledgement) ----------------------------------------------------------------

    async def _run(self, turn: SlackTurn) -> None:
        structlog.contextvars.bind_contextvars(correlation_id=turn.delivery_id)
        if turn.follow_up_only:
            state = await self._store.load_state(turn.thread.conversation)
            if state is None or state.owner_id != turn.user_id:
                return  # people talking in a thread the bot is not part of
        port = SlackReplyPort(
            client=self.client, thread=turn.thread, user_id=turn.user_id, delivery_id=turn.delivery_id
        )
        await self._mark_progress(turn, working=True)
        try:
            person = await self._people.lookup(turn.user_id)
            inbound = Inbound(
                conversation=turn.thread.conversation,
                user=person.user,
                text=turn.text,
                choice=turn.choice,
                in_reply_to=turn.in_reply_to,
                identity_problem=person.problem,
                correlation_id=turn.delivery_id,
            )
            await self._engine.handle(inbound, port)
        except ConversationNotYoursError:
            await port.send(Reply(kind=ReplyKind.INFO, text=messages.SLACK_NOT_YOUR_THREAD, private=True))
        except Exception:  # noqa: BLE001 - the turn-level handler: log, apologise, offer a human
            await apologise(
                port, reference=turn.delivery_id, conversation=turn.thread.conversation.key, event_id=turn.delivery_id
            )
        finally:
            await self._mark_progress(turn, working=False)

    async def _run_click(self, turn: SlackTurn, body: dict[str, Any], label: str, respond: AsyncRespond) -> None:
        original = (body.get("message") or {}).get("blocks")
        if isinstance(original, list) and body.get("response_url"):
            try:  # replace the buttons with what was chosen, so the same question is not answered twice
                await respond(replace_original=True, text=label, blocks=mark_chosen(original, label=label))
            except WEB_API_ERRORS as error:
                log.warning("slack_click_mark_failed", error=error_code(error))
        await self._run(turn)

    async def _open_direct_conversation(self, command: dict[str, Any]) -> None:
        """`/helpdesk [question]`: open a DM; a question becomes the first message of a thread there."""
        user_id, team_id = str(command.get("user_id", "")), str(command.get("team_id", ""))
        delivery_id = str(command.get("trigger_id") or "")
        question = str(command.get("text") or "").strip()
        try:
            opened = await self.client.conversations_open(users=user_id)
            channel_id = opened["channel"]["id"]
            text = messages.SLACK_YOU_ASKED.format(question=question) if question else messages.GREETING
            posted = await self.client.chat_postMessage(channel=channel_id, text=text)
        except WEB_API_ERRORS as error:
            log.error("slack_delivery_failed", method="slash_command", error=error_code(error), event_id=delivery_id)
            return
        if question:
            thread = SlackThread(team_id=team_id, channel_id=channel_id, thread_ts=str(posted["ts"]))
            await self._run(SlackTurn(thread=thread, user_id=user_id, delivery_id=delivery_id, text=question))

    async def _mark_progress(self, turn: SlackTurn, *, working: bool) -> None:
        """A reaction on the person's message while the bot works; purely cosmetic, so failures only log."""
        if not (self._progress_reaction and turn.message_ts):
            return
        call = self.client.reactions_add if working else self.client.reactions_remove
        try:
            await call(channel=turn.thread.channel_id, timestamp=turn.message_ts, name=self._progress_reaction)
        except WEB_API_ERRORS as error:
            log.info("slack_reaction_failed", working=working, error=error_code(error), event_id=turn.delivery_id)

    # ---- lifecycle -------------------------------------------------------------------------------------------

    async def _start(self, _app: web.Application) -> None:
        if self._app_token is None:
            return
        self._socket = AsyncSocketModeHandler(self._bolt, app_token=self._app_token, web_client=self.client)
        await self._socket.connect_async()  # type: ignore[no-untyped-call]
        log.info("slack_socket_mode_connected")

    async def _stop(self, _app: web.Application) -> None:
        if self._socket is not None:
            await self._socket.close_async()  # type: ignore[no-untyped-call]
        await self.turns.close(timeout=SHUTDOWN_GRACE_SECONDS)


SLACK_CHANNEL = web.AppKey("slack_channel", SlackChannel)


def slack_web_client(*, bot_token: str, api_url: str | None) -> AsyncWebClient:
    """The Web API client every Slack part uses; `api_url` points it elsewhere (a test stand-in, GovSlack)."""
    return AsyncWebClient(
        token=bot_token,
        base_url=_with_slash(api_url or AsyncWebClient.BASE_URL),
        # Honour Retry-After on HTTP 429 (`ratelimited`) a couple of times before giving up.
        retry_handlers=[AsyncConnectionErrorRetryHandler(), AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )


class _SameTokenWarning(logging.Filter):
    """bolt also reads SLACK_BOT_TOKEN from the environment and then warns that the client's token wins; it is
    the same token, so the warning would only alarm whoever reads the start-up log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "`token` will be unused" not in record.getMessage()


def _with_slash(url: str) -> str:
    return url if url.endswith("/") else url + "/"
