"""One turn in progress: the message, the conversation state as it evolves, and the ways to answer."""

from __future__ import annotations

from dataclasses import replace

import structlog

from bot import messages, messages_de
from bot.core.choices import CLOSE_TICKET, NONE_OF_THESE
from bot.core.flows import Flow
from bot.core.model import (
    Choice,
    ConversationState,
    HandoffPacket,
    HandoffReceipt,
    Inbound,
    KnowledgeHit,
    Reply,
    ReplyKind,
)
from bot.core.ports import ConversationStore, HandoffQueue, ReplyPort

log = structlog.get_logger(__name__)


class ConversationTurn:
    """The engine's turn in progress; implements the FlowTurn port the self-service actions answer through."""

    def __init__(
        self,
        *,
        inbound: Inbound,
        reply_port: ReplyPort,
        state: ConversationState,
        store: ConversationStore,
        handoffs: HandoffQueue,
    ) -> None:
        """Args:
        inbound: the message, its text already cleaned.
        state: the conversation's state as loaded at the start of the turn.
        """
        self._inbound = inbound
        self._reply_port = reply_port
        self._store = store
        self._handoffs = handoffs
        self.state = state
        self.seq = 0  # the last stored transcript entry of this turn
        self.secret_text = False  # the message is a one-time code: never stored, never copied into a hand-off

    @property
    def inbound(self) -> Inbound:
        return self._inbound

    @property
    def text(self) -> str:
        return self._inbound.text

    @property
    def flow(self) -> Flow | None:
        return self.state.flow

    def local(self, text: str) -> str:
        """`text` (one of bot/messages.py's, before it is filled in) in the conversation's language."""
        return messages_de.in_language(text, self.state.language)

    def action_label(self, intent: str) -> str:
        """What a self-service action is called in a sentence, in the conversation's language."""
        if self.state.language == "de" and intent in messages_de.ACTION_LABELS:
            return messages_de.ACTION_LABELS[intent]
        return messages.ACTION_LABELS[intent]

    async def record_user(self, text: str) -> None:
        """Store what the person sent (or a placeholder for it) in the transcript."""
        inbound = self._inbound
        self.seq = await self._store.append(
            conversation=inbound.conversation, user=inbound.user, role="user", text=text
        )

    async def send(self, reply: Reply) -> None:
        """Store the reply in the transcript first, so a delivery failure never loses it."""
        await self._deliver(reply, stored=reply)

    async def send_secret(self, reply: Reply, *, transcript_text: str) -> None:
        """The transcript keeps a placeholder; only the person's reply port ever sees the secret."""
        await self._deliver(reply, stored=replace(reply, text=transcript_text))

    async def _deliver(self, reply: Reply, *, stored: Reply) -> None:
        # Button labels are the catalog's own words (or article titles, left as they are): translated here, once.
        if self.state.language != "en" and reply.choices:
            choices = tuple(replace(c, label=self.local(c.label)) for c in reply.choices)
            reply, stored = replace(reply, choices=choices), replace(stored, choices=choices)
        inbound = self._inbound
        self.seq = await self._store.append(
            conversation=inbound.conversation, user=inbound.user, role="bot", text=stored.text, reply=stored
        )
        await self._reply_port.send(replace(reply, seq=self.seq))

    async def last_question(self, *, before: int | None = None) -> str:
        """What the person last typed (before entry `before`, when given), for a hand-off that the message
        itself does not describe: a button, or "talk to a person"."""
        for entry in reversed(await self._store.transcript(self._inbound.conversation)):
            if before is not None and entry.seq >= before:
                continue
            if entry.role == "user" and entry.text and not entry.text.startswith("["):
                return entry.text
        return ""

    async def articles_shown_unless_staff_replied(self, ticket: str) -> set[str] | None:
        """The articles the bot has cited or offered in this conversation so far; None once someone from IT has
        written to the person on `ticket` (from then on they talk with IT). One read of the transcript."""
        shown: set[str] = set()
        for entry in await self._store.transcript(self._inbound.conversation):
            reply = entry.reply
            if reply is None:
                continue
            if entry.role == "staff" and reply.handoff_id == ticket:
                return None
            if entry.role != "bot":
                continue
            if reply.kind is ReplyKind.ANSWER:
                shown.update(citation.article_id for citation in reply.citations)
            elif reply.kind is ReplyKind.CLARIFY:  # its buttons are the articles offered, and "none of these"
                shown.update(choice.id for choice in reply.choices if choice.id != NONE_OF_THESE)
        return shown

    async def set_flow(self, flow: Flow | None) -> None:
        """Remember `flow` for the next turn (None: no flow in progress)."""
        await self.save(replace(self.state, flow=flow))

    async def save(self, state: ConversationState) -> None:
        self.state = state
        await self._store.save_state(conversation=self._inbound.conversation, state=state)

    async def hand_off(self, *, reason: str, intent: str | None, confidence: float | None, template: str) -> None:
        """Open a ticket and tell the person; `template` is literal text apart from its {ticket} placeholder."""
        # Escape the template's other braces (an error text may hold some) so only {ticket} is filled in.
        escaped = template.replace("{", "{{").replace("}", "}}").replace("{{ticket}}", "{ticket}")
        await self.open_ticket(reason=reason, intent=intent, confidence=confidence, template=escaped)

    async def open_ticket(
        self,
        *,
        reason: str,
        intent: str | None,
        confidence: float | None,
        template: str,
        hits: tuple[KnowledgeHit, ...] = (),
        question: str | None = None,
    ) -> None:
        """Hand the conversation to IT staff with everything they need, and tell the person what happens next.

        Args:
            template: a format string with a {ticket} field.
            question: what the ticket is about; by default this turn's message (unless it was a secret).
        """
        open_ticket = self.state.open_handoff
        if open_ticket:  # one ticket per conversation: the transcript already carries the new message
            await self.send(
                Reply(
                    kind=ReplyKind.HANDOFF,
                    intent=intent,
                    handoff_id=str(open_ticket),
                    text=self.local(messages.HANDOFF_ALREADY_OPEN).format(ticket=open_ticket),
                    choices=(LEAVE_TICKET,),
                )
            )
            return
        inbound = self._inbound
        if question is None:
            question = "" if self.secret_text else self.text
        packet = HandoffPacket(
            conversation=inbound.conversation,
            user=inbound.user,
            reason=reason,
            question=question,
            intent=intent,
            confidence=confidence,
            retrieval=hits,
            transcript=tuple(await self._store.transcript(inbound.conversation)),
        )
        receipt = await self._handoffs.open(packet)
        ticket = receipt.ticket
        log.info("handoff_opened", ticket=ticket, reason=reason, intent=intent)
        await self.save(replace(self.state, open_handoff=ticket))
        text = f"{self.local(template).format(ticket=ticket)}\n\n{self._what_next(receipt)}"
        await self.send(
            Reply(
                kind=ReplyKind.HANDOFF,
                text=text,
                intent=intent,
                confidence=confidence,
                handoff_id=ticket,
                choices=(LEAVE_TICKET,),
            )
        )

    def _what_next(self, receipt: HandoffReceipt) -> str:
        minutes = receipt.first_response_minutes
        within = "" if minutes is None else self.local(messages.HANDOFF_WITHIN).format(duration=self._duration(minutes))
        return self.local(messages.HANDOFF_NEXT).format(within=within)

    def _duration(self, minutes: float) -> str:
        """30 → "30 minutes", 120 → "2 hours", 1440 → "1 day": how people say response times."""
        count, unit = _in_units(minutes)
        if self.state.language == "de":
            return messages_de.german_duration(count, unit)
        return f"{count} {unit}{'s' if count != 1 else ''}"


def _in_units(minutes: float) -> tuple[int, str]:
    """The largest whole unit a response time is said in: (2, "hour") for 120 minutes."""
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            return int(minutes // size), unit
    return round(minutes), "minute"


# Under every notice about the open ticket: the person can always leave it (bot/core/ticket_side.py closes it).
LEAVE_TICKET = Choice(id=CLOSE_TICKET, label=messages.CLOSE_TICKET)
