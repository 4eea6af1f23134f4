"""Scoring intent decisions against labelled messages: per intent, for the actions, and for out-of-scope messages."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bot.core.intents import ACTION_INTENTS


@dataclass(frozen=True, kw_only=True)
class LabelledMessage:
    """A message with the intent a person would name (None: no intent, it goes to the knowledge base)."""

    text: str
    intent: str | None
    kind: str = ""  # e-mail, chat, German, typo …: for the per-kind breakdown


@dataclass(frozen=True, kw_only=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, kw_only=True)
class IntentReport:
    """How a detector did on a labelled set."""

    messages: int
    accuracy: float
    action_precision: float  # of the messages given an action, the share given the right one
    action_recall: float  # of the messages asking for an action, the share given that action
    out_of_scope_rate: float  # of the messages with no intent, the share given none
    false_action_rate: float  # of the messages with no intent, the share given an action (the costly error)
    per_intent: dict[str, IntentScore]
    accuracy_by_kind: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def load_labelled(path: Path) -> list[LabelledMessage]:
    """JSON Lines {text, intent|null, kind?}."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [LabelledMessage(text=r["text"], intent=r["intent"], kind=r.get("kind", "")) for r in rows]


def score_intents(items: Sequence[LabelledMessage], predicted: Sequence[str | None]) -> IntentReport:
    """Compare predictions with the labels."""
    pairs = list(zip([item.intent for item in items], predicted, strict=True))
    acted = [(gold, guess) for gold, guess in pairs if guess in ACTION_INTENTS]
    asked = [(gold, guess) for gold, guess in pairs if gold in ACTION_INTENTS]
    none = [guess for gold, guess in pairs if gold is None]
    kinds = sorted({item.kind for item in items if item.kind})
    return IntentReport(
        messages=len(pairs),
        accuracy=_share(sum(gold == guess for gold, guess in pairs), len(pairs)),
        action_precision=_share(sum(gold == guess for gold, guess in acted), len(acted)),
        action_recall=_share(sum(gold == guess for gold, guess in asked), len(asked)),
        out_of_scope_rate=_share(sum(guess is None for guess in none), len(none)),
        false_action_rate=_share(sum(guess in ACTION_INTENTS for guess in none), len(none)),
        per_intent={intent: _per_intent(pairs, intent) for intent in sorted({g for g, _ in pairs if g is not None})},
        accuracy_by_kind={
            kind: _share(
                sum(item.intent == guess for item, guess in zip(items, predicted, strict=True) if item.kind == kind),
                sum(item.kind == kind for item in items),
            )
            for kind in kinds
        },
    )


def _per_intent(pairs: list[tuple[str | None, str | None]], intent: str) -> IntentScore:
    hits = sum(gold == guess == intent for gold, guess in pairs)
    guessed = sum(guess == intent for _, guess in pairs)
    support = sum(gold == intent for gold, _ in pairs)
    precision, recall = _share(hits, guessed), _share(hits, support)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return IntentScore(precision=precision, recall=recall, f1=round(f1, 3), support=support)


def _share(part: int, whole: int) -> float:
    return round(part / whole, 3) if whole else 0.0
