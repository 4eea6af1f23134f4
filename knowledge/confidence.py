"""Answer confidence: a logistic model over retrieval signals, fitted by `kb calibrate`.

The model estimates the probability that the top-ranked article answers the question. Its weights and the
answer / clarify thresholds live in `knowledge/calibration.json`, written by the calibration command from
the labelled questions in `knowledge/eval/`, so the numbers are measured rather than guessed.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from knowledge.model import ScoredChunk, SearchResult

FEATURE_NAMES = ("dense_top", "dense_margin", "bm25_top", "fused_margin", "agreement")
DEFAULT_CALIBRATION_PATH = Path(__file__).with_name("calibration.json")


def retrieval_features(result: SearchResult) -> list[float]:
    """The signals the confidence model reads, in FEATURE_NAMES order (all 0 for an empty result)."""
    if not result.hits:
        return [0.0] * len(FEATURE_NAMES)
    top_article = result.hits[0].chunk.article_id
    mine = [h for h in result.hits if h.chunk.article_id == top_article]
    others = [h for h in result.hits if h.chunk.article_id != top_article]

    dense_top = _best(mine, "dense_similarity")
    dense_other = _best(others, "dense_similarity")
    bm25_top = _best(mine, "bm25_score")
    fused_top = max(h.score for h in mine)
    fused_other = max((h.score for h in others), default=0.0)

    dense_first = min((h for h in result.hits if h.dense_rank is not None), key=_dense_rank, default=None)
    bm25_first = min((h for h in result.hits if h.bm25_rank is not None), key=_bm25_rank, default=None)
    agreement = float(
        dense_first is not None
        and bm25_first is not None
        and dense_first.chunk.article_id == top_article == bm25_first.chunk.article_id
    )
    return [
        dense_top,
        dense_top - dense_other,
        bm25_top / (bm25_top + 5.0),  # squash: raw BM25 grows without bound with query length
        (fused_top - fused_other) / fused_top if fused_top > 0 else 0.0,
        agreement,
    ]


def _best(hits: list[ScoredChunk], attribute: str) -> float:
    values = [getattr(h, attribute) for h in hits if getattr(h, attribute) is not None]
    return float(max(values)) if values else 0.0


def _dense_rank(hit: ScoredChunk) -> int:
    return hit.dense_rank if hit.dense_rank is not None else 10**9


def _bm25_rank(hit: ScoredChunk) -> int:
    return hit.bm25_rank if hit.bm25_rank is not None else 10**9


@dataclass(frozen=True, kw_only=True)
class ConfidenceModel:
    """Logistic regression weights plus the thresholds chosen on held-out predictions."""

    weights: tuple[float, ...]
    bias: float
    answer_threshold: float
    clarify_threshold: float
    report: dict[str, Any] = field(default_factory=dict)

    def score(self, result: SearchResult) -> float:
        """Probability in [0, 1] that the top article of `result` answers its query."""
        if not result.hits:
            return 0.0
        z = self.bias + sum(w * x for w, x in zip(self.weights, retrieval_features(result), strict=True))
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))

    @classmethod
    def load(cls, path: Path = DEFAULT_CALIBRATION_PATH) -> ConfidenceModel:
        """Read a calibration file; a clear error if it is missing or from another feature set."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError as error:
            raise FileNotFoundError(f"{path}: no calibration file; run `helpdesk-bot kb calibrate`") from error
        if tuple(data.get("features", ())) != FEATURE_NAMES:
            raise ValueError(f"{path}: calibrated for features {data.get('features')}, expected {FEATURE_NAMES}")
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            bias=float(data["bias"]),
            answer_threshold=float(data["answer_threshold"]),
            clarify_threshold=float(data["clarify_threshold"]),
            report=dict(data.get("report", {})),
        )

    def save(self, path: Path) -> None:
        payload = {"features": list(FEATURE_NAMES), **asdict(self)}
        path.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
