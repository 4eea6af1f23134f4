"""The Teams channel: the Agents SDK authenticates and talks to Teams, this class turns activities into turns.

POST /api/messages authenticates the Bot Framework's JWT, answers 202 at once and runs the turn afterwards
(Teams gives a bot about 15 seconds, whatever the engine is doing), through the SDK's CloudAdapter so that
replies, typing indicators and roster lookups go back to the activity's serviceUrl with the bot's own token.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import structlog
from aiohttp import web
from microsoft_agents.activity import Activity, ConversationReference
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import AgentAuthConfiguration, TurnContext
from microsoft_agents.hosting.core.authorization import AuthenticationConstants, ClaimsIdentity, Connections
from pydantic import ValidationError

from bot import messages
from bot.channels.runtime.deliveries import Deliveries
from bot.channels.runtime.turn_errors import apologise
from bot.channels.teams import activities
from bot.channels.teams.activities import TeamsTurn
from bot.channels.teams.auth import InboundAuth, TeamsAuthError, msal_connections
from bot.channels.teams.delivery import TeamsReplyPort, connector_of
from bot.channels.teams.people import TeamsPeople
from bot.channels.teams.staff import TeamsStaffConsole
from bot.core.background import BackgroundTurns
from bot.core.engine import ConversationNotYoursError, Engine
from bot.core.model import ConversationRef, Inbound, Reply, ReplyKind
from bot.core.ports import ConversationStore, SharedState
from bot.store.sql.references import SqlChannelReferences

log = structlog.get_logger(__name__)

DEDUPE_SECONDS = 3600.0
TYPING_EVERY_SECONDS = 3.0  # Teams hides the indicator a few seconds after the last typing activity
SHUTDOWN_GRACE_SECONDS = 10.0


class TeamsChannel:
    """Owns the SDK adapter, the roster cache and the turns running in the background."""

    def __init__(
        self,
        *,
        engine: Engine,
        store: ConversationStore,
        references: SqlChannelReferences,
        shared_state: SharedState,
        configuration: AgentAuthConfiguration,
        connections: Connections | None = None,
        allowed_tenants: frozenset[str],
        member_cache_seconds: float,
        staff: TeamsStaffConsole | None = None,
    ) -> None:
        """Args:
        configuration: the SDK's auth configuration (app id, secret, tenant; or anonymous for dev).
        connections: where outgoing tokens come from; MSAL with the configured credentials by default.
        allowed_tenants: Entra tenant ids whose people may use the bot; empty means any (dev only).
        staff: IT staff's card buttons and replies in ticket threads; None when tickets are not on Teams.
        """
        self._engine = engine
        self._store = store
        self._references = references
        self._deliveries = Deliveries(shared_state)
        self._auth = InboundAuth(configuration=configuration)
        self._app_id = configuration.CLIENT_ID or ""
        self._allowed_tenants = allowed_tenants
        self._people = TeamsPeople(ttl_seconds=member_cache_seconds)
        self._staff = staff
        self.adapter = CloudAdapter(connection_manager=connections or msal_connections(configuration))
        # The SDK's default handler would send the exception text to the person.
        self.adapter.on_turn_error = self._on_turn_error
        self.turns = BackgroundTurns()

    def register(self, app: web.Application) -> None:
        app[TEAMS_CHANNEL] = self
        app.router.add_post("/api/messages", self.handle_http)
        app.on_cleanup.append(self._stop)

    async def handle_http(self, request: web.Request) -> web.Response:
        """Authenticate before reading the body, then queue the turn and answer 202."""
        try:
            claims = await self._auth.authenticate(request.headers.get("Authorization"))
        except TeamsAuthError as error:
            log.warning("teams_request_rejected", reason=str(error))
            return web.json_response({"error": "unauthorized"}, status=401)
        activity = await _read_activity(request)
        if activity is None:
            return web.json_response({"error": "malformed activity"}, status=400)
        try:
            self._auth.check_service_url(claims, activity.service_url or "")
        except TeamsAuthError as error:
            log.warning("teams_request_rejected", reason=str(error), activity_id=activity.id)
            return web.json_response({"error": "unauthorized"}, status=401)
        if activity.type == "invoke":
            # Cards use Action.Submit, which arrives as a message; no invoke is implemented.
            log.info("teams_invoke_ignored", name=activity.name, activity_id=activity.id)
            return web.json_response({}, status=501)
        if await self._first_delivery(activity):
            self.turns.spawn(self._process(claims, activity), name=f"teams-{activity.id}")
        return web.Response(status=202)

    async def send_proactive(self, conversation: ConversationRef, reply: Reply) -> None:
        """Write into a conversation the bot has seen before (hand-off relay, status updates).

        Raises:
            LookupError: no reference is stored for the conversation (the person never wrote to the bot).
        """
        stored = await self._references.load(conversation)
        if stored is None:
            raise LookupError(f"no Teams conversation reference for {conversation.key}")

        async def deliver(context: TurnContext) -> None:
            await TeamsReplyPort(context=context).send(reply)

        await self.continue_with(stored, deliver)

    async def continue_with(self, reference: dict[str, Any], work: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run `work` in a proactive turn for the conversation `reference` describes (a stored
        ConversationReference); the turn's connector client talks to its serviceUrl with the bot's token."""
        continuation = ConversationReference.model_validate(reference).get_continuation_activity()
        if self._auth.anonymous:
            await self.adapter.continue_conversation_with_claims(
                ClaimsIdentity(), continuation, work, audience=AuthenticationConstants.AGENTS_SDK_SCOPE
            )
        else:
            await self.adapter.continue_conversation(self._app_id, continuation, work)

    # ---- acknowledgement side ------------------------------------------------------------------------------

    async def _first_delivery(self, activity: Activity) -> bool:
        """False for a redelivery of an activity already being handled."""
        if not activity.id or activity.conversation is None:
            return True
        key = f"teams:activity:{activity.conversation.id}:{activity.id}"
        if await self._deliveries.first(key, ttl_seconds=DEDUPE_SECONDS):
            return True
        log.info("teams_duplicate_ignored", activity_id=activity.id)
        return False

    async def _process(self, claims: ClaimsIdentity, activity: Activity) -> None:
        structlog.contextvars.bind_contextvars(correlation_id=activity.id or "")
        try:
            await self.adapter.process_activity(claims, activity, self._on_turn)
        except Exception:
            # Before the turn could start (no outgoing token, connector unreachable): nothing can be sent back.
            log.exception("teams_turn_failed", activity_id=activity.id, activity_type=activity.type)

    # ---- turns ------------------------------------------------------------------------------------------------

    async def _on_turn(self, context: TurnContext) -> None:
        activity = context.activity
        if activity.type == "message":
            turn = activities.turn_from_message(activity)
            if turn is not None:
                await self._on_message(context, turn)
        elif activity.type == "conversationUpdate" and activities.bot_was_added(activity):
            await self._on_installed(context)
        else:
            log.info("teams_activity_ignored", activity_type=activity.type, activity_id=activity.id)

    async def _on_message(self, context: TurnContext, turn: TeamsTurn) -> None:
        port = TeamsReplyPort(context=context, turn=turn)
        if not self._tenant_allowed(turn.tenant_id):
            log.warning("teams_tenant_refused", tenant=turn.tenant_id, activity_id=turn.delivery_id)
            await port.send(Reply(kind=ReplyKind.INFO, text=messages.TEAMS_OTHER_TENANT))
            return
        await self._references.save(
            conversation=turn.conversation, reference=activities.conversation_reference(context.activity)
        )
        if self._staff is not None and await self._staff.handle(context, turn):
            return  # IT staff working a ticket from its card: not a conversation with the bot
        typing = asyncio.create_task(_keep_typing(port))
        try:
            person = await self._people.lookup(
                connector=connector_of(context),
                conversation_id=activities.roster_of(context.activity),
                teams_user_id=turn.teams_user_id,
                user_key=turn.user_key,
                tenant_id=turn.tenant_id,
            )
            inbound = Inbound(
                conversation=turn.conversation,
                user=person.user,
                text=turn.text,
                choice=turn.choice,
                in_reply_to=turn.in_reply_to,
                identity_problem=person.problem,
                correlation_id=turn.delivery_id,
            )
            await self._engine.handle(inbound, port)
        except ConversationNotYoursError:
            await port.send(Reply(kind=ReplyKind.INFO, text=messages.TEAMS_NOT_YOUR_THREAD, private=True))
        except Exception:  # noqa: BLE001 - the turn-level handler: log, apologise, offer a human
            await apologise(
                port, reference=turn.delivery_id, conversation=turn.conversation.key, activity_id=turn.delivery_id
            )
        finally:
            typing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await typing

    async def _on_installed(self, context: TurnContext) -> None:
        """The app was added to a chat or team: remember where it is; in a personal chat, say hello."""
        activity = context.activity
        if not self._tenant_allowed(activities.tenant_of(activity)):
            log.warning("teams_tenant_refused", tenant=activities.tenant_of(activity), activity_id=activity.id)
            return
        scope = activities.scope_of(activity)
        conversation = activities.conversation_of(activity, scope=scope)
        await self._references.save(conversation=conversation, reference=activities.conversation_reference(activity))
        log.info("teams_installed", scope=scope, conversation=conversation.key)
        if scope == activities.PERSONAL:
            await TeamsReplyPort(context=context).send(Reply(kind=ReplyKind.INFO, text=messages.GREETING))

    def _tenant_allowed(self, tenant_id: str | None) -> bool:
        if not self._allowed_tenants:
            return True
        return tenant_id is not None and tenant_id.lower() in self._allowed_tenants

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        """Errors outside our own handler (SDK middleware): log, apologise, never show the exception."""
        log.error("turn_failed", activity_id=context.activity.id, error=type(error).__name__, exc_info=error)
        with contextlib.suppress(Exception):
            await context.send_activity(messages.TURN_FAILED.format(reference=context.activity.id or "n/a"))

    async def _stop(self, _app: web.Application) -> None:
        await self.turns.close(timeout=SHUTDOWN_GRACE_SECONDS)


TEAMS_CHANNEL = web.AppKey("teams_channel", TeamsChannel)


async def _read_activity(request: web.Request) -> Activity | None:
    """The posted activity, or None (logged) when it is not one the bot can work with."""
    try:
        body: Any = await request.json()
        activity = Activity.model_validate(body)
    except (ValueError, ValidationError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        log.warning("teams_request_rejected", reason="malformed body", error=type(error).__name__)
        return None
    if not (activity.type and activity.conversation and activity.conversation.id and activity.service_url):
        log.warning("teams_request_rejected", reason="activity without type, conversation or serviceUrl")
        return None
    return activity


async def _keep_typing(port: TeamsReplyPort) -> None:
    while True:
        await port.typing()
        await asyncio.sleep(TYPING_EVERY_SECONDS)
