"""The answer / clarify / hand-off decision for a knowledge question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.model import KnowledgeHit, Retrieval

Outcome = Literal["answer", "clarify", "handoff"]

# A message of at most this many words names a topic rather than a problem ("wifi", "teams", "printer problem").
VAGUE_MAX_WORDS = 2
# How well the best article section must match such a message (its fused retrieval score, on the fixed scale of
# knowledge/fusion.py, not the calibrated confidence: the calibration is fitted on sentences and says little about a
# single word) before the bot asks which article is meant instead of opening a ticket. On the starter articles topic
# words score 0.30-0.56 ("sound" 0.30, "teams" 0.34, "wifi" 0.41, "printer" 0.49, "vpn" 0.56) and words no article
# fits 0.09-0.20 ("lol" 0.09, "ok" 0.13, "test" 0.16, "asdf qwerty" 0.20). The floor was chosen by looking at these
# words (bench/vague_messages.py prints them), so they are not a held-out test. Full sentences keep the calibrated
# clarify threshold: on the held-out half of knowledge/eval/questions.jsonl a floor for them would have shown
# articles to more unanswerable questions than it helped answerable ones; see docs/background/confidence.md.
PLAUSIBLE_SCORE = 0.25
# A short message is asked about even when its top article scores high, if another article comes this close to it
# (its best section's fused score as a share of the top one's): one topic word does not say which problem it is.
CLOSE_SHARE = 0.75


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What to do with a retrieval, and why (kept for the hand-off packet and the logs)."""

    outcome: Outcome
    reason: str
    options: tuple[KnowledgeHit, ...] = ()  # the articles to offer when clarifying, best first


@dataclass(frozen=True, kw_only=True)
class AnswerPolicy:
    """Thresholds on the calibrated confidence, chosen by `helpdesk-bot kb calibrate`.

    At or above `answer_threshold` the bot answers; between the two thresholds it asks the person to pick
    between the closest articles (if there are at least two); below `clarify_threshold` it hands off. A vague
    message (a word or two) is asked about instead: while any article is plausible for it (`plausible_score`),
    and even above the answer threshold when two articles fit it about equally well. A second unclear message right
    after a clarifying question goes to a person: asking again would not help.
    """

    answer_threshold: float
    clarify_threshold: float
    clarify_options: int = 3
    plausible_score: float = PLAUSIBLE_SCORE

    def __post_init__(self) -> None:
        if not 0.0 <= self.clarify_threshold <= self.answer_threshold <= 1.0:
            raise ValueError(
                "thresholds must satisfy 0 <= clarify_threshold <= answer_threshold <= 1, "
                f"got clarify={self.clarify_threshold}, answer={self.answer_threshold}"
            )

    def decide(self, retrieval: Retrieval, *, after_clarify: bool = False) -> Decision:
        """Choose the outcome for one retrieval.

        Args:
            after_clarify: the message was typed in reply to a clarifying question.
        """
        if not retrieval.hits:
            return Decision(outcome="handoff", reason="no knowledge article matched")
        confidence = retrieval.confidence
        options = tuple(retrieval.top_articles(self.clarify_options))
        words = len(retrieval.question.split())
        vague = words <= VAGUE_MAX_WORDS
        if confidence >= self.answer_threshold:
            if not (vague and close_runner_up(options)):
                return Decision(
                    outcome="answer", reason=f"confidence {confidence:.2f} >= answer {self.answer_threshold:.2f}"
                )
            reason = f"a {words}-word message that several articles fit about equally well"
        elif confidence >= self.clarify_threshold and len(options) >= 2:
            reason = (
                f"confidence {confidence:.2f} between clarify {self.clarify_threshold:.2f} "
                f"and answer {self.answer_threshold:.2f}"
            )
        elif vague and self.plausible(retrieval):
            reason = f"a {words}-word message with plausible articles (best match {retrieval.hits[0].score:.2f})"
        else:
            return Decision(
                outcome="handoff", reason=f"confidence {confidence:.2f} < clarify {self.clarify_threshold:.2f}"
            )
        if after_clarify:
            return Decision(outcome="handoff", reason=f"still unclear after a clarifying question: {reason}")
        return Decision(outcome="clarify", reason=reason, options=options)

    def plausible(self, retrieval: Retrieval) -> bool:
        """Some article section matches the message well enough to offer it (see PLAUSIBLE_SCORE)."""
        return bool(retrieval.hits) and retrieval.hits[0].score >= self.plausible_score


def close_runner_up(options: tuple[KnowledgeHit, ...]) -> bool:
    """True when the second article scores close to the first: neither is clearly the one meant."""
    return len(options) >= 2 and options[1].score >= CLOSE_SHARE * options[0].score
