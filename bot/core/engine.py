"""The conversation engine: one verified message in, replies out (design §4, "Message turn")."""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from bot import messages
from bot.core.choices import (
    HELPED,
    NONE_OF_THESE,
    NOT_HELPFUL,
    RATING_PREFIX,
    TALK_TO_PERSON,
    ChoiceRouter,
    Exact,
    Prefix,
    Rating,
)
from bot.core.flows import ActionFlow, ClarifyFlow
from bot.core.intents import ACTION_INTENTS, SMALL_TALK_INTENTS
from bot.core.model import Answer, Choice, ConversationState, Inbound, IntentMatch, Reply, ReplyKind, TurnResult
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
from bot.core.turn import ConversationTurn

log = structlog.get_logger(__name__)

UNHELPFUL_BEFORE_HANDOFF = 2


class ConversationNotYoursError(PermissionError):
    """A person tried to post into a conversation someone else started."""


@dataclass(frozen=True, kw_only=True)
class ConversationSide:
    """What every turn needs: the conversations, intents, knowledge and the IT queue."""

    store: ConversationStore
    intents: IntentDetector
    knowledge: KnowledgeBase
    handoffs: HandoffQueue
    policy: AnswerPolicy
    max_message_chars: int


@dataclass(frozen=True, kw_only=True)
class OptionalServices:
    """Services the engine works without; each one's absence is described on its field.

    Attributes:
        self_service: the verified actions; without it, action requests go to IT staff.
        contacts: remembers where each person can be reached (approvals need it).
        relay: the open ticket's side of the conversation; without it, the bot keeps answering after a hand-off.
        incidents: notices many people reporting the same problem; without it, each report stands alone.
        turn_order: runs one turn per conversation at a time, in arrival order (across replicas with Redis);
            without it, turns of one conversation may interleave.
    """

    self_service: SelfService | None = None
    contacts: Contacts | None = None
    relay: TicketRelay | None = None
    incidents: IncidentWatch | None = None
    turn_order: TurnOrder | None = None


