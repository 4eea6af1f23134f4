"""The conversation engine: one verified message in, replies out (design §4, "Message turn")."""

from __future__ import annotations

from dataclasses import dataclass, replace

import structlog

from bot import messages
from bot.core.answers import KnowledgeAnswers
from bot.core.choices import (
    CLOSE_TICKET,
    HELPED,
    NOT_HELPFUL,
    RATING_PREFIX,
    TALK_TO_PERSON,
    ChoiceRouter,
    Exact,
    Prefix,
)
from bot.core.flows import ActionFlow, ClarifyFlow
from bot.core.intents import ACTION_INTENTS, SMALL_TALK_INTENTS
from bot.core.message_reading import read_message
from bot.core.model import Choice, ConversationState, Inbound, IntentMatch, Reply, ReplyKind, TurnResult
from bot.core.policy import AnswerPolicy
from bot.core.ports import (
    Contacts,
    ConversationStore,
    HandoffQueue,
    IncidentWatch,
    IntentDetector,
    KnowledgeBase,
    LanguageDetector,
    ReplyPort,
    SelfService,
    TicketRelay,
    TurnOrder,
)
from bot.core.text import clean_message
from bot.core.ticket_side import TicketSide
from bot.core.turn import ConversationTurn

log = structlog.get_logger(__name__)


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
        language: tells German from English in typed text; without it, the bot's own messages are English.
    """

    self_service: SelfService | None = None
    contacts: Contacts | None = None
    relay: TicketRelay | None = None
    incidents: IncidentWatch | None = None
    turn_order: TurnOrder | None = None
    language: LanguageDetector | None = None


class Engine:
    """Decides, for each message, whether to answer, clarify, act or hand off — and records everything.

    The engine dispatches the turn; the articles' part is KnowledgeAnswers' (bot/core/answers.py) and the part
    about a ticket the person asked for or already has is TicketSide's (bot/core/ticket_side.py).
    """

    def __init__(self, *, conversation: ConversationSide, services: OptionalServices | None = None) -> None:
        services = services or OptionalServices()
        self._store = conversation.store
        self._intents = conversation.intents
        self._handoffs = conversation.handoffs
        self._max_chars = conversation.max_message_chars
        self._self_service = services.self_service
        self._contacts = services.contacts
        self._incidents = services.incidents
        self._turn_order = services.turn_order
        self._language = services.language
        self._answers = KnowledgeAnswers(
            knowledge=conversation.knowledge, policy=conversation.policy, store=self._store
        )
        self._tickets = TicketSide(relay=services.relay)
        # Buttons, first match wins; anything undeclared is an article offered while clarifying (or stale).
        self._choices = ChoiceRouter[ConversationTurn](fallback=self._answers.clarify_choice)
        self._choices.on(Exact(HELPED), handler=self._answers.helped)
        self._choices.on(Exact(NOT_HELPFUL), handler=self._answers.not_helpful)
        self._choices.on(Prefix(RATING_PREFIX), handler=self._tickets.rate)
        self._choices.on(Exact(TALK_TO_PERSON), handler=self._tickets.talk_to_person)
        self._choices.on(Exact(CLOSE_TICKET), handler=self._tickets.leave)
        if self._self_service is not None:
            self._choices.on(*self._self_service.choices, handler=self._action_choice)

    @property
    def policy(self) -> AnswerPolicy:
        """The answer and clarify thresholds the knowledge answers are decided by."""
        return self._answers.policy

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

    async def _handle_text(self, turn: ConversationTurn) -> None:
        if await self._refused_input(turn):
            return
        flow = turn.state.flow
        if isinstance(flow, ActionFlow) and self._self_service is not None:
            await self._continue_action(turn, self._self_service, flow)
            return
        text = turn.text
        # The articles are searched with the message as a person reads it (subject and first sentences; quoted
        # mail, signatures and disclaimers left out); the transcript and the ticket keep every word.
        question = read_message(text).text
        await self._note_language(turn)
        await turn.record_user(text)
        if turn.state.open_handoff and await self._tickets.relayed(
            turn, text, clear_answer=lambda shown: self._answers.clear_answer(question, unlike=shown)
        ):
            return
        after_clarify = isinstance(flow, ClarifyFlow)
        if after_clarify:  # typing instead of picking drops the pending question
            await turn.set_flow(None)

        match = await self._intents.detect(text)
        log.info("intent_detected", intent=match.intent, confidence=round(match.confidence, 3))
        if await self._acted_on_intent(turn, match, question=question):
            return
        if await self._known_issue(turn, text):
            return
        await self._answers.consult(turn, question=question, after_clarify=after_clarify)

    async def _note_language(self, turn: ConversationTurn) -> None:
        """The bot's messages follow the language the person types in; a word that says nothing keeps the last."""
        if self._language is None:
            return
        language = self._language(turn.text, default=turn.state.language)
        if language != turn.state.language:
            log.info("language_changed", language=language)
            await turn.save(replace(turn.state, language=language))

    async def _refused_input(self, turn: ConversationTurn) -> bool:
        """An empty or over-long message is answered with why, and goes no further."""
        text = turn.text
        if not text:
            await turn.record_user("")
            await turn.send(Reply(kind=ReplyKind.INFO, text=turn.local(messages.EMPTY_MESSAGE)))
            return True
        if len(text) > self._max_chars:
            # Cap before any model sees it; keep a note in the transcript rather than megabytes of text.
            await turn.record_user(_not_processed(text))
            notice = turn.local(messages.TOO_LONG).format(length=len(text), limit=self._max_chars)
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
        if actions.answers_step(flow, turn.text) or not await self._asked_for_human(turn, turn.text):
            await actions.resume(turn, flow)

    async def _action_choice(self, turn: ConversationTurn, _rest: str) -> None:
        """A self-service action's button (confirm, cancel, approve, deny), in any conversation."""
        if self._self_service is None:  # the router declares this choice only when there is one
            raise RuntimeError("an action choice arrived without self-service actions")
        await turn.record_user(f"[chose: {turn.inbound.choice}]")
        await self._self_service.choose(turn)

    async def _acted_on_intent(self, turn: ConversationTurn, match: IntentMatch, *, question: str) -> bool:
        """A person asking for a human, small talk, or a self-service action: handled here, not by the articles."""
        if match.intent == "human":
            await self._tickets.asked_for_person(turn, confidence=match.confidence)
            return True
        if match.intent in SMALL_TALK_INTENTS:
            await turn.send(
                Reply(
                    kind=ReplyKind.INFO,
                    text=turn.local(_small_talk(match.intent)),
                    intent=match.intent,
                    confidence=match.confidence,
                )
            )
            return True
        if match.intent not in ACTION_INTENTS:
            return False
        if self._self_service is not None and self._self_service.can_run(match.intent):
            await self._self_service.start(turn, intent=match.intent, confidence=match.confidence)
            return True
        await self._answers.instead_of_action(turn, intent=match.intent, confidence=match.confidence, question=question)
        return True

    async def _known_issue(self, turn: ConversationTurn, text: str) -> bool:
        """Report the problem to the incident watch; when it matches a confirmed incident, say IT is on it."""
        if self._incidents is None:
            return False
        known = await self._incidents.report(conversation=turn.inbound.conversation, user=turn.inbound.user, text=text)
        if known is None:
            return False
        log.info("known_issue_told", incident=known.incident)
        told = turn.local(messages.KNOWN_ISSUE).format(
            incident=known.incident, title=messages.incident_title(known.title)
        )
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


def _not_processed(text: str) -> str:
    return f"[message of {len(text)} characters not processed]"


def _small_talk(intent: str) -> str:
    return {"greeting": messages.GREETING, "help": messages.HELP, "thanks": messages.THANKS}[intent]
