"""Threshold selection for intents and answer confidence, on small hand-made score sets."""

import numpy as np

from bot.core.intent_calibration import Row, choose_threshold, score_threshold
from knowledge.calibrate import LabelledQuestion, Observation, choose_thresholds, summarise


def test_intent_threshold_trades_recall_for_fewer_false_actions() -> None:
    rows = [
        ("reset my password", "reset_password", "reset_password", 0.9),
        ("unlock me", "unlock_account", "unlock_account", 0.7),
        ("how long must my password be", None, "reset_password", 0.65),
        ("what's the weather", None, "greeting", 0.2),
    ]
    low = score_threshold(rows, 0.5)
    assert (low.in_scope_accuracy, low.false_action_rate) == (1.0, 0.5)
    high = score_threshold(rows, 0.66)
    assert (high.in_scope_accuracy, high.out_of_scope_recall, high.false_action_rate) == (1.0, 1.0, 0.0)
    assert choose_threshold([low, high]).threshold == 0.66


def test_small_talk_only_counts_for_short_messages() -> None:
    rows: list[Row] = [("hi my vpn drops every single hour since monday", None, "greeting", 0.8)]
    assert score_threshold(rows, 0.5).accuracy == 1.0


def observation(article: str | None, correct: bool, useful: bool) -> Observation:
    return Observation(
        item=LabelledQuestion(question="q", article_id=article),
        features=[0.0] * 5,
        top_correct=correct,
        in_top_choices=useful,
    )


def test_answer_threshold_is_the_lowest_meeting_the_precision_target() -> None:
    observations = (
        [observation("a", True, True)] * 9
        + [observation("a", False, True)]
        + [observation("a", True, True)] * 5
        + [observation(None, False, False)] * 5
    )
    scores = np.array([0.9] * 9 + [0.85] + [0.6] * 5 + [0.1] * 5)
    answer, clarify = choose_thresholds(
        observations, scores, target_precision=0.9, min_useful_clarify=0.6, max_unanswerable_leak=0.2
    )
    assert answer == 0.11  # everything answerable above the unanswerable cluster is >= 90 % right
    assert clarify <= answer
    report = summarise(observations, scores, answer=answer, clarify=clarify)
    assert report["unanswerable_handed_off"] == 1.0
    assert report["answered_precision"] == round(14 / 15, 3)


def test_one_unanswerable_question_just_below_the_answer_threshold_does_not_close_the_clarify_band() -> None:
    observations = (
        [observation("a", True, True)] * 8
        + [observation(None, False, False)]
        + [observation("a", False, True)] * 4
        + [observation(None, False, False)] * 9
    )
    scores = np.array([0.9] * 8 + [0.75] + [0.6] * 4 + [0.1] * 9)
    answer, clarify = choose_thresholds(
        observations, scores, target_precision=0.9, min_useful_clarify=0.6, max_unanswerable_leak=0.2
    )
    assert answer == 0.76
    assert clarify == 0.11  # the band 0.11-0.76 offers the right article to 4 of 5 questions
    report = summarise(observations, scores, answer=answer, clarify=clarify)
    assert report["clarified_share"] == round(5 / 22, 3)
    assert report["confidently_wrong"] == 0
