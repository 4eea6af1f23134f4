"""Answers from the knowledge base: answer, clarify or hand off a question, then hear whether the answer helped."""

from __future__ import annotations

import structlog

from bot import messages
from bot.core.choices import HELPED, NONE_OF_THESE, NOT_HELPFUL, TALK_TO_PERSON
from bot.core.flows import ClarifyFlow
from bot.core.model import Answer, Choice, Reply, ReplyKind
from bot.core.policy import AnswerPolicy
from bot.core.ports import ConversationStore, KnowledgeBase
from bot.core.turn import ConversationTurn

log = structlog.get_logger(__name__)

UNHELPFUL_BEFORE_HANDOFF = 2


class KnowledgeAnswers:
    """The articles' side of a turn: a typed question, an article picked while clarifying, feedback on an answer."""

    def __init__(self, *, knowledge: KnowledgeBase, policy: AnswerPolicy, store: ConversationStore) -> None:
        self._knowledge = knowledge
        self.policy = policy
        self._store = store

    async def consult(self, turn: ConversationTurn, *, question: str) -> None:
        """Answer `question` when confident, offer the closest articles when ambiguous, else hand off."""
        retrieval = await self._knowledge.retrieve(question)
        decision = self.policy.decide(retrieval)
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
            options = retrieval.top_articles(self.policy.clarify_options)
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

    async def clarify_choice(self, turn: ConversationTurn, choice: str) -> None:
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

    async def helped(self, turn: ConversationTurn, _rest: str) -> None:
        """The "this helped" button under an answer."""
        await self._feedback(turn, helpful=True)

    async def not_helpful(self, turn: ConversationTurn, _rest: str) -> None:
        """The "this did not help" button under an answer."""
        await self._feedback(turn, helpful=False)

    async def _feedback(self, turn: ConversationTurn, *, helpful: bool) -> None:
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
                question=await turn.last_question(),
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


def _answer_reply(answer: Answer, *, confidence: float) -> Reply:
    feedback = (
        Choice(id=HELPED, label=messages.FEEDBACK_HELPED),
        Choice(id=NOT_HELPFUL, label=messages.FEEDBACK_NOT_HELPFUL),
        Choice(id=TALK_TO_PERSON, label=messages.TALK_TO_PERSON),
    )
    return Reply(
        kind=ReplyKind.ANSWER, text=answer.text, confidence=confidence, citations=answer.citations, choices=feedback
    )
