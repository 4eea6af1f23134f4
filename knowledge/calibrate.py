"""Fit the confidence model and choose the answer / clarify thresholds on labelled questions.

Every labelled question is scored by a model that never saw it (5-fold cross-validation), and the
thresholds are chosen on those held-out scores, so the reported precision is what a new question can
expect. The final weights are then fitted on all questions and written with the thresholds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from knowledge.confidence import ConfidenceModel, retrieval_features
from knowledge.retrieval import HybridRetriever

CLARIFY_OPTIONS = 3


@dataclass(frozen=True, kw_only=True)
class LabelledQuestion:
    question: str
    article_id: str | None  # None: the knowledge base cannot answer it


@dataclass(frozen=True, kw_only=True)
class Observation:
    """What retrieval did with one labelled question."""

    item: LabelledQuestion
    features: list[float]
    top_correct: bool
    in_top_choices: bool


def load_questions(path: Path) -> list[LabelledQuestion]:
    """Read JSON Lines {"question", "article_id"|null}; a clear error names the bad line."""
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            items.append(LabelledQuestion(question=str(data["question"]), article_id=data["article_id"]))
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f'{path}:{number}: expected {{"question", "article_id"}}: {error}') from error
    return items


async def observe(*, retriever: HybridRetriever, questions: Sequence[LabelledQuestion]) -> list[Observation]:
    """Run hybrid retrieval for each question and record features and correctness."""
    observations = []
    for item in questions:
        result = await retriever.search(item.question, k=10)
        ranked = result.article_ids()
        observations.append(
            Observation(
                item=item,
                features=retrieval_features(result),
                top_correct=item.article_id is not None and bool(ranked) and ranked[0] == item.article_id,
                in_top_choices=item.article_id is not None and item.article_id in ranked[:CLARIFY_OPTIONS],
            )
        )
    return observations


@dataclass(frozen=True, kw_only=True)
class _Columns:
    """The observations as arrays, one row per question."""

    features: np.ndarray
    correct: np.ndarray
    useful: np.ndarray
    unanswerable: np.ndarray

    @classmethod
    def of(cls, observations: Sequence[Observation]) -> _Columns:
        return cls(
            features=np.array([o.features for o in observations], dtype=float),
            correct=np.array([o.top_correct for o in observations]),
            useful=np.array([o.in_top_choices for o in observations]),
            unanswerable=np.array([o.item.article_id is None for o in observations]),
        )


def held_out_scores(observations: Sequence[Observation], *, folds: int = 5, seed: int = 7) -> np.ndarray:
    """Out-of-fold probability that the top article is right, for every observation."""
    columns = _Columns.of(observations)
    x, y = columns.features, columns.correct.astype(int)
    scores = np.zeros(len(observations))
    for train, test in StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(x, y):
        model = LogisticRegression(max_iter=1000).fit(x[train], y[train])
        scores[test] = model.predict_proba(x[test])[:, 1]
    return scores


def choose_thresholds(
    observations: Sequence[Observation],
    scores: np.ndarray,
    *,
    target_precision: float,
    min_useful_clarify: float,
    max_unanswerable_leak: float,
) -> tuple[float, float]:
    """The lowest answer threshold meeting the precision target, then the lowest clarify threshold whose band
    still mostly offers the right article and lets few unanswerable questions through."""
    grid = [t / 100 for t in range(1, 100)]
    columns = _Columns.of(observations)
    correct, useful, unanswerable = columns.correct, columns.useful, columns.unanswerable

    answer = 0.99
    for t in grid:
        answered = scores >= t
        if answered.sum() >= 5 and correct[answered].mean() >= target_precision:
            answer = t
            break
    clarify = answer
    for t in reversed([g for g in grid if g < answer]):
        band = (scores >= t) & (scores < answer)
        leak = (unanswerable & (scores >= t)).sum() / max(unanswerable.sum(), 1)
        if band.sum() and (useful[band].mean() < min_useful_clarify or leak > max_unanswerable_leak):
            break
        clarify = t
    return answer, clarify


def summarise(
    observations: Sequence[Observation], scores: np.ndarray, *, answer: float, clarify: float
) -> dict[str, Any]:
    """The figures the README reports, computed on held-out scores."""
    columns = _Columns.of(observations)
    correct, useful, unanswerable = columns.correct, columns.useful, columns.unanswerable
    answered = scores >= answer
    clarified = (scores >= clarify) & ~answered
    handed_off = ~answered & ~clarified
    answerable = ~unanswerable

    def share(mask: np.ndarray, within: np.ndarray | None = None) -> float:
        base = np.ones_like(mask, dtype=bool) if within is None else within
        return round(float((mask & base).sum() / max(base.sum(), 1)), 3)

    return {
        "questions": len(observations),
        "answerable": int(answerable.sum()),
        "unanswerable": int(unanswerable.sum()),
        "retrieval_top1_accuracy": share(correct, answerable),
        "retrieval_recall_at_3": share(useful, answerable),
        "answered_share": share(answered),
        "answered_precision": round(float(correct[answered].mean()), 3) if answered.any() else None,
        "clarified_share": share(clarified),
        "clarify_offers_right_article": round(float(useful[clarified].mean()), 3) if clarified.any() else None,
        "handed_off_share": share(handed_off),
        "answerable_answered_correctly": share(answered & correct, answerable),
        "unanswerable_handed_off": share(handed_off, unanswerable),
        "unanswerable_answered": share(answered, unanswerable),
    }


async def calibrate(
    *,
    retriever: HybridRetriever,
    questions: Sequence[LabelledQuestion],
    target_precision: float = 0.9,
    min_useful_clarify: float = 0.6,
    max_unanswerable_leak: float = 0.2,
) -> ConfidenceModel:
    """Measure, choose thresholds on held-out scores, then fit the final model on everything."""
    observations = await observe(retriever=retriever, questions=questions)
    scores = held_out_scores(observations)
    answer, clarify = choose_thresholds(
        observations,
        scores,
        target_precision=target_precision,
        min_useful_clarify=min_useful_clarify,
        max_unanswerable_leak=max_unanswerable_leak,
    )
    report = summarise(observations, scores, answer=answer, clarify=clarify)
    report["targets"] = {
        "answered_precision": target_precision,
        "clarify_useful": min_useful_clarify,
        "unanswerable_leak": max_unanswerable_leak,
    }
    columns = _Columns.of(observations)
    final = LogisticRegression(max_iter=1000).fit(columns.features, columns.correct.astype(int))
    return ConfidenceModel(
        weights=tuple(float(w) for w in final.coef_[0]),
        bias=float(final.intercept_[0]),
        answer_threshold=answer,
        clarify_threshold=clarify,
        report=report,
    )
