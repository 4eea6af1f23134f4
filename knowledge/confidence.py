"""Answer confidence: a logistic model over retrieval signals, bounded by single-signal evidence, fitted by
`kb calibrate`.

The model estimates the probability that the top-ranked article answers the question. Its weights, the caps
and the answer / clarify thresholds live in `knowledge/calibration.json`, written by the calibration command
from the labelled questions in `knowledge/eval/`, so the numbers are measured rather than guessed.

The signals read only what each retriever measured (cosine similarity, BM25 score, each side's rank) and the
query's words, never the fused score, so a change in how the two lists are fused changes the inputs only
through which article comes first; recalibrating is then one command.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.lexical import lexical_text, tokenize
from knowledge.model import ScoredChunk, SearchResult

FEATURE_NAMES = (
    "dense_top",
    "dense_margin",
    "bm25_top",
    "bm25_margin",
    "agreement",
    "coverage",
    "query_terms",
)
DEFAULT_CALIBRATION_PATH = Path(__file__).with_name("calibration.json")
_REPEATS = re.compile(r"(.)\1+")
_STEM = 5  # characters of a word that must match: "printing" covers "printer", "passwords" covers "password"


def retrieval_features(result: SearchResult) -> list[float]:
    """The signals the confidence model reads, in FEATURE_NAMES order (all 0 for an empty result).

    - dense_top, bm25_top: the top article's best cosine similarity and (squashed) BM25 score;
    - dense_margin, bm25_margin: how far the top article is ahead of the next article on each signal;
    - agreement: 1 if the dense and the BM25 rankings both put the top article first;
    - coverage: the share of the question's words found in the top article's matching sections (a question
      about "screen flickers green" shares "screen" with the meeting-room article but not the rest);
    - query_terms: log(1 + number of content words), since one-word questions are vaguer.
    """
    if not result.hits:
        return [0.0] * len(FEATURE_NAMES)
    top_article = result.hits[0].chunk.article_id
    mine = [h for h in result.hits if h.chunk.article_id == top_article]
    others = [h for h in result.hits if h.chunk.article_id != top_article]

    dense_top = _best(mine, "dense_similarity")
    bm25_top = _best(mine, "bm25_score")
    bm25_other = _best(others, "bm25_score")

    dense_first = min((h for h in result.hits if h.dense_rank is not None), key=_dense_rank, default=None)
    bm25_first = min((h for h in result.hits if h.bm25_rank is not None), key=_bm25_rank, default=None)
    agreement = float(
        dense_first is not None
        and bm25_first is not None
        and dense_first.chunk.article_id == top_article == bm25_first.chunk.article_id
    )
    terms = set(tokenize([result.query])[0])
    return [
        dense_top,
        dense_top - _best(others, "dense_similarity"),
        _squash(bm25_top),  # raw BM25 grows without bound with query length
        (bm25_top - bm25_other) / (bm25_top + 5.0) if bm25_top > 0 else 0.0,
        agreement,
        coverage(terms, (lexical_text(h.chunk) for h in mine)),
        math.log1p(len(terms)),
    ]


def coverage(terms: set[str], texts: Iterable[str]) -> float:
    """Share of `terms` that occur in `texts`, forgiving endings and doubled letters ("pasword", "printing")."""
    if not terms:
        return 0.0
    known = {_key(word) for words in tokenize(list(texts)) for word in words}
    return sum(_key(term) in known for term in terms) / len(terms)


def _key(word: str) -> str:
    return _REPEATS.sub(r"\1", word)[:_STEM]


def _squash(bm25: float) -> float:
    return bm25 / (bm25 + 5.0)


def _best(hits: list[ScoredChunk], attribute: str) -> float:
    values = [getattr(h, attribute) for h in hits if getattr(h, attribute) is not None]
    return float(max(values)) if values else 0.0


def _dense_rank(hit: ScoredChunk) -> int:
    return hit.dense_rank if hit.dense_rank is not None else 10**9


def _bm25_rank(hit: ScoredChunk) -> int:
    return hit.bm25_rank if hit.bm25_rank is not None else 10**9


@dataclass(frozen=True, kw_only=True)
class Cap:
    """An upper bound on confidence from one signal alone: a step function fitted by isotonic regression.

    Below `xs[0]` the bound is `ys[0]`, above `xs[-1]` it is `ys[-1]`, linear in between.
    """

    feature: str
    xs: tuple[float, ...]
    ys: tuple[float, ...]

    def bound(self, features: list[float]) -> float:
        value = features[FEATURE_NAMES.index(self.feature)]
        return float(np.interp(value, self.xs, self.ys))


def bounded(probability: float, bound: float, *, answer_threshold: float) -> float:
    """The probability, lowered to the caps' bound but never below the answer threshold by them.

    So the caps change how sure the bot says it is, never whether it answers, clarifies or hands off:
    those decisions stay with the calibrated probability and the thresholds chosen for it.
    """
    return min(probability, max(bound, answer_threshold))


@dataclass(frozen=True, kw_only=True)
class ConfidenceModel:
    """Logistic regression weights, the single-signal caps, and the thresholds chosen on held-out predictions.

    The confidence is the logistic model's probability, but never more than what each capped signal alone
    supports (down to the answer threshold, see `bounded`): a question whose top two articles are nearly
    tied, or whose words the top article mostly lacks, is not answered with high confidence however strong
    the other signals look.
    """

    weights: tuple[float, ...]
    bias: float
    answer_threshold: float
    clarify_threshold: float
    caps: tuple[Cap, ...] = ()
    report: dict[str, Any] = field(default_factory=dict)

    def score(self, result: SearchResult) -> float:
        """Estimated probability in [0, 1] that the top article of `result` answers its query."""
        if not result.hits:
            return 0.0
        return self.score_features(retrieval_features(result))

    def score_features(self, features: list[float]) -> float:
        """The confidence for one feature vector (in FEATURE_NAMES order)."""
        return bounded(self.probability(features), self.bound(features), answer_threshold=self.answer_threshold)

    def probability(self, features: list[float]) -> float:
        """The logistic model's probability, before the caps."""
        z = self.bias + sum(w * x for w, x in zip(self.weights, features, strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    def bound(self, features: list[float]) -> float:
        """The lowest cap for these features (1 without caps)."""
        return min((cap.bound(features) for cap in self.caps), default=1.0)

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION_PATH) -> ConfidenceModel:
        """Read a calibration file; a clear error if it is missing or from another feature set."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{path}: no calibration file; run `helpdesk-bot kb calibrate`") from error
        if tuple(data.get("features", ())) != FEATURE_NAMES:
            raise ValueError(
                f"{path}: calibrated for features {data.get('features')}, expected {FEATURE_NAMES}; "
                "run `helpdesk-bot kb calibrate`"
            )
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            answer_threshold=float(data["answer_threshold"]),
            clarify_threshold=float(data["clarify_threshold"]),
            caps=tuple(
                Cap(feature=str(c["feature"]), xs=tuple(map(float, c["xs"])), ys=tuple(map(float, c["ys"])))
                for c in data.get("caps", ())
            ),
            report=dict(data.get("report", {})),
        )

    def save(self, path: Path) -> None:
        payload = {"features": list(FEATURE_NAMES), **asdict(self)}
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
