"""The conversation engine: one verified message in, replies out (design §4, "Message turn")."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from bot import messages
from bot.core.intents import ACTION_INTENTS, SMALL_TALK_INTENTS
from bot.core.model import (
    Answer,
    Choice,
    ConversationState,
    HandoffPacket,
    HandoffReceipt,
    Inbound,
    KnowledgeHit,
    Reply,
    ReplyKind,
    TurnResult,
)
from bot.core.policy import AnswerPolicy
from bot.core.ports import (
    Contacts,
    ConversationStore,
    HandoffQueue,
    IncidentWatch,
    IntentDetector,
    KnowledgeBase,
    ReplyPort,
    SelfService,
    TicketRelay,
    TurnOrder,
)
from bot.core.text import clean_message

log = structlog.get_logger(__name__)

CLARIFY_FLOW = "clarify"
ACTION_FLOW = "action"
NONE_OF_THESE = "none"
# Buttons under every answer. The prefixes keep them apart from article ids offered while clarifying.
HELPED = "feedback:helped"
NOT_HELPFUL = "feedback:not_helpful"
TALK_TO_PERSON = "handoff:human"
RATING_PREFIX = "rating:"  # rating:<ticket>:<1-5>, under the note that a ticket was resolved
UNHELPFUL_BEFORE_HANDOFF = 2


class ConversationNotYoursError(PermissionError):
    """A person tried to post into a conversation someone else started."""


@dataclass(kw_only=True)
class _TurnContext:
    """Per-turn bookkeeping: the message, the state as it evolves, and the last stored sequence number."""

    inbound: Inbound
    reply_port: ReplyPort
    state: ConversationState
    text: str
    seq: int = 0
    secret_text: bool = False  # the message is a one-time code: never stored, never copied into a hand-off
    log_fields: dict[str, object] = field(default_factory=dict)


class Engine:
    """Decides, for each message, whether to answer, clarify, act or hand off — and records everything."""

    def __init__(
        self,
        *,
        store: ConversationStore,
        intents: IntentDetector,
        knowledge: KnowledgeBase,
        handoffs: HandoffQueue,
        policy: AnswerPolicy,
        max_message_chars: int,
        self_service: SelfService | None = None,
        contacts: Contacts | None = None,
        relay: TicketRelay | None = None,
        incidents: IncidentWatch | None = None,
        turn_order: TurnOrder | None = None,
    ) -> None:
        """Args:
            self_service: the verified actions; without it, action requests go to IT staff.
            contacts: remembers where each person can be reached (approvals need it).
            relay: the open ticket's side of the conversation; without it, the bot keeps answering after a
                hand-off.
            incidents: notices many people reporting the same problem; without it, each report stands alone.
            turn_order: runs one turn per conversation at a time, in arrival order (across replicas with Redis);
                without it, turns of one conversation may interleave.
        """
        self._turn_order = turn_order
        self._incidents = incidents
        self._self_service = self_service
        self._relay = relay
        self._contacts = contacts
        self._store = store
        self._intents = intents
        self._knowledge = knowledge
        self._handoffs = handoffs
        self._policy = policy
        self._max_chars = max_message_chars

    async def handle(self, inbound: Inbound, reply_port: ReplyPort) -> TurnResult:
        """Process one message and deliver the replies through `reply_port`.

        Raises:
            ConversationNotYoursError: the conversation was started by a different user.
        """
        if self._turn_order is None:
            return await self._handle(inbound, reply_port)
        async with self._turn_order.turn(inbound.conversation.key):
            return await self._handle(inbound, reply_port)

    async def _handle(self, inbound: Inbound, reply_port: ReplyPort) -> TurnResult:
        conversation = inbound.conversation
        state = await self._store.load_state(conversation)
        if state is None:
            state = ConversationState(owner_id=inbound.user.id)
            await self._store.save_state(conversation=conversation, state=state)
            if self._contacts is not None and inbound.user.email and inbound.identity_problem is None:
                await self._contacts.remember(email=inbound.user.email, conversation=conversation,
                                              user_id=inbound.user.id)
        elif state.owner_id != inbound.user.id:
            raise ConversationNotYoursError(messages.CONVERSATION_NOT_YOURS)

        turn = _TurnContext(inbound=inbound, reply_port=reply_port, state=state, text=clean_message(inbound.text))
        await self._dispatch(turn)
        return TurnResult(seq=turn.seq)

    async def _dispatch(self, turn: _TurnContext) -> None:
        choice = turn.inbound.choice
        if turn.inbound.identity_problem is not None:
            await self._handle_unknown_person(turn, problem=turn.inbound.identity_problem)
        elif choice in (HELPED, NOT_HELPFUL):
            await self._handle_feedback(turn, helpful=choice == HELPED)
        elif choice is not None and choice.startswith(RATING_PREFIX):
            await self._handle_rating(turn, choice)
        elif choice == TALK_TO_PERSON:
            await self._record_user(turn, text=f"[chose: {messages.TALK_TO_PERSON}]")
            await self._hand_off(turn, reason="the person asked for a human (button)", intent="human",
                                 confidence=None, template=messages.HANDOFF_ASKED,
                                 question=await self._last_question(turn))
        elif choice is not None and self._self_service is not None and self._self_service.owns_choice(choice):
            await self._record_user(turn, text=f"[chose: {choice}]")
            await self._self_service.choose(_ActionTurn(engine=self, turn=turn))
        elif choice is not None:
            await self._handle_choice(turn, choice)
        else:
            await self._handle_text(turn)

    async def _handle_text(self, turn: _TurnContext) -> None:
        text = turn.text
        if not text:
            await self._record_user(turn, text="")
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=messages.EMPTY_MESSAGE))
            return
        if len(text) > self._max_chars:
            # Cap before any model sees it; keep a note in the transcript rather than megabytes of text.
            await self._record_user(turn, text=_not_processed(text))
            notice = messages.TOO_LONG.format(length=len(text), limit=self._max_chars)
            await self._send(turn, Reply(kind=ReplyKind.ERROR, text=notice))
            return

        desk = self._self_service
        if desk is not None and turn.state.flow == ACTION_FLOW:
            if desk.hides_input(turn.state.flow_data):  # a one-time code: never stored, never in a hand-off
                await self._record_user(turn, text=messages.CODE_HIDDEN)
                turn.secret_text = True
                await desk.resume(_ActionTurn(engine=self, turn=turn))
                return
            await self._record_user(turn, text=text)
            if not await self._asked_for_human(turn, text):
                await desk.resume(_ActionTurn(engine=self, turn=turn))
            return
        await self._record_user(turn, text=text)
        if turn.state.open_handoff and await self._relayed(turn, text):
            return
        if turn.state.flow == CLARIFY_FLOW:  # typing instead of picking drops the pending question
            await self._set_flow(turn, flow=None, data={})

        match = await self._intents.detect(text)
        log.info("intent_detected", intent=match.intent, confidence=round(match.confidence, 3))
        if match.intent == "human":  # the ticket's question is what they needed, not "talk to a person"
            await self._hand_off(turn, reason="the person asked for a human", intent="human",
                                 confidence=match.confidence, template=messages.HANDOFF_ASKED,
                                 question=await self._last_question(turn, before=turn.seq))
            return
        if match.intent in SMALL_TALK_INTENTS:
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=_small_talk(match.intent),
                                         intent=match.intent, confidence=match.confidence))
            return
        if match.intent in ACTION_INTENTS and desk is not None:
            await desk.start(_ActionTurn(engine=self, turn=turn), intent=match.intent, confidence=match.confidence)
            return
        if match.intent in ACTION_INTENTS:
            action = messages.ACTION_LABELS[match.intent]
            await self._hand_off(turn, reason=f"self-service action '{match.intent}' is not available yet",
                                 intent=match.intent, confidence=match.confidence,
                                 template=messages.HANDOFF_ACTION.replace("{action}", action))
            return
        if await self._known_issue(turn, text):
            return
        await self._consult_knowledge(turn, question=text)

    async def _known_issue(self, turn: _TurnContext, text: str) -> bool:
        """Report the problem to the incident watch; when it matches a confirmed incident, say IT is on it."""
        if self._incidents is None:
            return False
        known = await self._incidents.report(conversation=turn.inbound.conversation, user=turn.inbound.user,
                                             text=text)
        if known is None:
            return False
        log.info("known_issue_told", incident=known.incident)
        told = messages.KNOWN_ISSUE.format(incident=known.incident, title=messages.incident_title(known.title))
        await self._send(turn, Reply(kind=ReplyKind.INFO, text=told,
                                     choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),)))
        return True

    async def _asked_for_human(self, turn: _TurnContext, text: str) -> bool:
        """In the middle of an action flow, "talk to a person" still works: the flow ends and IT takes over."""
        match = await self._intents.detect(text)
        if match.intent != "human":
            return False
        await self._set_flow(turn, flow=None, data={})
        await self._hand_off(turn, reason="the person asked for a human during a self-service action",
                             intent="human", confidence=match.confidence, template=messages.HANDOFF_ASKED)
        return True

    async def _relayed(self, turn: _TurnContext, text: str) -> bool:
        """While a ticket is open the message goes to IT (or cancels the ticket); False once it has closed."""
        ticket = turn.state.open_handoff
        if self._relay is None or ticket is None:
            return False
        user = turn.inbound.user
        if _normalised(text) in messages.HANDOFF_CANCEL_WORDS:
            await self._relay.cancel_by_person(ticket, user=user)
            await self._save(turn, replace(turn.state, open_handoff=None))
            await self._send(turn, Reply(kind=ReplyKind.INFO, handoff_id=ticket,
                                         text=messages.HANDOFF_CANCELLED.format(ticket=ticket)))
            return True
        status = await self._relay.relay_from_person(ticket, user=user, text=text)
        if status is None:  # staff closed it meanwhile: the bot answers again
            await self._save(turn, replace(turn.state, open_handoff=None))
            return False
        log.info("message_relayed", ticket=ticket, status=status)
        if status == "open":  # nobody has it yet: say where the message went; later, staff answer themselves
            await self._send(turn, Reply(kind=ReplyKind.INFO, handoff_id=ticket,
                                         text=messages.HANDOFF_RELAYED.format(ticket=ticket)))
        return True

    async def _handle_rating(self, turn: _TurnContext, choice: str) -> None:
        ticket, _, value = choice.removeprefix(RATING_PREFIX).rpartition(":")
        await self._record_user(turn, text=f"[rated {ticket}: {value}]")
        rated = (self._relay is not None and value.isdigit()
                 and await self._relay.rate(ticket, user=turn.inbound.user, rating=int(value)))
        text = (messages.RATING_THANKS.format(ticket=ticket, rating=value) if rated
                else messages.RATING_UNKNOWN)
        await self._send(turn, Reply(kind=ReplyKind.INFO, text=text, private=True))

    async def _consult_knowledge(self, turn: _TurnContext, *, question: str) -> None:
        retrieval = await self._knowledge.retrieve(question)
        decision = self._policy.decide(retrieval)
        log.info("knowledge_decision", outcome=decision.outcome, reason=decision.reason,
                 top=[h.article_id for h in retrieval.top_articles(3)])
        if decision.outcome == "answer":
            answer = await self._knowledge.answer(question=question, retrieval=retrieval)
            await self._send(turn, _answer_reply(answer, confidence=retrieval.confidence))
        elif decision.outcome == "clarify":
            options = retrieval.top_articles(self._policy.clarify_options)
            await self._set_flow(turn, flow=CLARIFY_FLOW,
                                 data={"question": question, "options": [h.article_id for h in options],
                                       "confidence": retrieval.confidence})
            choices = (*(Choice(id=h.article_id, label=h.title) for h in options),
                       Choice(id=NONE_OF_THESE, label=messages.CLARIFY_NONE))
            await self._send(turn, Reply(kind=ReplyKind.CLARIFY, text=messages.CLARIFY,
                                         confidence=retrieval.confidence, choices=choices, expects="choice"))
        else:
            await self._hand_off(turn, reason=decision.reason, intent=None, confidence=retrieval.confidence,
                                 template=messages.HANDOFF_NO_ANSWER, hits=retrieval.hits)

    async def _handle_choice(self, turn: _TurnContext, choice: str) -> None:
        data = turn.state.flow_data
        options: list[str] = list(data.get("options", [])) if turn.state.flow == CLARIFY_FLOW else []
        await self._record_user(turn, text=f"[chose: {choice}]")
        if choice not in [*options, NONE_OF_THESE] or not options:
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=messages.CLARIFY_UNKNOWN_CHOICE))
            return
        question = str(data["question"])
        await self._set_flow(turn, flow=None, data={})
        retrieval = await self._knowledge.retrieve(question)
        if choice == NONE_OF_THESE:
            await self._hand_off(turn, reason="none of the suggested articles fitted", intent=None,
                                 confidence=retrieval.confidence, template=messages.HANDOFF_NONE_OF_THESE,
                                 hits=retrieval.hits, question=question)
            return
        answer = await self._knowledge.answer(question=question, retrieval=retrieval, article_id=choice)
        await self._send(turn, _answer_reply(answer, confidence=retrieval.confidence))

    async def _handle_feedback(self, turn: _TurnContext, *, helpful: bool) -> None:
        inbound = turn.inbound
        await self._record_user(turn, text=f"[feedback: {'helped' if helpful else 'not helpful'}]")
        stored = inbound.in_reply_to is not None and await self._store.record_feedback(
            conversation=inbound.conversation, reply_seq=inbound.in_reply_to, user=inbound.user, helpful=helpful)
        log.info("feedback_recorded" if stored else "feedback_rejected", helpful=helpful, answer=inbound.in_reply_to)
        if not stored:
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=messages.FEEDBACK_UNKNOWN_ANSWER, private=True))
        elif helpful:
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=messages.FEEDBACK_THANKS, private=True))
        elif await self._store.unhelpful_answers(inbound.conversation) >= UNHELPFUL_BEFORE_HANDOFF:
            await self._hand_off(turn, reason=f"the person said {UNHELPFUL_BEFORE_HANDOFF} answers did not help",
                                 intent=None, confidence=None, template=messages.HANDOFF_NOT_HELPFUL_TWICE,
                                 question=await self._last_question(turn))
        else:
            await self._send(turn, Reply(kind=ReplyKind.INFO, text=messages.FEEDBACK_SORRY, private=True,
                                         choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),)))

    async def _handle_unknown_person(self, turn: _TurnContext, *, problem: str) -> None:
        """Nothing is answered or done for someone the channel could not identify: a human takes over."""
        text = turn.text or f"[chose: {turn.inbound.choice}]"
        await self._record_user(turn, text=text if len(text) <= self._max_chars else _not_processed(text))
        await self._hand_off(turn, reason=f"the channel could not identify the person: {problem}", intent=None,
                             confidence=None, template=messages.HANDOFF_IDENTITY_UNKNOWN)

    async def _last_question(self, turn: _TurnContext, *, before: int | None = None) -> str:
        """What the person last typed (before entry `before`, when given), for a hand-off that the message
        itself does not describe: a button, or "talk to a person"."""
        for entry in reversed(await self._store.transcript(turn.inbound.conversation)):
            if before is not None and entry.seq >= before:
                continue
            if entry.role == "user" and entry.text and not entry.text.startswith("["):
                return entry.text
        return ""

    async def _hand_off(
        self,
        turn: _TurnContext,
        *,
        reason: str,
        intent: str | None,
        confidence: float | None,
        template: str,
        hits: tuple[KnowledgeHit, ...] = (),
        question: str | None = None,
    ) -> None:
        open_ticket = turn.state.open_handoff
        if open_ticket:  # one ticket per conversation: the transcript already carries the new message
            await self._send(turn, Reply(kind=ReplyKind.HANDOFF, intent=intent, handoff_id=str(open_ticket),
                                         text=messages.HANDOFF_ALREADY_OPEN.format(ticket=open_ticket)))
            return
        inbound = turn.inbound
        if question is None:
            question = "" if turn.secret_text else turn.text
        packet = HandoffPacket(
            conversation=inbound.conversation, user=inbound.user, reason=reason, question=question,
            intent=intent, confidence=confidence,
            retrieval=hits, transcript=tuple(await self._store.transcript(inbound.conversation)),
        )
        receipt = await self._handoffs.open(packet)
        ticket = receipt.ticket
        log.info("handoff_opened", ticket=ticket, reason=reason, intent=intent)
        await self._save(turn, replace(turn.state, open_handoff=ticket))
        text = f"{template.format(ticket=ticket)}\n\n{_what_next(receipt)}"
        await self._send(turn, Reply(kind=ReplyKind.HANDOFF, text=text, intent=intent, confidence=confidence,
                                     handoff_id=ticket))

    async def _record_user(self, turn: _TurnContext, *, text: str) -> None:
        inbound = turn.inbound
        turn.seq = await self._store.append(conversation=inbound.conversation, user=inbound.user, role="user",
                                            text=text)

    async def _send(self, turn: _TurnContext, reply: Reply) -> None:
        """Store the reply in the transcript first, so a delivery failure never loses it."""
        inbound = turn.inbound
        turn.seq = await self._store.append(conversation=inbound.conversation, user=inbound.user, role="bot",
                                            text=reply.text, reply=reply)
        await turn.reply_port.send(replace(reply, seq=turn.seq))

    async def _set_flow(self, turn: _TurnContext, *, flow: str | None, data: dict[str, object]) -> None:
        await self._save(turn, replace(turn.state, flow=flow, flow_data=data))

    async def _save(self, turn: _TurnContext, state: ConversationState) -> None:
        turn.state = state
        await self._store.save_state(conversation=turn.inbound.conversation, state=state)


class _ActionTurn:
    """The engine's side of the ActionTurn port: the self-service desk answers through it."""

    def __init__(self, *, engine: Engine, turn: _TurnContext) -> None:
        self._engine = engine
        self._turn = turn

    @property
    def inbound(self) -> Inbound:
        return replace(self._turn.inbound, text=self._turn.text)

    @property
    def flow_data(self) -> dict[str, Any]:
        return dict(self._turn.state.flow_data) if self._turn.state.flow == ACTION_FLOW else {}

    async def send(self, reply: Reply) -> None:
        await self._engine._send(self._turn, reply)

    async def send_secret(self, reply: Reply, *, transcript_text: str) -> None:
        """The transcript keeps a placeholder; only the person's reply port ever sees the secret."""
        turn = self._turn
        stored = replace(reply, text=transcript_text)
        turn.seq = await self._engine._store.append(conversation=turn.inbound.conversation, user=turn.inbound.user,
                                                    role="bot", text=transcript_text, reply=stored)
        await turn.reply_port.send(replace(reply, seq=turn.seq))

    async def set_flow(self, data: dict[str, Any] | None) -> None:
        if data is None:
            await self._engine._set_flow(self._turn, flow=None, data={})
        else:
            await self._engine._set_flow(self._turn, flow=ACTION_FLOW, data=data)

    async def hand_off(self, *, reason: str, intent: str | None, confidence: float | None, template: str) -> None:
        # Escape the template's other braces (an error text may hold some) so only {ticket} is filled in.
        escaped = template.replace("{", "{{").replace("}", "}}").replace("{{ticket}}", "{ticket}")
        await self._engine._hand_off(self._turn, reason=reason, intent=intent, confidence=confidence,
                                     template=escaped)


