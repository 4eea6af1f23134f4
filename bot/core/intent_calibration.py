"""Choosing the intent threshold on held-out labelled utterances, and storing the choice in the examples file."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path

from bot.core.intents import ACTION_INTENTS, NearestExampleIntentDetector, decide_intent

MAX_FALSE_ACTION_RATE = 0.02  # a non-request mistaken for a self-service request is the costly error
SWEPT_THRESHOLDS = [t / 100 for t in range(30, 96)]

# (text, gold intent or None for out of scope, nearest example's intent, its similarity)
Row = tuple[str, str | None, str, float]


@dataclass(frozen=True, kw_only=True)
class ThresholdScore:
    threshold: float
    accuracy: float
    in_scope_accuracy: float
    out_of_scope_recall: float
    false_action_rate: float


def score_threshold(rows: list[Row], threshold: float) -> ThresholdScore:
    """Metrics for one threshold over (text, gold, nearest intent, similarity) rows."""
    correct = in_scope = in_scope_ok = oos = oos_ok = false_action = 0
    for text, gold, nearest, similarity in rows:
        predicted = decide_intent(text=text, nearest=nearest, similarity=similarity, threshold=threshold)
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


async def nearest_rows(detector: NearestExampleIntentDetector, labelled: Path) -> list[Row]:
    """Each labelled utterance (JSON Lines {text, intent|null}) with its nearest example's intent and similarity."""
    text = await asyncio.to_thread(labelled.read_text, encoding="utf-8")  # off the event loop (ASYNC240)
    items = [json.loads(line) for line in text.splitlines() if line.strip()]
    rows: list[Row] = []
    for item in items:
        intent, similarity, _ = await detector.nearest(item["text"])
        rows.append((item["text"], item["intent"], intent, similarity))
    return rows


def write_threshold(examples: Path, threshold: float) -> None:
    """Store `threshold` in the examples YAML, rewriting only its `threshold:` line (comments stay)."""
    text = examples.read_text(encoding="utf-8")
    examples.write_text(re.sub(r"(?m)^threshold:.*$", f"threshold: {threshold:.2f}", text, count=1), encoding="utf-8")
