"""The IT staff queue in Microsoft Teams: a ticket card per hand-off in the group's staff channel, and what staff
do from it (its buttons; replies and `note:` notes in its thread).

The bot posts into a channel proactively, so it needs a stored conversation reference for it: the one saved when
the app was installed into the team. Teams files a team install under the team's General channel (whose id is
the team's): `teams_channel` is that General channel, or another channel of the team named by `teams_team`.
Each card starts a new thread there (POST /v3/conversations with the channel in channelData); the transcript,
relayed messages and SLA notices go into that thread, and the thread's own reference is stored for them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from microsoft_agents.activity import Activity, ConversationParameters
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot import messages
from bot.channels.teams import activities
from bot.channels.teams.activities import CHANNEL, TEAM_CHANNEL, TeamsTurn
from bot.channels.teams.delivery import TeamsReplyPort, connector_of
from bot.channels.teams.people import TeamsPeople
from bot.channels.teams.staff_cards import card_message, relay_text, staff_submit, transcript_messages
from bot.core.model import ConversationRef, Reply, ReplyKind, Turn
from bot.core.ports import StaffOperations, TicketCardStore
from bot.core.tickets import ResolverGroup, StaffError, StaffMember, Ticket, staff_message
from bot.store.sql.references import SqlChannelReferences

log = structlog.get_logger(__name__)

PLATFORM = "teams"

# TeamsChannel.continue_with: run the work in a proactive turn for a stored conversation reference.
Proactive = Callable[[dict[str, Any], Callable[[TurnContext], Awaitable[None]]], Awaitable[None]]


class TeamsTicketCards:
    """Implements the core's TicketCardChannel port for Teams. Its methods raise on connector errors; TicketCards
    logs them."""

    platform = PLATFORM

    def __init__(self, *, proactive: Proactive, references: SqlChannelReferences, tickets: TicketCardStore) -> None:
        self._proactive = proactive
        self._references = references
        self._tickets = tickets

    async def publish(self, ticket: Ticket, group: ResolverGroup, transcript: Sequence[Turn]) -> None:
        async def fill_thread(context: TurnContext, thread: str, activity_id: str) -> None:
            # Stored before anything else is posted, so that staff can act on the card as soon as they see it.
            await self._tickets.add_card(
                address=ConversationRef(channel=CHANNEL, id=thread).key,
                ticket_id=ticket.id,
                platform=PLATFORM,
                meta={
                    "conversation_id": thread,
                    "activity_id": activity_id,
                    "service_url": context.activity.service_url,
                },
            )
            connector = _connector(context)
            for text in transcript_messages(ticket, transcript):
                await connector.conversations.send_to_conversation(thread, _text(text))
            log.info("teams_ticket_card_posted", ticket=ticket.id, channel=group.teams_channel)

        await self._new_thread(group, card_message(ticket, group), fill_thread, about=ticket.id)

    async def announce(self, group: ResolverGroup, text: str) -> None:
        async def posted(context: TurnContext, thread: str, activity_id: str) -> None:
            log.info("teams_staff_announcement_posted", channel=group.teams_channel, thread=thread)

        await self._new_thread(
            group, _text(text).model_dump(mode="json", by_alias=True, exclude_none=True), posted, about="announcement"
        )

    async def _new_thread(
        self,
        group: ResolverGroup,
        activity: dict[str, Any],
        then: Callable[[TurnContext, str, str], Awaitable[None]],
        *,
        about: str,
    ) -> None:
        """Start a thread in the group's Teams channel with `activity`, then run `then` in that turn."""
        if not group.teams_channel:
            return
        channel = group.teams_channel
        # Any channel of the team can be reached with the team's reference (same service URL, tenant and bot).
        reference = await self._references.load(ConversationRef(channel=CHANNEL, id=group.teams_team or channel))
        if reference is None:
            log.warning(
                "teams_staff_channel_unreachable",
                about=about,
                group=group.name,
                channel=channel,
                hint="install the helpdesk app in the Teams team whose General channel this is: the bot "
                "can only post where it was installed; the staff console has everything meanwhile",
            )
            return
        tenant = (reference.get("conversation") or {}).get("tenantId")
        parameters = ConversationParameters.model_validate(
            {
                "isGroup": True,
                "activity": Activity.model_validate(activity),
                "channelData": {"channel": {"id": channel}, **({"tenant": {"id": tenant}} if tenant else {})},
                **({"tenantId": tenant} if tenant else {}),
                **({"bot": reference["bot"]} if reference.get("bot") else {}),
            }
        )

        async def start_thread(context: TurnContext) -> None:
            created = await _connector(context).conversations.create_conversation(parameters)
            if not created.id or not created.activity_id:
                raise ValueError("the connector did not say which thread it started")
            await self._references.save(
                conversation=ConversationRef(channel=CHANNEL, id=created.id),
                reference=_in_thread(reference, created.id),
            )
            await then(context, created.id, created.activity_id)

        await self._run(reference, start_thread)

    async def refresh(self, ticket: Ticket, group: ResolverGroup) -> None:
        card = card_message(ticket, group)

        async def update(connector: ConnectorClientBase, meta: dict[str, Any]) -> None:
            activity = Activity.model_validate({**card, "id": meta["activity_id"]})
            await connector.conversations.update_activity(meta["conversation_id"], meta["activity_id"], activity)

        await self._in_threads(ticket, update)

    async def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool) -> None:
        await self._post(ticket, relay_text(author=author, text=text, internal=internal))

    async def alert(self, ticket: Ticket, group: ResolverGroup, text: str) -> None:
        await self._post(ticket, text)

    async def _post(self, ticket: Ticket, text: str) -> None:
        async def send(connector: ConnectorClientBase, meta: dict[str, Any]) -> None:
            await connector.conversations.send_to_conversation(meta["conversation_id"], _text(text))

        await self._in_threads(ticket, send)

    async def _in_threads(
        self, ticket: Ticket, work: Callable[[ConnectorClientBase, dict[str, Any]], Awaitable[None]]
    ) -> None:
        """Do `work` for each Teams card of the ticket (none when its group has no Teams channel)."""
        for meta in await self._tickets.cards(ticket.id, platform=PLATFORM):
            thread = ConversationRef(channel=CHANNEL, id=str(meta["conversation_id"]))
            reference = await self._references.load(thread)
            if reference is None:
                log.warning("teams_staff_thread_unreachable", ticket=ticket.id, thread=thread.id)
                continue

            async def in_thread(context: TurnContext, meta: dict[str, Any] = meta) -> None:
                await work(_connector(context), meta)

            await self._run(reference, in_thread)

    async def _run(self, reference: dict[str, Any], work: Callable[[TurnContext], Awaitable[None]]) -> None:
        """Run `work` in a proactive turn and raise what it raised. The SDK hands errors inside a turn to the
        channel's turn-error handler, which would apologise to the person — here, into the staff channel."""
        failures: list[Exception] = []

        async def guarded(context: TurnContext) -> None:
            try:
                await work(context)
            except Exception as error:  # noqa: BLE001 - re-raised below, outside the SDK's pipeline
                failures.append(error)

        await self._proactive(reference, guarded)
        if failures:
            raise failures[0]