def _what_next(receipt: HandoffReceipt) -> str:
    minutes = receipt.first_response_minutes
    within = "" if minutes is None else messages.HANDOFF_WITHIN.format(duration=_duration(minutes))
    return messages.HANDOFF_NEXT.format(within=within)


def _duration(minutes: float) -> str:
    """30 → "30 minutes", 120 → "2 hours", 1440 → "1 day": how people say response times."""
    for unit, size in (("day", 1440), ("hour", 60)):
        if minutes >= size and minutes % size == 0:
            count = int(minutes // size)
            return f"{count} {unit}{'s' if count != 1 else ''}"
    count = round(minutes)
    return f"{count} minute{'s' if count != 1 else ''}"


def _normalised(text: str) -> str:
    return " ".join(text.casefold().strip(" .!").split())


def _not_processed(text: str) -> str:
    return f"[message of {len(text)} characters not processed]"


def _answer_reply(answer: Answer, *, confidence: float) -> Reply:
    feedback = (Choice(id=HELPED, label=messages.FEEDBACK_HELPED),
                Choice(id=NOT_HELPFUL, label=messages.FEEDBACK_NOT_HELPFUL),
                Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON))
    return Reply(kind=ReplyKind.ANSWER, text=answer.text, confidence=confidence, citations=answer.citations,
                 choices=feedback)


def _small_talk(intent: str) -> str:
    return {"greeting": messages.GREETING, "help": messages.HELP, "thanks": messages.THANKS}[intent]
