"""The ticket classifier: sentence embeddings plus TF-IDF words, into a multinomial logistic regression.

Embeddings carry meaning across wordings ("can't get online" ~ "no network"); TF-IDF carries the exact product
and team words that organisations' tickets are full of. Each row of both blocks has unit length, so neither
drowns the other. The model is saved as plain arrays and a vocabulary (no pickle): loading one runs no code.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

Vectors = npt.NDArray[np.float32]

# Word unigrams and bigrams: "access denied" and "new laptop" say more than their words apart.
TFIDF_OPTIONS: dict[str, Any] = {
    "ngram_range": (1, 2),
    "sublinear_tf": True,
    "max_features": 100_000,
    "strip_accents": "unicode",
    "lowercase": True,
}
# LogisticRegression's C: on a held-out fifth of the Endava tickets, 1, 4 and 10 gave weighted F1 0.855, 0.866, 0.866.
REGULARISATION = 4.0


@dataclass(frozen=True, kw_only=True)
class Prediction:
    """The most likely label and the model's probability for it."""

    label: str
    confidence: float


class TicketClassifier:
    """Predicts one label (a category or a resolver group) for a ticket's text."""

    def __init__(self, *, vectorizer: TfidfVectorizer, model: LogisticRegression) -> None:
        self._vectorizer = vectorizer
        self._model = model

    @classmethod
    def fit(
        cls, *, texts: Sequence[str], vectors: Vectors, labels: Sequence[str], regularisation: float = REGULARISATION
    ) -> TicketClassifier:
        """Train on labelled texts and their embeddings (rows in the same order). Needs two labels or more."""
        if len(set(labels)) < 2:
            raise ValueError("training needs at least two different labels")
        # min_df 2 drops one-off words (names, typos) on real exports; tiny sets keep every word.
        vectorizer = TfidfVectorizer(min_df=2 if len(texts) >= 1000 else 1, **TFIDF_OPTIONS)
        words = vectorizer.fit_transform(texts)
        model = LogisticRegression(C=regularisation, max_iter=2000)
        model.fit(_features(vectors, words), list(labels))
        return cls(vectorizer=vectorizer, model=model)

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(str(label) for label in self._model.classes_)

    def predict(self, *, texts: Sequence[str], vectors: Vectors) -> list[Prediction]:
        """One prediction per text; `vectors` are the texts' embeddings from the encoder the model was trained with."""
        if not texts:
            return []
        probabilities = self._model.predict_proba(_features(vectors, self._vectorizer.transform(texts)))
        best = probabilities.argmax(axis=1)
        return [
            Prediction(label=str(self._model.classes_[column]), confidence=float(probabilities[row, column]))
            for row, column in enumerate(best)
        ]

    def save(self, directory: Path) -> None:
        """Write the model as `weights.npz` (arrays) and `vocabulary.json` into `directory`."""
        directory.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            directory / "weights.npz",
            coef=self._model.coef_,
            intercept=self._model.intercept_,
            idf=self._vectorizer.idf_,
            classes=np.array(self.labels, dtype=str),
        )
        vocabulary = {term: int(index) for term, index in self._vectorizer.vocabulary_.items()}
        (directory / "vocabulary.json").write_text(json.dumps(vocabulary, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> TicketClassifier:
        """Read a model written by `save`; raises ValueError when the files are missing or inconsistent."""
        try:
            with np.load(directory / "weights.npz", allow_pickle=False) as weights:
                coef, intercept, idf, classes = (weights[key] for key in ("coef", "intercept", "idf", "classes"))
            vocabulary = json.loads((directory / "vocabulary.json").read_text(encoding="utf-8"))
        except (OSError, KeyError, ValueError) as error:
            raise ValueError(f"{directory}: not a triage model ({error})") from error
        if not isinstance(vocabulary, dict) or len(vocabulary) != idf.shape[0] or coef.shape[1] <= idf.shape[0]:
            raise ValueError(f"{directory}: vocabulary and weights do not match")
        vectorizer = TfidfVectorizer(vocabulary=vocabulary, **TFIDF_OPTIONS)
        vectorizer.idf_ = idf  # also marks the vectorizer as fitted
        model = LogisticRegression()
        model.classes_ = classes.astype(object)
        model.coef_, model.intercept_ = coef, intercept
        return cls(vectorizer=vectorizer, model=model)


def _features(vectors: Vectors, words: sp.csr_matrix) -> sp.csr_matrix:
    """[embedding | tf-idf] per row, sparse (the TF-IDF block is 99.9 % zeros)."""
    features: sp.csr_matrix = sp.hstack([sp.csr_matrix(vectors), words], format="csr")  # scipy-stubs: Any here
    return features
