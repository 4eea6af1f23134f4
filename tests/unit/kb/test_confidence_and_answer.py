"""Confidence features and extractive answers, from hand-made search results."""

from pathlib import Path

import pytest

from knowledge.answer import choose_section, compose_extractive
from knowledge.confidence import FEATURE_NAMES, Cap, ConfidenceModel, coverage, retrieval_features
from knowledge.model import Chunk, ScoredChunk, SearchResult


def chunk(article: str, n: int, text: str, heading: str = "") -> Chunk:
    return Chunk(
        chunk_id=f"{article}#{n}",
        article_id=article,
        article_title=article.upper(),
        heading=heading or f"{article.upper()} > Part {n}",
        text=text,
    )


def hit(
    c: Chunk, score: float, dense: float | None, bm25: float | None, d_rank: int | None, b_rank: int | None
) -> ScoredChunk:
    return ScoredChunk(
        chunk=c, score=score, dense_similarity=dense, bm25_score=bm25, dense_rank=d_rank, bm25_rank=b_rank
    )


def test_features_of_a_clear_winner() -> None:
    result = SearchResult(
        query="vpn connect",
        hits=(
            hit(chunk("vpn", 0, "Connect to the VPN."), 0.032, 0.8, 10.0, 1, 1),
            hit(chunk("wifi", 0, "b"), 0.016, 0.5, 4.0, 2, 2),
        ),
    )
    features = dict(zip(FEATURE_NAMES, retrieval_features(result), strict=True))
    assert features["dense_top"] == 0.8
    assert round(features["dense_margin"], 3) == 0.3
    assert round(features["bm25_top"], 3) == round(10 / 15, 3)
    assert round(features["bm25_margin"], 3) == round(6 / 15, 3)
    assert features["agreement"] == 1.0
    assert features["coverage"] == 1.0


def test_retrievers_that_disagree_lower_the_agreement_feature() -> None:
    result = SearchResult(
        query="q",
        hits=(
            hit(chunk("vpn", 0, "a"), 0.03, 0.7, None, 1, None),
            hit(chunk("wifi", 0, "b"), 0.02, None, 8.0, None, 1),
        ),
    )
    assert retrieval_features(result)[FEATURE_NAMES.index("agreement")] == 0.0


def test_coverage_counts_the_question_words_the_article_has_forgiving_typos_and_endings() -> None:
    article = ["Reset your password at the portal.", "Printing to the FollowMe printer."]
    assert coverage({"pasword", "printer"}, article) == 1.0
    assert coverage({"screen", "flickers", "green"}, ["Share your laptop screen in the room."]) == 1 / 3
    assert coverage(set(), article) == 0.0


def test_a_cap_lowers_a_high_confidence_but_never_below_the_answer_threshold() -> None:
    tied = Cap(feature="dense_margin", xs=(0.0, 0.1), ys=(0.2, 0.95))
    model = ConfidenceModel(
        weights=(0.0,) * len(FEATURE_NAMES), bias=3.0, answer_threshold=0.5, clarify_threshold=0.3, caps=(tied,)
    )
    features = [0.0] * len(FEATURE_NAMES)
    assert round(model.probability(features), 2) == 0.95
    assert model.score_features(features) == 0.5  # near-tie: bounded, but still answered
    features[FEATURE_NAMES.index("dense_margin")] = 0.2
    assert round(model.score_features(features), 2) == 0.95
    unsure = ConfidenceModel(
        weights=(0.0,) * len(FEATURE_NAMES), bias=-1.0, answer_threshold=0.5, clarify_threshold=0.2, caps=(tied,)
    )
    assert round(unsure.score_features([0.0] * len(FEATURE_NAMES)), 2) == 0.27  # below the threshold: untouched


def test_empty_result_scores_zero() -> None:
    model = ConfidenceModel(weights=(1.0,) * len(FEATURE_NAMES), bias=5.0, answer_threshold=0.5, clarify_threshold=0.2)
    assert model.score(SearchResult(query="q")) == 0.0


def test_calibration_file_round_trips(tmp_path: Path) -> None:
    model = ConfidenceModel(
        weights=tuple(0.5 * i for i in range(len(FEATURE_NAMES))),
        bias=-1.0,
        answer_threshold=0.6,
        clarify_threshold=0.3,
        caps=(Cap(feature="coverage", xs=(0.0, 0.5, 1.0), ys=(0.1, 0.5, 0.9)),),
        report={"answered_precision": 0.9},
    )
    model.save(tmp_path / "c.json")
    assert ConfidenceModel.load(tmp_path / "c.json") == model


def test_a_calibration_for_other_features_asks_for_recalibration(tmp_path: Path) -> None:
    (tmp_path / "c.json").write_text('{"features": ["dense_top"], "weights": [1.0], "bias": 0}')
    with pytest.raises(ValueError, match="kb calibrate"):
        ConfidenceModel.load(tmp_path / "c.json")


def test_the_shipped_calibration_loads() -> None:
    model = ConfidenceModel.load()
    assert 0 < model.clarify_threshold <= model.answer_threshold < 1


STEPS = "1. Open the client.\n2. Type vpn.example.com.\n3. Approve the sign-in."


def test_extractive_answer_keeps_steps_whole_and_follows_a_short_intro() -> None:
    intro = chunk("vpn", 0, "You need the VPN to reach internal sites.", heading="VPN")
    steps = chunk("vpn", 1, STEPS, heading="VPN > Steps")
    answer = compose_extractive(best=intro, article_chunks=[intro, steps])
    assert answer.text.startswith("From **VPN**:")
    assert STEPS in answer.text
    assert [c.chunk_id for c in answer.sources] == ["vpn#0", "vpn#1"]


def test_extractive_answer_trims_by_whole_blocks() -> None:
    long_section = chunk("vpn", 0, "\n\n".join(f"Paragraph {i} " + "x" * 300 for i in range(10)))
    answer = compose_extractive(best=long_section, article_chunks=[long_section], max_chars=700)
    assert "Paragraph 1 " in answer.text
    assert "Paragraph 3 " not in answer.text
    assert answer.text.endswith("(More in the article.)")


def test_among_near_tied_sections_the_one_with_steps_is_quoted() -> None:
    lasts = chunk("vpn", 4, "The VPN disconnects after 8 hours.", heading="VPN > How long a session lasts")
    steps = chunk("vpn", 3, STEPS, heading="VPN > Steps")
    far = chunk("vpn", 5, "1. Restart.\n2. Retry.", heading="VPN > If it fails")
    hits = [hit(lasts, 0.0313, 0.56, 3.3, 7, 1), hit(steps, 0.0312, 0.6, 2.6, 6, 2), hit(far, 0.020, 0.5, 2.0, 10, 11)]
    assert choose_section(question="vpn", hits=hits, article_chunks=[steps, lasts, far]) == steps


def test_a_section_clearly_closer_to_the_question_beats_distant_steps() -> None:
    lasts = chunk("vpn", 4, "The VPN disconnects after 8 hours of idle time.", heading="VPN > Idle sessions")
    far = chunk("vpn", 5, "1. Restart.\n2. Retry.", heading="VPN > Try again")
    hits = [hit(lasts, 0.03, 0.7, 3.0, 1, 1), hit(far, 0.02, 0.5, 2.0, 3, 3)]
    assert choose_section(question="vpn idle", hits=hits, article_chunks=[lasts, far]) == lasts
