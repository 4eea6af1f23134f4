"""Answers from the knowledge base: answer, clarify or hand off a question, then hear whether the answer helped."""

from __future__ import annotations

from dataclasses import replace

import structlog

from bot import messages
from bot.core.choices import HELPED, NONE_OF_THESE, NOT_HELPFUL, TALK_TO_PERSON
from bot.core.flows import ClarifyFlow
from bot.core.model import Answer, Choice, KnowledgeHit, Reply, ReplyKind
from bot.core.policy import AnswerPolicy, close_runner_up
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

    async def consult(self, turn: ConversationTurn, *, question: str, after_clarify: bool = False) -> None:
        """Answer `question` when confident, offer the closest articles when it is vague or ambiguous, else hand off.

        Args:
            after_clarify: typed in reply to a clarifying question; still unclear, it goes to a person.
        """
        retrieval = await self._knowledge.retrieve(question)
        decision = self.policy.decide(retrieval, after_clarify=after_clarify)
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
            await offer_articles(
                turn,
                question=question,
                options=decision.options,
                confidence=retrieval.confidence,
                text=messages.CLARIFY,
            )
        else:
            await turn.open_ticket(
                reason=decision.reason,
                intent=None,
                confidence=retrieval.confidence,
                template=messages.HANDOFF_STILL_UNCLEAR if after_clarify else messages.HANDOFF_NO_ANSWER,
                hits=retrieval.hits,
            )

    async def clear_answer(self, question: str, *, unlike: set[str]) -> Reply | None:
        """The answer to `question` when the articles answer it outright and none of its closest articles is in
        `unlike`; else None (a ticket is open: this only decides whether the bot can help meanwhile)."""
        retrieval = await self._knowledge.retrieve(question)
        decision = self.policy.decide(retrieval)
        closest = {hit.article_id for hit in retrieval.top_articles(self.policy.clarify_options)}
        log.info("knowledge_decision", outcome=decision.outcome, reason=decision.reason, while_ticket_open=True)
        if decision.outcome != "answer" or closest & unlike:
            return None
        answer = await self._knowledge.answer(question=question, retrieval=retrieval)
        return _answer_reply(answer, confidence=retrieval.confidence)

    async def instead_of_action(self, turn: ConversationTurn, *, intent: str, confidence: float, question: str) -> None:
        """An action this installation cannot carry out: the articles on doing it yourself, else a ticket.

        One article is shown when it is confidently and clearly the one; when others come close (a reset and a
        lockout article for "I forgot my password"), the person picks, which costs a click and never shows the wrong
        article's steps.
        """
        retrieval = await self._knowledge.retrieve(question)
        decision = self.policy.decide(retrieval)
        options = tuple(retrieval.top_articles(self.policy.clarify_options))
        action = turn.action_label(intent)
        log.info("self_service_article", intent=intent, outcome=decision.outcome, reason=decision.reason)
        if decision.outcome == "answer" and not close_runner_up(options):
            answer = await self._knowledge.answer(question=question, retrieval=retrieval)
            reply = _answer_reply(answer, confidence=retrieval.confidence)
            intro = turn.local(messages.ACTION_SELF_SERVICE).format(action=action)
            await turn.send(replace(reply, text=f"{intro}\n\n{reply.text}", intent=intent))
        elif retrieval.hits and (
            retrieval.confidence >= self.policy.clarify_threshold or self.policy.plausible(retrieval)
        ):
            await offer_articles(
                turn,
                question=question,
                options=options,
                confidence=retrieval.confidence,
                text=turn.local(messages.ACTION_SELF_SERVICE_OPTIONS).format(action=action),
                intent=intent,
            )
        else:
            await turn.open_ticket(
                reason=f"self-service action '{intent}' cannot run here and no article fits",
                intent=intent,
                confidence=confidence,
                template=turn.local(messages.HANDOFF_ACTION).replace("{action}", action),
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


async def offer_articles(
    turn: ConversationTurn,
    *,
    question: str,
    options: tuple[KnowledgeHit, ...],
    confidence: float,
    text: str,
    intent: str | None = None,
) -> None:
    """Ask which of `options` the person means (remembered for their pick), or none: then a person takes over.

    `intent`: the request the articles stand in for (an action this installation cannot carry out)."""
    await turn.set_flow(
        ClarifyFlow(question=question, options=tuple(h.article_id for h in options), confidence=confidence)
    )
    choices = (
        *(Choice(id=h.article_id, label=h.title) for h in options),
        Choice(id=NONE_OF_THESE, label=messages.CLARIFY_NONE),
    )
    await turn.send(
        Reply(
            kind=ReplyKind.CLARIFY,
            text=turn.local(text),
            confidence=confidence,
            choices=choices,
            expects="choice",
            intent=intent,
        )
    )
