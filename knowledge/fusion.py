"""How hybrid retrieval combines the dense and the BM25 signal of each candidate chunk into one score.

Equal-weight reciprocal rank fusion, the textbook default, lost to dense retrieval alone on real questions: it
only sees ranks, so a weak lexical list drags good dense hits down as hard as a strong one lifts them. The
default here is a convex combination of the two scores, weighted towards the dense side:

    score = w * max(cosine, 0) + (1 - w) * bm25 / (bm25 + s)

(or, with no saturation s, BM25 divided by the best BM25 score among the query's candidates). Both terms lie in
[0, 1], so the fused score does too (the confidence model and the section choice read it as
a relative margin). A weighted RRF is kept as the alternative the evaluation compares against.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Method = Literal["convex", "rrf"]


@dataclass(frozen=True, kw_only=True)
class Candidate:
    """One chunk that either side ranked among its candidates, with both signals filled in where known."""

    chunk_id: str
    dense_similarity: float | None  # cosine similarity; None only if the chunk has no stored vector
    bm25_score: float | None  # raw BM25; None when no query term is in the index
    dense_rank: int | None  # 1-based rank in the dense candidate list, None if outside it
    bm25_rank: int | None  # 1-based rank in the BM25 candidate list, None if outside it


@dataclass(frozen=True, kw_only=True)
class Fusion:
    """A fusion rule: `method` and the weight of the dense side (the lexical side gets 1 - dense_weight)."""

    method: Method = "convex"
    dense_weight: float = 0.5
    rrf_k: int = 60  # only for "rrf"
    # Only for "convex": None divides BM25 by the query's best candidate score; a number s squashes it to
    # bm25 / (bm25 + s) instead, so a query whose best lexical match is weak gets little from that side.
    bm25_saturation: float | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.dense_weight <= 1.0:
            raise ValueError(f"dense_weight must be in [0, 1], got {self.dense_weight}")
        if self.rrf_k < 0:
            raise ValueError(f"rrf_k must not be negative, got {self.rrf_k}")
        if self.bm25_saturation is not None and self.bm25_saturation <= 0:
            raise ValueError(f"bm25_saturation must be positive, got {self.bm25_saturation}")

    def scores(self, candidates: Sequence[Candidate]) -> list[float]:
        """The fused score of each candidate, in the given order; higher is better."""
        if self.method == "rrf":
            return [self._rrf(c) for c in candidates]
        best_bm25 = max((c.bm25_score or 0.0 for c in candidates), default=0.0)
        return [self._convex(c, best_bm25) for c in candidates]

    def _convex(self, candidate: Candidate, best_bm25: float) -> float:
        dense = max(candidate.dense_similarity or 0.0, 0.0)
        bm25 = candidate.bm25_score or 0.0
        if self.bm25_saturation is not None:
            lexical = bm25 / (bm25 + self.bm25_saturation)
        else:
            lexical = bm25 / best_bm25 if best_bm25 > 0 else 0.0
        return self.dense_weight * dense + (1.0 - self.dense_weight) * lexical

    def _rrf(self, candidate: Candidate) -> float:
        dense = 1.0 / (self.rrf_k + candidate.dense_rank) if candidate.dense_rank is not None else 0.0
        lexical = 1.0 / (self.rrf_k + candidate.bm25_rank) if candidate.bm25_rank is not None else 0.0
        return self.dense_weight * dense + (1.0 - self.dense_weight) * lexical


# The fusion the bot uses. Tuned with bench/tune_fusion.py on the StackFAQ development half (StackExchange Web
# Applications questions rephrased by people -> the thread's answers; 630 queries, see docs/benchmarks/index.md):
# dense 0.913 nDCG@10, equal RRF 0.862, and every convex rule with s = 10 and w from 0.70 to 0.90 at
# 0.915-0.917; w = 0.8 is the middle of that plateau. Checked, never tuned, on the StackFAQ test half, CovidFAQ
# and the packaged held-out questions.
DEFAULT_FUSION = Fusion(method="convex", dense_weight=0.8, bm25_saturation=10.0)
# Equal-weight RRF (k = 60): what hybrid retrieval used before, kept for comparison in `kb eval`.
EQUAL_RRF = Fusion(method="rrf", dense_weight=0.5, rrf_k=60)