class Engine:
    """Decides, for each message, whether to answer, clarify, act or hand off — and records everything."""

    def __init__(self, *, conversation: ConversationSide, services: OptionalServices | None = None) -> None:
        services = services or OptionalServices()
        self._store = conversation.store
        self._intents = conversation.intents
        self._knowledge = conversation.knowledge
        self._handoffs = conversation.handoffs
        self._policy = conversation.policy
        self._max_chars = conversation.max_message_chars
        self._self_service = services.self_service
        self._contacts = services.contacts
        self._relay = services.relay
        self._incidents = services.incidents
        self._turn_order = services.turn_order
        # Buttons, first match wins; anything undeclared is an article offered while clarifying (or stale).
        self._choices = ChoiceRouter[ConversationTurn](fallback=self._handle_clarify_choice)
        self._choices.on(Exact(HELPED), handler=self._helped)
        self._choices.on(Exact(NOT_HELPFUL), handler=self._not_helpful)
        self._choices.on(Prefix(RATING_PREFIX), handler=self._handle_rating)
        self._choices.on(Exact(TALK_TO_PERSON), handler=self._talk_to_person)
        if self._self_service is not None:
            self._choices.on(*self._self_service.choices, handler=self._action_choice)

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
                await self._contacts.remember(
                    email=inbound.user.email, conversation=conversation, user_id=inbound.user.id
                )
        elif state.owner_id != inbound.user.id:
            raise ConversationNotYoursError(messages.CONVERSATION_NOT_YOURS)

        turn = ConversationTurn(
            inbound=replace(inbound, text=clean_message(inbound.text)),
            reply_port=reply_port,
            state=state,
            store=self._store,
            handoffs=self._handoffs,
        )
        if inbound.identity_problem is not None:
            await self._handle_unknown_person(turn, problem=inbound.identity_problem)
        elif inbound.choice is not None:
            await self._choices.dispatch(turn, inbound.choice)
        else:
            await self._handle_text(turn)
        return TurnResult(seq=turn.seq)

    async def _handle_text(self, turn: ConversationTurn) -> None:
        if await self._refused_input(turn):
            return
        flow = turn.state.flow
        if isinstance(flow, ActionFlow) and self._self_service is not None:
            await self._continue_action(turn, self._self_service, flow)
            return
        text = turn.text
        await turn.record_user(text)
        if turn.state.open_handoff and await self._relayed(turn, text):
            return
        if isinstance(flow, ClarifyFlow):  # typing instead of picking drops the pending question
            await turn.set_flow(None)

        match = await self._intents.detect(text)
        log.info("intent_detected", intent=match.intent, confidence=round(match.confidence, 3))
        if await self._acted_on_intent(turn, match):
            return
        if await self._known_issue(turn, text):
            return
        await self._consult_knowledge(turn, question=text)

    async def _refused_input(self, turn: ConversationTurn) -> bool:
        """An empty or over-long message is answered with why, and goes no further."""
        text = turn.text
        if not text:
            await turn.record_user("")
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.EMPTY_MESSAGE))
            return True
        if len(text) > self._max_chars:
            # Cap before any model sees it; keep a note in the transcript rather than megabytes of text.
            await turn.record_user(_not_processed(text))
            notice = messages.TOO_LONG.format(length=len(text), limit=self._max_chars)
            await turn.send(Reply(kind=ReplyKind.ERROR, text=notice))
            return True
        return False

    async def _continue_action(self, turn: ConversationTurn, actions: SelfService, flow: ActionFlow) -> None:
        """The next message of an action in progress: a one-time code, a confirmation, or a call for a human."""
        if flow.awaits_code:  # a one-time code: never stored, never in a hand-off
            await turn.record_user(messages.CODE_HIDDEN)
            turn.secret_text = True
            await actions.resume(turn, flow)
            return
        await turn.record_user(turn.text)
        if not await self._asked_for_human(turn, turn.text):
            await actions.resume(turn, flow)

    async def _acted_on_intent(self, turn: ConversationTurn, match: IntentMatch) -> bool:
        """A person asking for a human, small talk, or a self-service action: handled here, not by the articles."""
        if match.intent == "human":  # the ticket's question is what they needed, not "talk to a person"
            await turn.open_ticket(
                reason="the person asked for a human",
                intent="human",
                confidence=match.confidence,
                template=messages.HANDOFF_ASKED,
                question=await self._last_question(turn, before=turn.seq),
            )
            return True
        if match.intent in SMALL_TALK_INTENTS:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=_small_talk(match.intent),
                    intent=match.intent,
                    confidence=match.confidence,
                )
            )
            return True
        if match.intent not in ACTION_INTENTS:
            return False
        if self._self_service is not None:
            await self._self_service.start(turn, intent=match.intent, confidence=match.confidence)
            return True
        action = messages.ACTION_LABELS[match.intent]
        await turn.open_ticket(
            reason=f"self-service action '{match.intent}' is not available yet",
            intent=match.intent,
            confidence=match.confidence,
            template=messages.HANDOFF_ACTION.replace("{action}", action),
        )
        return True

    async def _known_issue(self, turn: ConversationTurn, text: str) -> bool:
        """Report the problem to the incident watch; when it matches a confirmed incident, say IT is on it."""
        if self._incidents is None:
            return False
        known = await self._incidents.report(conversation=turn.inbound.conversation, user=turn.inbound.user, text=text)
        if known is None:
            return False
        log.info("known_issue_told", incident=known.incident)
        told = messages.KNOWN_ISSUE.format(incident=known.incident, title=messages.incident_title(known.title))
        await turn.send(
            Reply(kind=ReplyKind.INFO, text=told, choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),))
        )
        return True

    async def _asked_for_human(self, turn: ConversationTurn, text: str) -> bool:
        """In the middle of an action flow, "talk to a person" still works: the flow ends and IT takes over."""
        match = await self._intents.detect(text)
        if match.intent != "human":
            return False
        await turn.set_flow(None)
        await turn.open_ticket(
            reason="the person asked for a human during a self-service action",
            intent="human",
            confidence=match.confidence,
            template=messages.HANDOFF_ASKED,
        )
        return True

    async def _relayed(self, turn: ConversationTurn, text: str) -> bool:
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

    async def _consult_knowledge(self, turn: ConversationTurn, *, question: str) -> None:
        retrieval = await self._knowledge.retrieve(question)
        decision = self._policy.decide(retrieval)
        log.info(
            "knowledge_decision",
            outcome=decision.outcome,
            reason=decision.reason,
            top=[h.article_id for h in retrieval.top_articles(3)],
        )
        if decision.outcome == "answer":
            answer = await self._knowledge.answer(question=question, retrieval=retrieval)
            await turn.send(_answer_reply(answer, confidence=retrieval.confidence))
        elif decision.outcome == "clarify":
            options = retrieval.top_articles(self._policy.clarify_options)
            await turn.set_flow(
                ClarifyFlow(
                    question=question, options=tuple(h.article_id for h in options), confidence=retrieval.confidence
                )
            )
            choices = (
                *(Choice(id=h.article_id, label=h.title) for h in options),
                Choice(id=NONE_OF_THESE, label=messages.CLARIFY_NONE),
            )
            await turn.send(
                Reply(
                    kind=ReplyKind.CLARIFY,
                    text=messages.CLARIFY,
                    confidence=retrieval.confidence,
                    choices=choices,
                    expects="choice",
                )
            )
        else:
            await turn.open_ticket(
                reason=decision.reason,
                intent=None,
                confidence=retrieval.confidence,
                template=messages.HANDOFF_NO_ANSWER,
                hits=retrieval.hits,
            )

    # ---- buttons (declared in __init__) ------------------------------------------------------------------

    async def _handle_clarify_choice(self, turn: ConversationTurn, choice: str) -> None:
        """An article offered while clarifying, or "none of these"; anything else is stale or invented."""
        flow = turn.state.flow
        await turn.record_user(f"[chose: {choice}]")
        if not isinstance(flow, ClarifyFlow) or not flow.options or choice not in (*flow.options, NONE_OF_THESE):
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.CLARIFY_UNKNOWN_CHOICE))
            return
        await turn.set_flow(None)
        retrieval = await self._knowledge.retrieve(flow.question)
        if choice == NONE_OF_THESE:
            await turn.open_ticket(
                reason="none of the suggested articles fitted",
                intent=None,
                confidence=retrieval.confidence,
                template=messages.HANDOFF_NONE_OF_THESE,
                hits=retrieval.hits,
                question=flow.question,
            )
            return
        answer = await self._knowledge.answer(question=flow.question, retrieval=retrieval, article_id=choice)
        await turn.send(_answer_reply(answer, confidence=retrieval.confidence))

    async def _action_choice(self, turn: ConversationTurn, _rest: str) -> None:
        if self._self_service is None:  # the router declares this choice only when there is one
            raise RuntimeError("an action choice arrived without self-service actions")
        await turn.record_user(f"[chose: {turn.inbound.choice}]")
        await self._self_service.choose(turn)

    async def _talk_to_person(self, turn: ConversationTurn, _rest: str) -> None:
        await turn.record_user(f"[chose: {messages.TALK_TO_PERSON}]")
        await turn.open_ticket(
            reason="the person asked for a human (button)",
            intent="human",
            confidence=None,
            template=messages.HANDOFF_ASKED,
            question=await self._last_question(turn),
        )

    async def _handle_rating(self, turn: ConversationTurn, rest: str) -> None:
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

    async def _helped(self, turn: ConversationTurn, _rest: str) -> None:
        await self._handle_feedback(turn, helpful=True)

    async def _not_helpful(self, turn: ConversationTurn, _rest: str) -> None:
        await self._handle_feedback(turn, helpful=False)

    async def _handle_feedback(self, turn: ConversationTurn, *, helpful: bool) -> None:
        inbound = turn.inbound
        await turn.record_user(f"[feedback: {'helped' if helpful else 'not helpful'}]")
        stored = inbound.in_reply_to is not None and await self._store.record_feedback(
            conversation=inbound.conversation, reply_seq=inbound.in_reply_to, user=inbound.user, helpful=helpful
        )
        log.info("feedback_recorded" if stored else "feedback_rejected", helpful=helpful, answer=inbound.in_reply_to)
        if not stored:
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.FEEDBACK_UNKNOWN_ANSWER, private=True))
        elif helpful:
            await turn.send(Reply(kind=ReplyKind.INFO, text=messages.FEEDBACK_THANKS, private=True))
        elif await self._store.unhelpful_answers(inbound.conversation) >= UNHELPFUL_BEFORE_HANDOFF:
            await turn.open_ticket(
                reason=f"the person said {UNHELPFUL_BEFORE_HANDOFF} answers did not help",
                intent=None,
                confidence=None,
                template=messages.HANDOFF_NOT_HELPFUL_TWICE,
                question=await self._last_question(turn),
            )
        else:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=messages.FEEDBACK_SORRY,
                    private=True,
                    choices=(Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),),
                )
            )

    # ---- helpers -----------------------------------------------------------------------------------------

    async def _handle_unknown_person(self, turn: ConversationTurn, *, problem: str) -> None:
        """Nothing is answered or done for someone the channel could not identify: a human takes over."""
        text = turn.text or f"[chose: {turn.inbound.choice}]"
        await turn.record_user(text if len(text) <= self._max_chars else _not_processed(text))
        await turn.open_ticket(
            reason=f"the channel could not identify the person: {problem}",
            intent=None,
            confidence=None,
            template=messages.HANDOFF_IDENTITY_UNKNOWN,
        )

    async def _last_question(self, turn: ConversationTurn, *, before: int | None = None) -> str:
        """What the person last typed (before entry `before`, when given), for a hand-off that the message
        itself does not describe: a button, or "talk to a person"."""
        for entry in reversed(await self._store.transcript(turn.inbound.conversation)):
            if before is not None and entry.seq >= before:
                continue
            if entry.role == "user" and entry.text and not entry.text.startswith("["):
                return entry.text
        return ""


def _normalised(text: str) -> str:
    return " ".join(text.casefold().strip(" .!").split())


def _not_processed(text: str) -> str:
    return f"[message of {len(text)} characters not processed]"


def _answer_reply(answer: Answer, *, confidence: float) -> Reply:
    feedback = (
        Choice(id=HELPED, label=messages.FEEDBACK_HELPED),
        Choice(id=NOT_HELPFUL, label=messages.FEEDBACK_NOT_HELPFUL),
        Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),
    )
    return Reply(
        kind=ReplyKind.ANSWER, text=answer.text, confidence=confidence, citations=answer.citations, choices=feedback
    )


def _small_talk(intent: str) -> str:
    return {"greeting": messages.GREETING, "help": messages.HELP, "thanks": messages.THANKS}[intent]
