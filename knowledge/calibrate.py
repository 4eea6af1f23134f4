"""Fit the confidence model and choose the answer / clarify thresholds on labelled questions.

Every labelled question is scored by a model that never saw it (5-fold cross-validation), and the
thresholds are chosen on those held-out scores, so the reported precision is what a new question can
expect. The final weights and caps are then fitted on all training questions and written with the
thresholds. A separate held-out set (realistic messy questions nobody tuned on) is only scored, never
fitted, and its figures go into the report next to the cross-validated ones.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from knowledge.confidence import FEATURE_NAMES, Cap, ConfidenceModel, bounded, retrieval_features
from knowledge.retrieval import HybridRetriever

CLARIFY_OPTIONS = 3
# Signals that bound the confidence on their own (see ConfidenceModel): a near-tie between the top two
# articles, or a question whose words the top article lacks, cannot be answered with high confidence.
CAPPED_FEATURES = ("dense_margin", "coverage")
REGULARISATION = 10.0  # inverse strength (sklearn's C); chosen by cross-validated log-loss on the training sets
CONFIDENT = 0.8  # "confidently wrong" in the report: a wrong article above this confidence


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


def fit(observations: Sequence[Observation]) -> tuple[LogisticRegression, tuple[Cap, ...]]:
    """The logistic model and the single-signal caps, fitted on `observations`."""
    columns = _Columns.of(observations)
    x, y = columns.features, columns.correct.astype(int)
    model = LogisticRegression(max_iter=2000, C=REGULARISATION).fit(x, y)
    caps = []
    for name in CAPPED_FEATURES:
        column = x[:, FEATURE_NAMES.index(name)]
        isotonic = IsotonicRegression(increasing=True, y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(column, y)
        caps.append(
            Cap(
                feature=name,
                xs=tuple(float(v) for v in isotonic.X_thresholds_),
                ys=tuple(float(v) for v in isotonic.y_thresholds_),
            )
        )
    return model, tuple(caps)


def _model(fitted: tuple[LogisticRegression, tuple[Cap, ...]], *, answer: float, clarify: float) -> ConfidenceModel:
    logistic, caps = fitted
    return ConfidenceModel(
        weights=tuple(float(w) for w in logistic.coef_[0]),
        bias=float(logistic.intercept_[0]),
        answer_threshold=answer,
        clarify_threshold=clarify,
        caps=caps,
    )


def scores_of(model: ConfidenceModel, observations: Sequence[Observation]) -> np.ndarray:
    """The model's confidence for every observation."""
    return np.array([model.score_features(o.features) for o in observations])


@dataclass(frozen=True, kw_only=True)
class HeldOut:
    """Out-of-fold probability and caps' bound for every observation."""

    probability: np.ndarray
    bound: np.ndarray

    def confidence(self, *, answer_threshold: float) -> np.ndarray:
        return np.array(
            [
                bounded(p, b, answer_threshold=answer_threshold)
                for p, b in zip(self.probability, self.bound, strict=True)
            ]
        )


def held_out_scores(observations: Sequence[Observation], *, folds: int = 5, seed: int = 7) -> HeldOut:
    """Out-of-fold probability that the top article is right, and the caps' bound, for every observation."""
    columns = _Columns.of(observations)
    probability = np.zeros(len(observations))
    bound = np.ones(len(observations))
    splits = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed).split(columns.features, columns.correct)
    for train, test in splits:
        model = _model(fit([observations[i] for i in train]), answer=1.0, clarify=1.0)
        for i in test:
            probability[i] = model.probability(observations[i].features)
            bound[i] = model.bound(observations[i].features)
    return HeldOut(probability=probability, bound=bound)


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
    # The lowest threshold whose whole band qualifies; judging the band only at its first question would let
    # one unanswerable question just under the answer threshold close the band.
    for t in reversed([g for g in grid if g < answer]):
        band = (scores >= t) & (scores < answer)
        leak = (unanswerable & (scores >= t)).sum() / max(unanswerable.sum(), 1)
        if leak > max_unanswerable_leak:
            break
        if band.any() and useful[band].mean() >= min_useful_clarify:
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
        "confidently_wrong": int(((scores > CONFIDENT) & ~correct).sum()),
        "confidently_wrong_share": share((scores > CONFIDENT) & ~correct),
    }


async def calibrate(
    *,
    retriever: HybridRetriever,
    questions: Sequence[LabelledQuestion],
    held_out: Sequence[LabelledQuestion] = (),
    target_precision: float = 0.9,
    min_useful_clarify: float = 0.6,
    max_unanswerable_leak: float = 0.2,
) -> ConfidenceModel:
    """Measure, choose thresholds on cross-validated scores, fit the final model on `questions`, then score
    `held_out` (never fitted on) with it for the report."""
    observations = await observe(retriever=retriever, questions=questions)
    held = held_out_scores(observations)
    # The decisions follow the probability (the caps never change them), so thresholds are chosen on it.
    answer, clarify = choose_thresholds(
        observations,
        held.probability,
        target_precision=target_precision,
        min_useful_clarify=min_useful_clarify,
        max_unanswerable_leak=max_unanswerable_leak,
    )
    report = summarise(observations, held.confidence(answer_threshold=answer), answer=answer, clarify=clarify)
    report["targets"] = {
        "answered_precision": target_precision,
        "clarify_useful": min_useful_clarify,
        "unanswerable_leak": max_unanswerable_leak,
    }
    model = _model(fit(observations), answer=answer, clarify=clarify)
    if held_out:
        unseen = await observe(retriever=retriever, questions=held_out)
        report["held_out"] = summarise(unseen, scores_of(model, unseen), answer=answer, clarify=clarify)
    return ConfidenceModel(
        weights=model.weights,
        bias=model.bias,
        answer_threshold=answer,
        clarify_threshold=clarify,
        caps=model.caps,
        report=report,
    )
