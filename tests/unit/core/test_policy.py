"""The answer / clarify / hand-off decision follows the calibrated thresholds."""

import pytest

from bot.core.model import KnowledgeHit, Retrieval
from bot.core.policy import PLAUSIBLE_SCORE, AnswerPolicy


def retrieval(
    confidence: float, *articles: str, question: str = "how do I do this", scores: tuple[float, ...] = ()
) -> Retrieval:
    hits = tuple(
        KnowledgeHit(article_id=a, title=a.title(), heading=a, url=None, score=scores[i] if scores else 1.0 / (i + 1))
        for i, a in enumerate(articles)
    )
    return Retrieval(question=question, hits=hits, confidence=confidence)


policy = AnswerPolicy(answer_threshold=0.7, clarify_threshold=0.4)


def test_confident_retrieval_is_answered() -> None:
    assert policy.decide(retrieval(0.7, "vpn", "wifi")).outcome == "answer"


def test_middling_confidence_with_two_articles_asks_which_one() -> None:
    decision = policy.decide(retrieval(0.5, "vpn", "vpn", "wifi"))
    assert decision.outcome == "clarify"
    assert "0.50" in decision.reason


def test_middling_confidence_with_a_single_article_hands_off() -> None:
    assert policy.decide(retrieval(0.5, "vpn", "vpn")).outcome == "handoff"


def test_a_second_unclear_message_after_a_clarifying_question_hands_off() -> None:
    decision = policy.decide(retrieval(0.5, "vpn", "wifi"), after_clarify=True)
    assert decision.outcome == "handoff"
    assert "still unclear" in decision.reason


def test_a_word_or_two_with_a_plausible_article_is_asked_about_below_the_clarify_threshold() -> None:
    decision = policy.decide(retrieval(0.05, "wifi-guest", question="wifi", scores=(PLAUSIBLE_SCORE,)))
    assert decision.outcome == "clarify"
    assert [h.article_id for h in decision.options] == ["wifi-guest"]


def test_a_word_or_two_that_nothing_plausibly_fits_hands_off() -> None:
    unfitting = retrieval(0.05, "wifi", question="hm ok", scores=(PLAUSIBLE_SCORE - 0.01,))
    assert policy.decide(unfitting).outcome == "handoff"


def test_a_sentence_below_the_clarify_threshold_hands_off_even_with_plausible_articles() -> None:
    assert policy.decide(retrieval(0.3, "vpn", "wifi")).outcome == "handoff"


def test_a_word_two_articles_fit_equally_well_is_asked_about_even_when_confident() -> None:
    decision = policy.decide(retrieval(0.9, "printer-add", "printer-jammed", question="printer", scores=(1.0, 0.9)))
    assert decision.outcome == "clarify"
    assert len(decision.options) == 2


def test_a_word_one_article_clearly_fits_is_answered() -> None:
    assert policy.decide(retrieval(0.9, "bitlocker", "vpn", question="bitlocker", scores=(1.0, 0.5))).outcome == (
        "answer"
    )


def test_low_confidence_hands_off() -> None:
    assert policy.decide(retrieval(0.39, "vpn", "wifi")).outcome == "handoff"


def test_no_hits_hands_off_whatever_the_confidence() -> None:
    assert policy.decide(retrieval(0.99)).outcome == "handoff"


def test_thresholds_out_of_order_are_rejected() -> None:
    with pytest.raises(ValueError, match="clarify_threshold <= answer_threshold"):
        AnswerPolicy(answer_threshold=0.3, clarify_threshold=0.5)
