"""Cross-validated scores for the ticket classifier, next to a TF-IDF + linear SVM baseline on the same folds.

Every ticket is predicted once, by the model of the fold that did not train on it, and the scores are computed
over all those out-of-fold predictions together.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import accuracy_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold
from sklearn.svm import LinearSVC

from bot.triage.classifier import TFIDF_OPTIONS, TicketClassifier, Vectors

SEED = 13


@dataclass(frozen=True, kw_only=True)
class ClassScore:
    label: str
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True, kw_only=True)
class Scores:
    """What `triage eval` prints for one model."""

    accuracy: float
    macro_f1: float
    weighted_f1: float
    per_class: tuple[ClassScore, ...]
    confusions: tuple[tuple[str, str, int], ...]  # (true label, predicted label, count), most frequent first


def score(gold: Sequence[str], predicted: Sequence[str], *, top_confusions: int = 5) -> Scores:
    """Accuracy, macro and weighted F1, per-class precision / recall / F1, and the commonest mistakes."""
    labels = sorted(set(gold))
    precision, recall, f1, support = precision_recall_fscore_support(gold, predicted, labels=labels, zero_division=0)
    weights = np.asarray(support, dtype=float)
    mistakes = Counter((g, p) for g, p in zip(gold, predicted, strict=True) if g != p)
    return Scores(
        accuracy=float(accuracy_score(gold, predicted)),
        macro_f1=float(np.mean(f1)),
        weighted_f1=float(np.average(f1, weights=weights)),
        per_class=tuple(
            ClassScore(label=label, precision=float(p), recall=float(r), f1=float(f), support=int(s))
            for label, p, r, f, s in zip(labels, precision, recall, f1, support, strict=True)
        ),
        confusions=tuple((g, p, n) for (g, p), n in mistakes.most_common(top_confusions)),
    )


Trainer = Callable[[list[str], Vectors, list[str]], Callable[[list[str], Vectors], list[str]]]


def ours(texts: list[str], vectors: Vectors, labels: list[str]) -> Callable[[list[str], Vectors], list[str]]:
    """The product's classifier (embeddings + TF-IDF, logistic regression)."""
    model = TicketClassifier.fit(texts=texts, vectors=vectors, labels=labels)
    return lambda t, v: [p.label for p in model.predict(texts=t, vectors=v)]


def baseline(texts: list[str], _vectors: Vectors, labels: list[str]) -> Callable[[list[str], Vectors], list[str]]:
    """TF-IDF words into a linear SVM: the usual text-classification baseline."""
    vectorizer = TfidfVectorizer(min_df=2 if len(texts) >= 1000 else 1, **TFIDF_OPTIONS)
    model = LinearSVC(C=0.5).fit(vectorizer.fit_transform(texts), labels)
    return lambda t, _v: [str(label) for label in model.predict(vectorizer.transform(t))]


def cross_validate(
    *,
    texts: Sequence[str],
    vectors: Vectors,
    labels: Sequence[str],
    folds: int,
    trainers: dict[str, Trainer],
    progress: Callable[[str, int], None] = lambda name, fold: None,
) -> dict[str, Scores]:
    """Out-of-fold predictions of each trainer on the same stratified folds, scored."""
    if folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    smallest = min(Counter(labels).values())
    if smallest < folds:
        raise ValueError(f"the rarest label has {smallest} rows: fewer than the {folds} folds")
    all_texts, all_labels = list(texts), np.asarray(labels, dtype=object)
    predicted = {name: np.empty(len(all_texts), dtype=object) for name in trainers}
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED)
    for fold, (train, test) in enumerate(splitter.split(np.zeros(len(all_texts)), all_labels), start=1):
        for name, trainer in trainers.items():
            progress(name, fold)
            predict = trainer([all_texts[i] for i in train], vectors[train], list(all_labels[train]))
            predicted[name][test] = predict([all_texts[i] for i in test], vectors[test])
    return {name: score(list(all_labels), list(values)) for name, values in predicted.items()}
