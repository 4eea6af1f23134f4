"""Fusion rules: how a dense and a lexical signal become one score, and why the default is dense-weighted."""

from __future__ import annotations

import pytest

from knowledge.fusion import DEFAULT_FUSION, EQUAL_RRF, Candidate, Fusion


def candidate(
    chunk_id: str,
    *,
    dense: float | None = None,
    bm25: float | None = None,
    dense_rank: int | None = None,
    bm25_rank: int | None = None,
) -> Candidate:
    return Candidate(
        chunk_id=chunk_id, dense_similarity=dense, bm25_score=bm25, dense_rank=dense_rank, bm25_rank=bm25_rank
    )


# The failure equal-weight RRF had on real questions: the dense side is sure of the right answer, the lexical
# side barely matches anything and ranks a wrong chunk first, which the dense side only placed second.
RIGHT = candidate("right", dense=0.82, bm25=0.0, dense_rank=1, bm25_rank=None)
WRONG = candidate("wrong", dense=0.55, bm25=1.4, dense_rank=2, bm25_rank=1)


def best(fusion: Fusion, *candidates: Candidate) -> str:
    scores = fusion.scores(candidates)
    return max(zip(scores, (c.chunk_id for c in candidates), strict=True))[1]


def test_a_weak_lexical_match_does_not_drag_a_sure_dense_hit_down() -> None:
    assert best(EQUAL_RRF, RIGHT, WRONG) == "wrong"  # ranks only: 1/61 + 1/62 beats 1/61
    assert best(DEFAULT_FUSION, RIGHT, WRONG) == "right"


def test_a_strong_lexical_match_still_lifts_a_close_dense_runner_up() -> None:
    exact_words = candidate("exact", dense=0.74, bm25=25.0, dense_rank=2, bm25_rank=1)
    paraphrase = candidate("paraphrase", dense=0.76, bm25=0.5, dense_rank=1, bm25_rank=9)
    assert best(DEFAULT_FUSION, exact_words, paraphrase) == "exact"
    assert best(Fusion(method="convex", dense_weight=1.0), exact_words, paraphrase) == "paraphrase"


def test_the_convex_score_is_the_weighted_sum_of_cosine_and_saturated_bm25() -> None:
    fusion = Fusion(method="convex", dense_weight=0.8, bm25_saturation=10.0)
    [score] = fusion.scores([candidate("a", dense=0.5, bm25=10.0)])
    assert score == pytest.approx(0.8 * 0.5 + 0.2 * 0.5)


def test_without_saturation_bm25_is_divided_by_the_best_candidate() -> None:
    fusion = Fusion(method="convex", dense_weight=0.5)
    scores = fusion.scores([candidate("a", dense=0.2, bm25=8.0), candidate("b", dense=0.4, bm25=2.0)])
    assert scores == pytest.approx([0.5 * 0.2 + 0.5 * 1.0, 0.5 * 0.4 + 0.5 * 0.25])


def test_missing_or_negative_signals_count_as_nothing_and_scores_stay_in_the_unit_interval() -> None:
    candidates = [
        candidate("no-terms", dense=0.6, bm25=None),
        candidate("opposite", dense=-0.3, bm25=4.0),
        candidate("perfect", dense=1.0, bm25=1e9),
    ]
    scores = DEFAULT_FUSION.scores(candidates)
    assert scores[0] == pytest.approx(0.8 * 0.6)
    assert scores[1] == pytest.approx(0.2 * 4.0 / 14.0)
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_weighted_rrf_adds_each_sides_reciprocal_rank_and_ignores_a_side_that_missed() -> None:
    fusion = Fusion(method="rrf", dense_weight=0.75, rrf_k=10)
    both, dense_only = fusion.scores(
        [candidate("both", dense_rank=2, bm25_rank=5), candidate("dense-only", dense_rank=1)]
    )
    assert both == pytest.approx(0.75 / 12 + 0.25 / 15)
    assert dense_only == pytest.approx(0.75 / 11)


def test_an_empty_pool_has_no_scores() -> None:
    assert DEFAULT_FUSION.scores([]) == []


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"dense_weight": 1.2}, "dense_weight must be in"),
        ({"dense_weight": -0.1}, "dense_weight must be in"),
        ({"rrf_k": -1}, "rrf_k must not be negative"),
        ({"bm25_saturation": 0.0}, "bm25_saturation must be positive"),
    ],
)
def test_nonsense_parameters_are_refused(arguments: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Fusion(**arguments)  # type: ignore[arg-type]
