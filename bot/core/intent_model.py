"""The intent classifier: a calibrated linear model over sentence embeddings and character n-grams.

The embedding carries meaning ("I can't get in" ~ "locked out"); character n-grams carry spelling variants,
typos and languages the English embedding model does not know ("Passwort zurücksetzen"). Both are fitted on the
example utterances, with the `none` examples as an explicit out-of-scope class.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
from scipy.sparse import csr_matrix, hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

# The n-gram half has tens of thousands of sparse columns against 384 dense ones; scaling the embedding up keeps
# the meaning half from being drowned by the spelling half under one regularisation strength.
EMBEDDING_WEIGHT = 2.0
REGULARISATION = 10.0  # LogisticRegression's C: few examples per class, so a light penalty fits them


class IntentModel:
    """Class probabilities for texts whose embeddings are given."""

    def __init__(self, *, texts: Sequence[str], vectors: npt.NDArray[np.float32], labels: Sequence[str]) -> None:
        self._ngrams = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), lowercase=True, sublinear_tf=True)
        features = self._features(vectors, self._ngrams.fit_transform(list(texts)))
        self._model = LogisticRegression(C=REGULARISATION, max_iter=2000, class_weight="balanced")
        with threadpool_limits(limits=1):  # a few hundred rows: threads only fight the encoder and each other
            self._model.fit(features, list(labels))
        self.classes: tuple[str, ...] = tuple(str(label) for label in self._model.classes_)

    def probabilities(self, texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> npt.NDArray[np.float64]:
        """One row per text, one column per class (in `classes` order), each row summing to one."""
        features = self._features(vectors, self._ngrams.transform(list(texts)))
        return np.asarray(self._model.predict_proba(features), dtype=np.float64)

    @staticmethod
    def _features(vectors: npt.NDArray[np.float32], ngrams: csr_matrix) -> csr_matrix:
        return csr_matrix(hstack([csr_matrix(vectors * EMBEDDING_WEIGHT), ngrams], format="csr"))
