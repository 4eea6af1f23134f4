"""CLINC150 benchmark scoring (bench/clinc150.py), on tiny hand-made arrays: no model, no data set."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import numpy as np

SCRIPT = Path(__file__).resolve().parents[3] / "bench" / "clinc150.py"


def load_script() -> ModuleType:
    """bench/ is not a package: load the script from its path."""
    spec = importlib.util.spec_from_file_location("bench_clinc150", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


clinc = load_script()
OOS: int = clinc.OOS


def labels(*values: int) -> np.ndarray:
    return np.array(values, dtype=np.int64)


def confidences(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float64)


def test_a_known_threshold_gives_the_known_in_scope_accuracy_and_oos_recall() -> None:
    gold = labels(0, 1, 2, 3, OOS, OOS, OOS)
    predicted = labels(0, 1, 2, 0, 1, 2, 3)
    confidence = confidences(0.9, 0.8, 0.4, 0.7, 0.3, 0.6, 0.1)
    # At 0.5 the final labels are 0, 1, OOS, 0 | OOS, 2, OOS.
    scores = clinc.score(predicted=predicted, confidence=confidence, gold=gold, threshold=0.5)
    assert scores == clinc.Scores(
        threshold=0.5, in_scope_accuracy=2 / 4, oos_recall=2 / 3, oos_precision=2 / 3, accuracy=4 / 7
    )


def test_an_in_scope_utterance_rejected_as_oos_counts_as_wrong_even_with_the_right_intent() -> None:
    gold, predicted = labels(5, OOS), labels(5, 5)
    confidence = confidences(0.55, 0.2)
    kept = clinc.score(predicted=predicted, confidence=confidence, gold=gold, threshold=0.5)
    rejected = clinc.score(predicted=predicted, confidence=confidence, gold=gold, threshold=0.6)
    assert (kept.in_scope_accuracy, kept.oos_recall) == (1.0, 1.0)
    assert (rejected.in_scope_accuracy, rejected.oos_recall, rejected.oos_precision) == (0.0, 1.0, 0.5)


def test_confidence_equal_to_the_threshold_stays_in_scope() -> None:
    scores = clinc.score(predicted=labels(1), confidence=confidences(0.5), gold=labels(1), threshold=0.5)
    assert scores.in_scope_accuracy == 1.0


def test_oos_precision_is_zero_when_nothing_is_predicted_oos() -> None:
    scores = clinc.score(predicted=labels(1, 2), confidence=confidences(0.9, 0.9), gold=labels(1, OOS), threshold=0.5)
    assert (scores.oos_recall, scores.oos_precision, scores.accuracy) == (0.0, 0.0, 0.5)


def test_the_chosen_threshold_maximises_in_scope_accuracy_plus_oos_recall() -> None:
    gold, predicted = labels(0, 1, 2, OOS), labels(0, 1, 2, 0)
    confidence = confidences(0.9, 0.8, 0.7, 0.3)
    # 0.2 keeps the OOS utterance (sum 1.0), 0.85 rejects two right intents (sum 1.33), 0.5 is perfect (2.0).
    chosen = clinc.choose_threshold(
        predicted=predicted, confidence=confidence, gold=gold, criterion="sum", candidates=(0.2, 0.5, 0.85)
    )
    assert chosen.threshold == 0.5
    assert (chosen.in_scope_accuracy, chosen.oos_recall) == (1.0, 1.0)


def test_the_papers_rule_counts_every_validation_utterance_alike_so_one_oos_weighs_little() -> None:
    gold, predicted = labels(0, 1, 2, 3, 4, OOS), labels(0, 1, 2, 3, 4, 0)
    confidence = confidences(0.9, 0.9, 0.9, 0.4, 0.45, 0.5)
    # Rejecting below 0.6 catches the OOS utterance but loses two right intents: accuracy 4/6 < 5/6 at 0.0,
    # while the sum prefers it (0.6 + 1.0 > 1.0 + 0.0).
    paper = clinc.choose_threshold(
        predicted=predicted, confidence=confidence, gold=gold, criterion="accuracy", candidates=(0.0, 0.6)
    )
    summed = clinc.choose_threshold(
        predicted=predicted, confidence=confidence, gold=gold, criterion="sum", candidates=(0.0, 0.6)
    )
    assert (paper.threshold, paper.accuracy) == (0.0, 5 / 6)
    assert (summed.threshold, summed.in_scope_accuracy, summed.oos_recall) == (0.6, 3 / 5, 1.0)


def test_equally_good_thresholds_resolve_to_the_lowest() -> None:
    chosen = clinc.choose_threshold(
        predicted=labels(0, 0), confidence=confidences(0.9, 0.1), gold=labels(0, OOS), candidates=(0.7, 0.3, 0.5)
    )
    assert chosen.threshold == 0.3


def test_nearest_example_gives_the_label_and_similarity_of_the_most_similar_example() -> None:
    examples = np.array([[1.0, 0.0], [0.0, 1.0], [0.75, 0.75]], dtype=np.float32)
    queries = np.array([[0.0, 1.0], [0.5, 0.5]], dtype=np.float32)  # similarities 0/1/0.75 and 0.5/0.5/0.75
    predicted, similarity = clinc.nearest_example(queries, examples, labels(7, 3, 9), chunk=1)
    assert predicted.tolist() == [3, 9]
    assert similarity.tolist() == [1.0, 0.75]
