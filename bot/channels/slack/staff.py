"""The IT staff queue in Slack: a ticket card per hand-off in the group's channel (`slack_channel`), and what
staff do from it — its buttons, the Resolve dialog, and replies (or `note:` notes) in the card's thread.

The bot must be a member of the staff channel (invite it) to post there and to see the thread replies.
A staff member is whoever Slack's users.info says clicked or wrote, by the e-mail on their profile; the ticket
operations decide what they may do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Sequence
from typing import Any

import structlog
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.channels.slack.errors import WEB_API_ERRORS, error_code
from bot.channels.slack.people import SlackPeople
from bot.channels.slack.render import escape
from bot.channels.slack.staff_blocks import (
    MESSAGE_CHARS,
    NOTE_BLOCK,
    ResolveForm,
    card,
    relay_text,
    resolve_modal,
    staff_click,
    transcript_messages,
)
from bot.channels.slack.threads import SlackTurn
from bot.core.model import Turn
from bot.core.ports import StaffOperations, TicketCardStore
from bot.core.tickets import ResolverGroup, StaffError, StaffMember, Ticket, staff_message
from bot.handoff.card_content import packed

log = structlog.get_logger(__name__)

PLATFORM = "slack"
# The bot is not in the channel, or there is no such channel: the ticket stays in the console, the log says why.
UNREACHABLE = {"channel_not_found", "not_in_channel", "is_archived"}


def card_address(channel: str, ts: str) -> str:
    """Where a card lives, as SqlTickets.add_card stores it: replies in its thread belong to its ticket."""
    return f"{PLATFORM}:{channel}:{ts}"


class SlackTicketCards:
    """Implements the core's TicketCardChannel port for Slack. Its methods raise on Web API errors; TicketCards
    logs them."""

    platform = PLATFORM

    def __init__(self, *, client: AsyncWebClient, tickets: TicketCardStore) -> None:
        self._client = client
        self._tickets = tickets

    async def publish(self, ticket: Ticket, group: ResolverGroup, transcript: Sequence[Turn]) -> None:
        if not group.slack_channel:
            return
        message = card(ticket, group)
        try:
            posted = await self._client.chat_postMessage(
                channel=group.slack_channel,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            if error_code(error) not in UNREACHABLE:
                raise
            log.warning(
                "slack_staff_channel_unreachable",
                ticket=ticket.id,
                group=group.name,
                channel=group.slack_channel,
                error=error_code(error),
                hint="invite the helpdesk app to the staff channel; the ticket is in the staff console",
            )
            return
        channel, ts = str(posted["channel"]), str(posted["ts"])
        # Stored before the thread grows, so that staff can act on the card as soon as they see it.
        await self._tickets.add_card(
            address=card_address(channel, ts),
            ticket_id=ticket.id,
            platform=PLATFORM,
            meta={"channel": channel, "ts": ts},
        )
        for text in transcript_messages(ticket, transcript):
            await self._in_thread(channel, ts, text)
        log.info("slack_ticket_card_posted", ticket=ticket.id, channel=channel)

    async def refresh(self, ticket: Ticket, group: ResolverGroup) -> None:
        message = card(ticket, group)
        for meta in await self._tickets.cards(ticket.id, platform=PLATFORM):
            await self._client.chat_update(
                channel=meta["channel"], ts=meta["ts"], text=message.text, blocks=message.blocks
            )

    async def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool) -> None:
        for meta in await self._tickets.cards(ticket.id, platform=PLATFORM):
            for piece in packed([relay_text(author=author, text=text, internal=internal)], limit=MESSAGE_CHARS):
                await self._in_thread(meta["channel"], meta["ts"], piece)

    async def alert(self, ticket: Ticket, group: ResolverGroup, text: str) -> None:
        for meta in await self._tickets.cards(ticket.id, platform=PLATFORM):
            await self._in_thread(meta["channel"], meta["ts"], text)
        if group.slack_channel:  # and in the channel itself: a thread reply alone is easily missed
            await self._client.chat_postMessage(channel=group.slack_channel, text=text)

    async def announce(self, group: ResolverGroup, text: str) -> None:
        if not group.slack_channel:
            return
        try:
            # escape(): the text quotes a person's message, and "<!channel>" in it must not ping the channel.
            await self._client.chat_postMessage(
                channel=group.slack_channel, text=escape(text), unfurl_links=False, unfurl_media=False
            )
        except SlackApiError as error:
            if error_code(error) not in UNREACHABLE:
                raise
            log.warning(
                "slack_staff_channel_unreachable",
                group=group.name,
                channel=group.slack_channel,
                error=error_code(error),
                hint="invite the helpdesk app to the staff channel",
            )

    async def _in_thread(self, channel: str, ts: str, text: str) -> None:
        await self._client.chat_postMessage(
            channel=channel, thread_ts=ts, text=text, unfurl_links=False, unfurl_media=False
        )


class SlackStaffConsole:
    """Staff working a ticket from Slack, after Slack was acknowledged. What the ticket operations refuse (or a
    failure) is told privately to whoever clicked or wrote."""

    def __init__(
        self, *, operations: StaffOperations, tickets: TicketCardStore, client: AsyncWebClient, people: SlackPeople
    ) -> None:
        self._operations = operations
        self._tickets = tickets
        self._client = client
        self._people = people

    async def click(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """Claim / Return to bot on a card; Resolve opens the dialog asking for the note."""
        pressed = staff_click(action)
        user_id, channel = _user_of(body), str((body.get("channel") or {}).get("id") or "")
        if pressed is None or not user_id or not channel:
            log.warning("slack_staff_click_ignored", reason="unreadable payload", action_id=action.get("action_id"))
            return
        reference = str(body.get("trigger_id") or "")
        if pressed.op == "resolve":
            # The trigger expires three seconds after the click, so the dialog opens first; who may resolve is
            # checked when it is submitted.
            try:
                await self._client.views_open(
                    trigger_id=reference, view=resolve_modal(ticket_id=pressed.ticket, channel=channel)
                )
            except WEB_API_ERRORS as error:
                log.error("slack_staff_dialog_failed", ticket=pressed.ticket, error=error_code(error))
                await self._tell(channel, user_id, messages.SLACK_STAFF_FAILED.format(reference=reference))
            return
        staff = await self._identify(user_id, channel)
        if staff is None:
            return
        op = self._operations.claim if pressed.op == "claim" else self._operations.return_to_bot
        await self._attempt(
            op(staff, pressed.ticket), ticket=pressed.ticket, user_id=user_id, channel=channel, reference=reference
        )

    async def resolve(self, body: dict[str, Any], form: ResolveForm) -> None:
        """The Resolve dialog was submitted (with a note: blank ones are refused in the acknowledgement)."""
        user_id = _user_of(body)
        staff = await self._identify(user_id, form.channel)
        if staff is None:
            return
        await self._attempt(
            self._operations.resolve(staff, form.ticket, note=form.note),
            ticket=form.ticket,
            user_id=user_id,
            channel=form.channel,
            reference=str(body.get("trigger_id") or ""),
        )

    async def ticket_of_thread(self, reply: SlackTurn) -> str | None:
        """The ticket whose card starts the thread `reply` was written in, or None for any other thread."""
        thread = reply.thread
        return await self._tickets.ticket_of_card(card_address(thread.channel_id, thread.thread_ts))

    async def thread_message(self, reply: SlackTurn, ticket_id: str) -> None:
        """A reply under the ticket's card goes to the person (or, after `note:`, stays with staff)."""
        structlog.contextvars.bind_contextvars(correlation_id=reply.delivery_id)
        thread = reply.thread
        staff = await self._identify(reply.user_id, thread.channel_id, thread_ts=thread.thread_ts)
        if staff is None:
            return
        text, internal = staff_message(reply.text)
        await self._attempt(
            self._operations.post(staff, ticket_id, text=text, internal=internal, origin=PLATFORM),
            ticket=ticket_id,
            user_id=reply.user_id,
            channel=thread.channel_id,
            reference=reply.delivery_id,
            thread_ts=thread.thread_ts,
        )

    async def _attempt(
        self,
        work: Awaitable[object],
        *,
        ticket: str,
        user_id: str,
        channel: str,
        reference: str,
        thread_ts: str | None = None,
    ) -> None:
        """Await one ticket operation; what went wrong is told privately to whoever asked."""
        try:
            await work
        except StaffError as error:  # its message is written for the staff member ("only members of …")
            await self._tell(channel, user_id, str(error), thread_ts=thread_ts)
        except Exception:
            log.exception("slack_staff_action_failed", ticket=ticket, user=user_id, reference=reference)
            await self._tell(
                channel, user_id, messages.SLACK_STAFF_FAILED.format(reference=reference or "n/a"), thread_ts=thread_ts
            )

    async def _identify(self, user_id: str, channel: str, *, thread_ts: str | None = None) -> StaffMember | None:
        """Who clicked or wrote, by the e-mail on their Slack profile; None (after telling them) when unknown."""
        person = await self._people.lookup(user_id)
        email = person.user.email
        if person.problem is not None or not email:
            log.warning("slack_staff_unidentified", user=user_id, problem=person.problem)
            await self._tell(channel, user_id, messages.SLACK_STAFF_UNKNOWN, thread_ts=thread_ts)
            return None
        return StaffMember(id=email.lower(), name=person.user.name or email, email=email.lower())

    async def _tell(self, channel: str, user_id: str, text: str, *, thread_ts: str | None = None) -> None:
        """An ephemeral message: only the staff member sees it, where they acted."""
        try:
            await self._client.chat_postEphemeral(channel=channel, user=user_id, text=text, thread_ts=thread_ts)
        except WEB_API_ERRORS as error:
            log.error("slack_delivery_failed", method="chat.postEphemeral", error=error_code(error), user=user_id)


def note_errors(form: ResolveForm) -> dict[str, str] | None:
    """What the Resolve dialog should show instead of closing (Slack itself only refuses an empty field)."""
    return {NOTE_BLOCK: messages.SLACK_STAFF_NOTE_MISSING} if not form.note.strip() else None


def _user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")
