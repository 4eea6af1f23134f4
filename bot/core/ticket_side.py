"""The person's side of a hand-off: asking for a person, writing to IT while the ticket is open, rating it after."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import structlog

from bot import messages, messages_de
from bot.core.choices import TALK_TO_PERSON, Rating
from bot.core.model import Choice, Reply, ReplyKind
from bot.core.ports import TicketRelay
from bot.core.turn import LEAVE_TICKET, ConversationTurn

log = structlog.get_logger(__name__)

# The answer to the message if the articles answer it outright and it is about none of the articles given (their
# ids), else None: bot/core/answers.py, KnowledgeAnswers.clear_answer.
ClearAnswer = Callable[[set[str]], Awaitable[Reply | None]]


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

    async def relayed(self, turn: ConversationTurn, text: str, *, clear_answer: ClearAnswer) -> bool:
        """While a ticket is open the message goes to IT (or cancels the ticket); False once it has closed.

        Until someone from IT has written to the person, a new question the articles answer outright is answered
        too (`clear_answer` composes that answer, or None): the ticket gets the question either way, so staff see
        it. A message close to the articles the person has already been shown is no new question but a detail of
        the problem that is with IT ("it says gateway unreachable"): it goes to IT only.
        """
        ticket = turn.state.open_handoff
        if self._relay is None or ticket is None:
            return False
        if _normalised(text) in (*messages.HANDOFF_CANCEL_WORDS, *messages_de.CANCEL_WORDS):
            await self._close(turn, ticket)
            return True
        status = await self._relay.relay_from_person(ticket, user=turn.inbound.user, text=text)
        if status is None:  # staff closed it meanwhile: the bot answers again
            await turn.save(replace(turn.state, open_handoff=None))
            return False
        log.info("message_relayed", ticket=ticket, status=status)
        answer = await _answer_meanwhile(turn, ticket, clear_answer)
        if answer is not None:
            noted = turn.local(messages.HANDOFF_NOTED).format(ticket=ticket)
            await turn.send(
                replace(answer, text=f"{answer.text}\n\n{noted}", handoff_id=ticket, choices=_with_leave(answer))
            )
            return True
        if status == "open":  # nobody has it yet: say where the message went; later, staff answer themselves
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    handoff_id=ticket,
                    text=turn.local(messages.HANDOFF_RELAYED).format(ticket=ticket),
                    choices=(LEAVE_TICKET,),
                )
            )
        return True

    async def leave(self, turn: ConversationTurn, _rest: str) -> None:
        """The "close my ticket" button under every notice about the open ticket."""
        await turn.record_user(f"[chose: {messages.CLOSE_TICKET}]")
        ticket = turn.state.open_handoff
        if self._relay is None or ticket is None:
            await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.NO_OPEN_TICKET)))
            return
        await self._close(turn, ticket)

    async def _close(self, turn: ConversationTurn, ticket: str) -> None:
        if self._relay is not None:
            await self._relay.cancel_by_person(ticket, user=turn.inbound.user)
        await turn.save(replace(turn.state, open_handoff=None))
        await turn.send(
            Reply(
                kind=ReplyKind.INFO,
                handoff_id=ticket,
                text=turn.local(messages.HANDOFF_CANCELLED).format(ticket=ticket),
            )
        )

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
            turn.local(messages.RATING_THANKS).format(ticket=rating.ticket, rating=rating.value)
            if rated
            else turn.local(messages.RATING_UNKNOWN)
        )
        await turn.send(Reply(kind=ReplyKind.INFO, text=text, private=True))


async def _answer_meanwhile(turn: ConversationTurn, ticket: str, clear_answer: ClearAnswer) -> Reply | None:
    """The bot's answer to a new question while nobody from IT has written yet; None: the message is for IT only."""
    shown = await turn.articles_shown_unless_staff_replied(ticket)
    if shown is None:
        return None  # the person is talking with IT now
    # The articles already shown are about the problem that is with IT: a message close to them is a detail of it.
    return await clear_answer(shown)


def _with_leave(answer: Reply) -> tuple[Choice, ...]:
    """The answer's buttons, with "close my ticket" where "talk to a person" was: the person already has one."""
    return (*(c for c in answer.choices if c.id != TALK_TO_PERSON), LEAVE_TICKET)


def _normalised(text: str) -> str:
    return " ".join(text.casefold().strip(" .!").split())
