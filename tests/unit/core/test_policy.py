"""The answer / clarify / hand-off decision follows the calibrated thresholds."""

import pytest

from bot.core.model import KnowledgeHit, Retrieval
from bot.core.policy import AnswerPolicy


def retrieval(confidence: float, *articles: str) -> Retrieval:
    hits = tuple(
        KnowledgeHit(article_id=a, title=a.title(), heading=a, url=None, score=1.0 / (i + 1))
        for i, a in enumerate(articles)
    )
    return Retrieval(question="q", hits=hits, confidence=confidence)


policy = AnswerPolicy(answer_threshold=0.7, clarify_threshold=0.4)


def test_confident_retrieval_is_answered() -> None:
    assert policy.decide(retrieval(0.7, "vpn", "wifi")).outcome == "answer"


def test_middling_confidence_with_two_articles_asks_which_one() -> None:
    decision = policy.decide(retrieval(0.5, "vpn", "vpn", "wifi"))
    assert decision.outcome == "clarify"
    assert "0.50" in decision.reason


def test_middling_confidence_with_a_single_article_hands_off() -> None:
    assert policy.decide(retrieval(0.5, "vpn", "vpn")).outcome == "handoff"


def test_low_confidence_hands_off() -> None:
    assert policy.decide(retrieval(0.39, "vpn", "wifi")).outcome == "handoff"


def test_no_hits_hands_off_whatever_the_confidence() -> None:
    assert policy.decide(retrieval(0.99)).outcome == "handoff"


def test_thresholds_out_of_order_are_rejected() -> None:
    with pytest.raises(ValueError, match="clarify_threshold <= answer_threshold"):
        AnswerPolicy(answer_threshold=0.3, clarify_threshold=0.5)
