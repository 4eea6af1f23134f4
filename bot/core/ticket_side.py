"""The person's side of a hand-off: asking for a person, writing to IT while the ticket is open, rating it after."""

from __future__ import annotations

from dataclasses import replace

import structlog

from bot import messages
from bot.core.choices import Rating
from bot.core.model import Reply, ReplyKind
from bot.core.ports import TicketRelay
from bot.core.turn import ConversationTurn

log = structlog.get_logger(__name__)


class TicketSide:
    """Opens the ticket a person asks for, and carries their messages and rating to the ticket once it exists."""

    def __init__(self, *, relay: TicketRelay | None) -> None:
        """Args:
        relay: the open ticket's side of the conversation; without it, the bot keeps answering after a hand-off.
        """
        self._relay = relay

    async def asked_for_person(self, turn: ConversationTurn, *, confidence: float) -> None:
        """The person wrote that they want a human: the ticket's question is what they needed before that."""
        await turn.open_ticket(
            reason="the person asked for a human",
            intent="human",
            confidence=confidence,
            template=messages.HANDOFF_ASKED,
            question=await turn.last_question(before=turn.seq),
        )

    async def talk_to_person(self, turn: ConversationTurn, _rest: str) -> None:
        """The "talk to a person" button."""
        await turn.record_user(f"[chose: {messages.TALK_TO_PERSON}]")
        await turn.open_ticket(
            reason="the person asked for a human (button)",
            intent="human",
            confidence=None,
            template=messages.HANDOFF_ASKED,
            question=await turn.last_question(),
        )

    async def relayed(self, turn: ConversationTurn, text: str) -> bool:
        """While a ticket is open the message goes to IT (or cancels the ticket); False once it has closed."""
        ticket = turn.state.open_handoff
        if self._relay is None or ticket is None:
            return False
        user = turn.inbound.user
        if _normalised(text) in messages.HANDOFF_CANCEL_WORDS:
            await self._relay.cancel_by_person(ticket, user=user)
            await turn.save(replace(turn.state, open_handoff=None))
            await turn.send(
                Reply(kind=ReplyKind.INFO, handoff_id=ticket, text=messages.HANDOFF_CANCELLED.format(ticket=ticket))
            )
            return True
        status = await self._relay.relay_from_person(ticket, user=user, text=text)
        if status is None:  # staff closed it meanwhile: the bot answers again
            await turn.save(replace(turn.state, open_handoff=None))
            return False
        log.info("message_relayed", ticket=ticket, status=status)
        if status == "open":  # nobody has it yet: say where the message went; later, staff answer themselves
            await turn.send(
                Reply(kind=ReplyKind.INFO, handoff_id=ticket, text=messages.HANDOFF_RELAYED.format(ticket=ticket))
            )
        return True

    async def rate(self, turn: ConversationTurn, rest: str) -> None:
        """A rating button under a resolved ticket; `rest` is what follows RATING_PREFIX."""
        rating = Rating.parse(rest)
        await turn.record_user(f"[rated {rating.ticket}: {rating.value}]")
        score = rating.score
        rated = (
            self._relay is not None
            and score is not None
            and await self._relay.rate(rating.ticket, user=turn.inbound.user, rating=score)
        )
        text = (
            messages.RATING_THANKS.format(ticket=rating.ticket, rating=rating.value)
            if rated
            else messages.RATING_UNKNOWN
        )
        await turn.send(Reply(kind=ReplyKind.INFO, text=text, private=True))


def _normalised(text: str) -> str:
    return " ".join(text.casefold().strip(" .!").split())
