"""The staff workflow on tickets — claim, message, note, resolve, return to the bot — and the person's side of
the relay (their messages, "cancel", the rating). Every place staff work (console, Slack, Teams) goes through here."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import structlog

from bot import messages, messages_de
from bot.core.choices import RATING_PREFIX
from bot.core.model import Choice, Reply, ReplyKind, UserRef
from bot.core.ports import ConversationStore, Notifier
from bot.core.tickets import (
    ACTIVE_STATUSES,
    CLAIMED_STATUSES,
    EventKind,
    StaffError,
    StaffMember,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from bot.handoff.drafts import ArticleDrafts
from bot.handoff.itsm.outbox import ItsmOutbox, Operation
from bot.handoff.members import StaffMembership
from bot.handoff.routing import StaffConfig
from bot.handoff.store import SqlTickets
from bot.handoff.ticket_cards import TicketCards

log = structlog.get_logger(__name__)

MAX_STAFF_TEXT = 4000


class TicketNotFound(StaffError):
    status, code = 404, "not_found"


class NotAllowed(StaffError):
    status, code = 403, "forbidden"


class WrongState(StaffError):
    status, code = 409, "conflict"


class InvalidInput(StaffError):
    status, code = 422, "invalid_request"


class TicketOperations:
    """Checks who may act, makes the change (atomically, with its event), then tells everyone concerned."""

    def __init__(
        self,
        *,
        tickets: SqlTickets,
        config: StaffConfig,
        membership: StaffMembership,
        notifier: Notifier,
        store: ConversationStore,
        cards: TicketCards,
        outbox: ItsmOutbox | None,
        drafts: ArticleDrafts | None,
    ) -> None:
        self._tickets = tickets
        self._config = config
        self._membership = membership
        self._notifier = notifier
        self._store = store
        self._cards = cards
        self._outbox = outbox
        self._drafts = drafts

    # ---- reading -----------------------------------------------------------------------------------------------

    async def queue(
        self, staff: StaffMember, *, statuses: list[TicketStatus] | None, group: str | None = None
    ) -> list[Ticket]:
        """The tickets of the groups `staff` works, newest first."""
        groups = await self._membership.groups_of(staff)
        if group is not None:
            groups = [name for name in groups if name == group]
        return await self._tickets.find(statuses=statuses, groups=groups)

    async def view(self, staff: StaffMember, ticket_id: str) -> tuple[Ticket, dict[str, Any], list[TicketEvent]]:
        """The ticket, its packet (transcript, retrieval, actions) and its full history."""
        ticket = await self._allowed(staff, ticket_id)
        packet = await self._tickets.packet(ticket_id) or {}
        return ticket, packet, await self._tickets.events(ticket_id)

    # ---- staff actions ------------------------------------------------------------------------------------------

    async def claim(self, staff: StaffMember, ticket_id: str) -> Ticket:
        ticket = await self._allowed(staff, ticket_id)
        if ticket.status in CLAIMED_STATUSES and ticket.assignee == staff.id:
            return ticket  # a second click (or a retry) changes nothing
        claimed = await self._tickets.transition(
            ticket_id,
            allowed_from=(TicketStatus.OPEN,),
            to=TicketStatus.CLAIMED,
            event=EventKind.CLAIMED,
            actor=staff.id,
            actor_name=staff.name,
            values={"assignee": staff.id, "assignee_name": staff.name},
        )
        if claimed is None:
            current = await self._get(ticket_id)
            if current.status in CLAIMED_STATUSES:
                raise WrongState(messages.STAFF_ALREADY_CLAIMED.format(ticket=ticket_id, name=current.assignee_name))
            raise WrongState(messages.STAFF_CLOSED.format(ticket=ticket_id, status=_said(current.status)))
        log.info("ticket_claimed", ticket=ticket_id, by=staff.id)
        await self._tickets.note_first_response(ticket_id)
        await self._tell_person(
            claimed,
            Reply(
                kind=ReplyKind.INFO,
                handoff_id=ticket_id,
                text=await self._in_their_words(claimed, messages.HANDOFF_CLAIMED, name=staff.name, ticket=ticket_id),
            ),
        )
        self._cards.refresh(claimed)
        await self._mirror(ticket_id, "status", {"status": TicketStatus.CLAIMED.value})
        return claimed

    async def post(
        self, staff: StaffMember, ticket_id: str, *, text: str, internal: bool, origin: str | None = None
    ) -> TicketEvent:
        """A message to the person (after a claim), or an internal note only staff see.

        Args:
            origin: the platform it was written on ("slack", "teams"), which already shows it.
        """
        text = _checked_text(text, what="message")
        ticket = await self._allowed(staff, ticket_id)
        if internal:
            event = await self._tickets.add_event(
                ticket_id, actor=staff.id, actor_name=staff.name, kind=EventKind.INTERNAL_NOTE, text=text, internal=True
            )
            self._cards.relay(ticket, author=staff.name, text=text, internal=True, skip=origin)
            await self._mirror(ticket_id, "comment", {"text": f"{staff.name}: {text}", "internal": True})
            return event
        if ticket.status not in CLAIMED_STATUSES:
            raise WrongState(
                messages.STAFF_CLAIM_FIRST.format(ticket=ticket_id)
                if ticket.is_active
                else messages.STAFF_CLOSED.format(ticket=ticket_id, status=_said(ticket.status))
            )
        moved = await self._tickets.transition(
            ticket_id,
            allowed_from=CLAIMED_STATUSES,
            to=TicketStatus.WAITING_ON_USER,
            event=EventKind.STAFF_MESSAGE,
            actor=staff.id,
            actor_name=staff.name,
            text=text,
        )
        if moved is None:
            raise WrongState(messages.STAFF_CLOSED.format(ticket=ticket_id, status="closed"))
        await self._tickets.note_first_response(ticket_id)
        await self._tell_person(
            moved, Reply(kind=ReplyKind.STAFF, text=text, author=staff.name, handoff_id=ticket_id), role="staff"
        )
        self._cards.relay(moved, author=staff.name, text=text, skip=origin)
        await self._mirror(ticket_id, "comment", {"text": f"{staff.name}: {text}", "internal": False})
        return await self._latest(ticket_id, EventKind.STAFF_MESSAGE)

    async def resolve(self, staff: StaffMember, ticket_id: str, *, note: str) -> Ticket:
        note = _checked_text(note, what="resolution note")
        await self._allowed(staff, ticket_id)
        resolved = await self._close(
            ticket_id,
            to=TicketStatus.RESOLVED,
            event=EventKind.RESOLVED,
            staff=staff,
            text=note,
            values={"resolution": note, "resolved_at": datetime.now(UTC)},
        )
        await self._tell_person(
            resolved,
            Reply(
                kind=ReplyKind.STAFF,
                author=staff.name,
                handoff_id=ticket_id,
                text=await self._in_their_words(
                    resolved, messages.HANDOFF_RESOLVED, name=staff.name, ticket=ticket_id, note=note
                ),
            ),
            role="staff",
        )
        await self._tell_person(
            resolved,
            Reply(
                kind=ReplyKind.INFO,
                text=await self._in_their_words(resolved, messages.HANDOFF_RATE),
                handoff_id=ticket_id,
                expects="choice",
                choices=tuple(Choice(id=f"{RATING_PREFIX}{ticket_id}:{n}", label=str(n)) for n in range(1, 6)),
            ),
        )
        await self._mirror(ticket_id, "resolve", {"note": note})
        if self._drafts is not None:  # the knowledge-gap loop: editors may turn the fix into an article
            question = _problem_statement(
                await self._tickets.packet(ticket_id) or {}, await self._tickets.events(ticket_id)
            )
            await self._drafts.suggest(ticket=ticket_id, question=question, resolution=note, category=resolved.category)
        return resolved

    async def return_to_bot(self, staff: StaffMember, ticket_id: str) -> Ticket:
        await self._allowed(staff, ticket_id)
        returned = await self._close(ticket_id, to=TicketStatus.RETURNED_TO_BOT, event=EventKind.RETURNED, staff=staff)
        await self._tell_person(
            returned,
            Reply(
                kind=ReplyKind.INFO,
                handoff_id=ticket_id,
                text=await self._in_their_words(returned, messages.HANDOFF_RETURNED, name=staff.name, ticket=ticket_id),
            ),
        )
        await self._mirror(ticket_id, "resolve", {"note": f"Handed back to the bot by {staff.name}."})
        return returned

    # ---- the person's side (the engine calls these while a ticket is open) -------------------------------------

    async def relay_from_person(self, ticket_id: str, *, user: UserRef, text: str) -> TicketStatus | None:
        """Add the person's message to the ticket; the status it is in, or None when it is closed."""
        ticket = await self._tickets.get(ticket_id)
        if ticket is None or not ticket.is_active:
            return None
        moved = None
        if ticket.status is TicketStatus.WAITING_ON_USER:  # staff asked; the person answered: back to staff
            moved = await self._tickets.transition(
                ticket_id,
                allowed_from=(TicketStatus.WAITING_ON_USER,),
                to=TicketStatus.CLAIMED,
                event=EventKind.PERSON_MESSAGE,
                actor="requester",
                actor_name=user.name,
                text=text,
            )
        if moved is None:
            await self._tickets.add_event(
                ticket_id, actor="requester", actor_name=user.name, kind=EventKind.PERSON_MESSAGE, text=text
            )
        else:
            ticket = moved
        self._cards.relay(ticket, author=_requester_label(ticket), text=text)
        await self._mirror(ticket_id, "comment", {"text": f"{_requester_label(ticket)}: {text}", "internal": False})
        return ticket.status

    async def cancel_by_person(self, ticket_id: str, *, user: UserRef) -> bool:
        """The person no longer needs help: the ticket closes as cancelled."""
        cancelled = await self._tickets.transition(
            ticket_id,
            allowed_from=ACTIVE_STATUSES,
            to=TicketStatus.CANCELLED,
            event=EventKind.CANCELLED,
            actor="requester",
            actor_name=user.name,
            text="cancelled by the person",
        )
        if cancelled is None:
            return False
        self._cards.refresh(cancelled)
        await self._mirror(ticket_id, "resolve", {"note": "Cancelled by the requester."})
        return True

    async def rate(self, ticket_id: str, *, user: UserRef, rating: int) -> bool:
        """Store the person's 1-5 rating of a resolved ticket (their latest click counts)."""
        ticket = await self._tickets.get(ticket_id)
        if (
            ticket is None
            or ticket.status is not TicketStatus.RESOLVED
            or ticket.requester.user_id != user.id
            or not 1 <= rating <= 5
        ):
            return False
        await self._tickets.set_rating(ticket_id, rating)
        log.info("ticket_rated", ticket=ticket_id, rating=rating)
        return True

    # ---- helpers ------------------------------------------------------------------------------------------------

    async def _get(self, ticket_id: str) -> Ticket:
        ticket = await self._tickets.get(ticket_id)
        if ticket is None:
            raise TicketNotFound(f"no ticket {ticket_id}")
        return ticket

    async def _latest(self, ticket_id: str, kind: EventKind) -> TicketEvent:
        events = [event for event in await self._tickets.events(ticket_id) if event.kind is kind]
        return events[-1]

    async def _allowed(self, staff: StaffMember, ticket_id: str) -> Ticket:
        ticket = await self._get(ticket_id)
        group = self._config.group(ticket.group)
        if not await self._membership.may_work(staff, group):
            log.warning("staff_refused", ticket=ticket_id, staff=staff.id, group=group.name)
            raise NotAllowed(messages.STAFF_NOT_MEMBER.format(group=group.label, ticket=ticket_id))
        return ticket

    async def _close(
        self,
        ticket_id: str,
        *,
        to: TicketStatus,
        event: EventKind,
        staff: StaffMember,
        text: str = "",
        values: dict[str, Any] | None = None,
    ) -> Ticket:
        closed = await self._tickets.transition(
            ticket_id,
            allowed_from=ACTIVE_STATUSES,
            to=to,
            event=event,
            actor=staff.id,
            actor_name=staff.name,
            text=text,
            values=values,
        )
        if closed is None:
            current = await self._get(ticket_id)
            raise WrongState(messages.STAFF_CLOSED.format(ticket=ticket_id, status=_said(current.status)))
        log.info("ticket_closed", ticket=ticket_id, status=to.value, by=staff.id)
        await self._release_conversation(closed)
        self._cards.refresh(closed)
        return closed

    async def _release_conversation(self, ticket: Ticket) -> None:
        """The bot answers this conversation on its own again."""
        state = await self._store.load_state(ticket.conversation)
        if state is not None and state.open_handoff == ticket.id:
            await self._store.save_state(conversation=ticket.conversation, state=replace(state, open_handoff=None))

    async def _in_their_words(self, of: Ticket, template: str, **fields: str) -> str:
        """`template` (from bot/messages.py) filled in, in the language of the conversation ticket `of` is from."""
        state = await self._store.load_state(of.conversation)
        return messages_de.in_language(template, state.language if state else None).format(**fields)

    async def _tell_person(self, ticket: Ticket, reply: Reply, *, role: str = "bot") -> None:
        await self._notifier.tell_conversation(
            conversation=ticket.conversation, user_id=ticket.requester.user_id, reply=reply, role=role
        )

    async def _mirror(self, ticket_id: str, operation: Operation, payload: dict[str, Any]) -> None:
        if self._outbox is not None:
            await self._outbox.enqueue(ticket_id, operation, payload)


def _problem_statement(packet: dict[str, Any], events: list[TicketEvent]) -> str:
    """What the person needed, for an article draft: their question, or when they only asked for a person,
    the first thing they then told IT."""
    if packet.get("question"):
        return str(packet["question"])
    return next((event.text for event in events if event.kind is EventKind.PERSON_MESSAGE), "")


def _checked_text(text: str, *, what: str) -> str:
    text = text.strip()
    if not text:
        raise InvalidInput(f"the {what} is empty")
    if len(text) > MAX_STAFF_TEXT:
        raise InvalidInput(f"the {what} is {len(text)} characters; the limit is {MAX_STAFF_TEXT}")
    return text


def _said(status: TicketStatus) -> str:
    return status.value.replace("_", " ")


def _requester_label(ticket: Ticket) -> str:
    return f"{ticket.requester.name or ticket.requester.email or 'The person'} (requester)"
