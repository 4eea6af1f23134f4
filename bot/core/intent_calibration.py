"""Choosing the intent threshold on labelled development utterances, and storing the choice in the examples file."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.core.intent_evaluation import LabelledMessage
from bot.core.intents import ACTION_INTENTS, ScoredMessage, decide

MAX_FALSE_ACTION_RATE = 0.02  # a non-request mistaken for a self-service request is the costly error
SWEPT_THRESHOLDS = [t / 100 for t in range(20, 96)]

# (the scored message, its gold intent or None for out of scope)
Row = tuple[ScoredMessage, str | None]


@dataclass(frozen=True, kw_only=True)
class ThresholdScore:
    threshold: float
    accuracy: float
    in_scope_accuracy: float
    out_of_scope_recall: float
    false_action_rate: float


def score_threshold(rows: Sequence[Row], threshold: float) -> ThresholdScore:
    """Metrics for one probability threshold over scored, labelled messages."""
    correct = in_scope = in_scope_ok = oos = oos_ok = false_action = 0
    for scored, gold in rows:
        predicted = decide(scored, threshold=threshold).intent
        correct += predicted == gold
        if gold is None:
            oos += 1
            oos_ok += predicted is None
            false_action += predicted in ACTION_INTENTS
        else:
            in_scope += 1
            in_scope_ok += predicted == gold
    return ThresholdScore(
        threshold=threshold,
        accuracy=correct / len(rows),
        in_scope_accuracy=in_scope_ok / max(in_scope, 1),
        out_of_scope_recall=oos_ok / max(oos, 1),
        false_action_rate=false_action / max(oos, 1),
    )


def choose_threshold(scores: list[ThresholdScore]) -> ThresholdScore:
    """Best accuracy among thresholds that keep false actions under the limit (ties: the higher threshold)."""
    safe = [s for s in scores if s.false_action_rate <= MAX_FALSE_ACTION_RATE] or scores
    return max(safe, key=lambda s: (round(s.accuracy, 6), s.threshold))


def labelled_rows(items: Sequence[LabelledMessage], scored: Sequence[ScoredMessage]) -> list[Row]:
    """Pair each labelled message with its scores (same order)."""
    return [(message, item.intent) for item, message in zip(items, scored, strict=True)]


def write_threshold(examples: Path, threshold: float) -> None:
    """Store `threshold` in the examples YAML, rewriting only its `threshold:` line (comments stay)."""
    text = examples.read_text(encoding="utf-8")
    examples.write_text(re.sub(r"(?m)^threshold:.*$", f"threshold: {threshold:.2f}", text, count=1), encoding="utf-8")
