"""The answer / clarify / hand-off decision for a knowledge question."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.core.model import Retrieval

Outcome = Literal["answer", "clarify", "handoff"]


@dataclass(frozen=True, kw_only=True)
class Decision:
    """What to do with a retrieval, and why (kept for the hand-off packet and the logs)."""

    outcome: Outcome
    reason: str


@dataclass(frozen=True, kw_only=True)
class AnswerPolicy:
    """Thresholds on the calibrated confidence, chosen by `helpdesk-bot kb calibrate`.

    At or above `answer_threshold` the bot answers; between the two thresholds it asks the person to pick
    between the closest articles (if there are at least two); below `clarify_threshold` it hands off.
    """

    answer_threshold: float
    clarify_threshold: float
    clarify_options: int = 3

    def __post_init__(self) -> None:
        if not 0.0 <= self.clarify_threshold <= self.answer_threshold <= 1.0:
            raise ValueError(
                "thresholds must satisfy 0 <= clarify_threshold <= answer_threshold <= 1, "
                f"got clarify={self.clarify_threshold}, answer={self.answer_threshold}"
            )

    def decide(self, retrieval: Retrieval) -> Decision:
        """Choose the outcome for one retrieval."""
        confidence = retrieval.confidence
        if not retrieval.hits:
            return Decision(outcome="handoff", reason="no knowledge article matched")
        if confidence >= self.answer_threshold:
            return Decision(
                outcome="answer", reason=f"confidence {confidence:.2f} >= answer {self.answer_threshold:.2f}"
            )
        if confidence >= self.clarify_threshold and len(retrieval.top_articles(2)) >= 2:
            return Decision(
                outcome="clarify",
                reason=f"confidence {confidence:.2f} between clarify {self.clarify_threshold:.2f} "
                f"and answer {self.answer_threshold:.2f}",
            )
        return Decision(outcome="handoff", reason=f"confidence {confidence:.2f} < clarify {self.clarify_threshold:.2f}")