class TeamsStaffConsole:
    """Staff working a ticket from Teams: card buttons anywhere, and messages in a card's thread."""

    def __init__(self, *, operations: StaffOperations, tickets: TicketCardStore, people: TeamsPeople) -> None:
        self._operations = operations
        self._tickets = tickets
        self._people = people

    async def handle(self, context: TurnContext, turn: TeamsTurn) -> bool:
        """Act on a staff button or thread message; False when the turn is none of those (the bot's, then)."""
        submit = staff_submit(context.activity.value)
        ticket_id = submit.ticket if submit is not None else await self._ticket_of_thread(turn)
        if ticket_id is None:
            return False
        port = TeamsReplyPort(context=context, turn=turn)
        try:
            staff = await self._staff_member(context, turn)
            if staff is None:
                await port.send(Reply(kind=ReplyKind.INFO, text=messages.TEAMS_STAFF_UNKNOWN))
            elif submit is None:
                text, internal = staff_message(turn.text)
                await self._operations.post(staff, ticket_id, text=text, internal=internal, origin=PLATFORM)
            elif submit.op == "claim":
                await self._operations.claim(staff, ticket_id)
            elif submit.op == "return_to_bot":
                await self._operations.return_to_bot(staff, ticket_id)
            else:
                await self._operations.resolve(staff, ticket_id, note=submit.note)
        except StaffError as error:
            # Card threads live in the staff channel, so the refusal can be said where it was asked.
            await port.send(Reply(kind=ReplyKind.INFO, text=str(error)))
        except Exception:
            log.exception("teams_staff_action_failed", ticket=ticket_id, activity_id=turn.delivery_id)
            await port.send(
                Reply(kind=ReplyKind.ERROR, text=messages.TURN_FAILED.format(reference=turn.delivery_id or "n/a"))
            )
        return True

    async def _ticket_of_thread(self, turn: TeamsTurn) -> str | None:
        if turn.scope != TEAM_CHANNEL:  # cards are only ever posted in team channels
            return None
        return await self._tickets.ticket_of_card(turn.conversation.key)

    async def _staff_member(self, context: TurnContext, turn: TeamsTurn) -> StaffMember | None:
        """Who pressed or wrote, by the e-mail the Teams roster has for them (what they may do is decided later)."""
        person = await self._people.lookup(
            connector=connector_of(context),
            conversation_id=activities.roster_of(context.activity),
            teams_user_id=turn.teams_user_id,
            user_key=turn.user_key,
            tenant_id=turn.tenant_id,
        )
        email = person.user.email
        if person.problem is not None or not email:
            log.warning("teams_staff_unidentified", user=turn.user_key, problem=person.problem)
            return None
        return StaffMember(id=email.lower(), name=person.user.name or email, email=email.lower())


def _connector(context: TurnContext) -> ConnectorClientBase:
    connector = connector_of(context)
    if connector is None:
        raise RuntimeError("no connector client in the proactive turn")
    return connector


def _in_thread(reference: dict[str, Any], thread: str) -> dict[str, Any]:
    """The channel's conversation reference, pointed at one of its threads."""
    conversation = {**(reference.get("conversation") or {}), "id": thread}
    return {**{key: value for key, value in reference.items() if key != "activityId"}, "conversation": conversation}


def _text(text: str) -> Activity:
    return Activity.model_validate({"type": "message", "text": text, "textFormat": "markdown"})
