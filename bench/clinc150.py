"""Out-of-scope detection on CLINC150 (Larson et al., EMNLP 2019), reported the way the paper reports it.

Usage:
    python bench/clinc150.py PATH/clinc150                 # folder holding data_full.json.gz (or data_full.json)
    python bench/clinc150.py PATH/clinc150 --json          # one JSON object with the measured numbers
    python bench/clinc150.py PATH/clinc150 --criterion sum

Protocol ("oos-threshold", Full condition): the intent examples are the 15,000 in-scope `train` utterances
(150 intents); `oos_train` is not used. A classifier gives each utterance its best intent and a confidence;
below a threshold the utterance is out of scope (OOS). The threshold is chosen on validation (`val` + `oos_val`,
3,000 + 100 utterances) from the grid 0.00, 0.01, ..., 1.00, then reported on `test` + `oos_test` (4,500 + 1,000).

Threshold criterion (`--criterion`):
    accuracy (default) -- the paper's rule (section 3.2): "the value which yielded the highest validation score
        across all intents, treating out-of-scope as its own intent", i.e. accuracy over 151 classes on
        val + oos_val. With 3,000 in-scope and 100 OOS validation utterances this weights in-scope accuracy
        heavily.
    sum -- maximise in-scope accuracy + OOS recall on validation (each counts equally, so it favours higher
        thresholds and more OOS recall than the paper's rule).
Ties go to the lowest threshold.

Metrics on test (the paper's two, plus two more):
    in-scope accuracy -- share of the 4,500 in-scope utterances given their right intent; an in-scope utterance
        wrongly rejected as OOS counts as wrong.
    OOS recall -- share of the 1,000 OOS utterances predicted OOS.
    OOS precision -- share of the utterances predicted OOS that are OOS (0 when nothing is predicted OOS).
    accuracy -- over all 5,500 test utterances, OOS as the 151st intent.

Classifiers, both on the same all-MiniLM-L6-v2 embeddings (L2-normalised):
    nearest example -- exactly our product detector's rule (bot/core/intents.py): the intent of the most similar
        train utterance, confidence = that cosine similarity. (Our bot's small-talk rules do not apply here.)
    logistic regression -- scikit-learn LogisticRegression on the embeddings, confidence = the highest class
        probability (the paper's oos-threshold on a probability), C chosen on val in-scope accuracy.

Prints a Markdown table with the paper's published numbers for comparison. Never fails on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import gzip
import json
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import numpy.typing as npt

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.floating]
Vectors = npt.NDArray[np.float32]
Criterion = Literal["accuracy", "sum"]

OOS = -1  # gold / predicted label of an out-of-scope utterance
THRESHOLD_GRID: tuple[float, ...] = tuple(step / 100 for step in range(101))
LOGISTIC_C_CANDIDATES = (1.0, 10.0, 100.0)
SPLITS = ("train", "val", "oos_val", "test", "oos_test")

# Larson et al. 2019, Table 2, Full condition (paper.pdf in github.com/clinc/oos-eval): in-scope accuracy %,
# OOS recall %. The oos-train rows trained a 151st class on oos_train, which we do not use.
PUBLISHED: tuple[tuple[str, float, float], ...] = (
    ("BERT, oos-threshold", 96.2, 52.3),
    ("MLP (USE embeddings), oos-threshold", 93.4, 49.1),
    ("SVM (bag of words), oos-threshold", 88.2, 18.0),
    ("BERT, oos-train", 96.9, 40.3),
    ("MLP (USE embeddings), oos-train", 93.5, 47.4),
    ("SVM (bag of words), oos-train", 91.0, 14.5),
)


@dataclass(frozen=True, kw_only=True)
class Scores:
    """The paper's metrics (and two more) for one threshold; fractions in [0, 1]."""

    threshold: float
    in_scope_accuracy: float
    oos_recall: float
    oos_precision: float
    accuracy: float


def apply_threshold(*, predicted: IntArray, confidence: FloatArray, threshold: float) -> IntArray:
    """The final labels: the predicted intent, or OOS where the confidence is below the threshold."""
    return np.where(confidence < threshold, OOS, predicted).astype(np.int64)


def score(*, predicted: IntArray, confidence: FloatArray, gold: IntArray, threshold: float) -> Scores:
    """Metrics of the oos-threshold rule at `threshold`.

    Args:
        predicted: the classifier's best intent per utterance (never OOS).
        confidence: its confidence per utterance (similarity or probability).
        gold: the right intent per utterance, OOS (-1) for out-of-scope ones.
        threshold: utterances with confidence strictly below it are predicted OOS.
    """
    final = apply_threshold(predicted=predicted, confidence=confidence, threshold=threshold)
    in_scope = gold != OOS
    out_of_scope = ~in_scope
    predicted_oos = final == OOS
    return Scores(
        threshold=threshold,
        in_scope_accuracy=_share(final[in_scope] == gold[in_scope]),
        oos_recall=_share(predicted_oos[out_of_scope]),
        oos_precision=_share(out_of_scope[predicted_oos]),
        accuracy=_share(final == gold),
    )


def _share(hits: npt.NDArray[np.bool_]) -> float:
    return float(hits.mean()) if hits.size else 0.0


def criterion_value(scores: Scores, criterion: Criterion) -> float:
    """What the threshold choice maximises (see the module docstring)."""
    if criterion == "accuracy":
        return scores.accuracy
    return scores.in_scope_accuracy + scores.oos_recall


def choose_threshold(
    *,
    predicted: IntArray,
    confidence: FloatArray,
    gold: IntArray,
    criterion: Criterion = "accuracy",
    candidates: Sequence[float] = THRESHOLD_GRID,
) -> Scores:
    """The validation scores of the candidate threshold that maximises `criterion` (ties: the lowest)."""
    best: Scores | None = None
    for threshold in sorted(candidates):
        scores = score(predicted=predicted, confidence=confidence, gold=gold, threshold=threshold)
        if best is None or criterion_value(scores, criterion) > criterion_value(best, criterion) + 1e-12:
            best = scores
    if best is None:
        raise ValueError("no candidate thresholds")
    return best


def nearest_example(
    queries: Vectors, examples: Vectors, labels: IntArray, *, chunk: int = 1024
) -> tuple[IntArray, FloatArray]:
    """Our detector's rule: the label of the most similar example and that (cosine) similarity."""
    predicted = np.empty(len(queries), dtype=np.int64)
    similarity = np.empty(len(queries), dtype=np.float32)
    for start in range(0, len(queries), chunk):
        similarities = queries[start : start + chunk] @ examples.T
        best = similarities.argmax(axis=1)
        predicted[start : start + chunk] = labels[best]
        similarity[start : start + chunk] = similarities[np.arange(len(best)), best]
    return predicted, similarity


@dataclass(frozen=True, kw_only=True)
class Method:
    name: str
    validation: Scores
    test: Scores
    detail: str = ""


def evaluate(
    name: str,
    *,
    validation: tuple[IntArray, FloatArray],
    test: tuple[IntArray, FloatArray],
    gold_validation: IntArray,
    gold_test: IntArray,
    criterion: Criterion,
    detail: str = "",
) -> Method:
    """Choose the threshold on validation, then score test with it."""
    chosen = choose_threshold(
        predicted=validation[0], confidence=validation[1], gold=gold_validation, criterion=criterion
    )
    tested = score(predicted=test[0], confidence=test[1], gold=gold_test, threshold=chosen.threshold)
    return Method(name=name, validation=chosen, test=tested, detail=detail)


def load_splits(folder: Path) -> dict[str, list[tuple[str, str]]]:
    """The CLINC150 Full splits: {split: [(text, intent), ...]}."""
    for name in ("data_full.json.gz", "data_full.json"):
        path = folder / name
        if path.exists():
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as handle:
                data = json.load(handle)
            return {split: [(str(text), str(intent)) for text, intent in data[split]] for split in SPLITS}
    sys.exit(f"{folder}: no data_full.json.gz or data_full.json")


def logistic_regression(
    train: Vectors, train_labels: IntArray, validation: Vectors, gold_validation: IntArray, test: Vectors
) -> tuple[tuple[IntArray, FloatArray], tuple[IntArray, FloatArray], float]:
    """Fit on train (C chosen on val in-scope accuracy, no threshold); (predicted, max probability) per split."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression

    in_scope = gold_validation != OOS
    best: tuple[float, float, LogisticRegression] | None = None
    for c in LOGISTIC_C_CANDIDATES:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LogisticRegression(C=c, max_iter=1000).fit(train, train_labels)
        accuracy = float((model.predict(validation[in_scope]) == gold_validation[in_scope]).mean())
        if best is None or accuracy > best[0]:
            best = (accuracy, c, model)
    assert best is not None
    _, c, model = best
    classes = np.asarray(model.classes_, dtype=np.int64)

    def predict(vectors: Vectors) -> tuple[IntArray, FloatArray]:
        probabilities = model.predict_proba(vectors)
        return classes[probabilities.argmax(axis=1)], probabilities.max(axis=1)

    return predict(validation), predict(test), c


def run(folder: Path, criterion: Criterion, log: bool) -> dict[str, object]:
    splits = load_splits(folder)
    intents = sorted({intent for _, intent in splits["train"]})
    index = {intent: number for number, intent in enumerate(intents)}

    def gold(*names: str) -> IntArray:
        return np.array(
            [OOS if intent == "oos" else index[intent] for name in names for _, intent in splits[name]], dtype=np.int64
        )

    from knowledge.embeddings import MiniLMEncoder

    started = time.perf_counter()
    encoder = MiniLMEncoder()
    load_seconds = time.perf_counter() - started
    started = time.perf_counter()
    vectors = {name: encoder.encode([text for text, _ in splits[name]]) for name in SPLITS}
    embed_seconds = time.perf_counter() - started
    total = sum(len(splits[name]) for name in SPLITS)
    if log:
        print(
            f"model loaded in {load_seconds:.1f} s; embedded {total:,} utterances in {embed_seconds:.1f} s "
            f"({total / embed_seconds:.0f}/s, {os.cpu_count()} cores)",
            file=sys.stderr,
        )

    train, train_labels = vectors["train"], gold("train")
    validation = np.concatenate([vectors["val"], vectors["oos_val"]])
    test = np.concatenate([vectors["test"], vectors["oos_test"]])
    gold_validation, gold_test = gold("val", "oos_val"), gold("test", "oos_test")

    nearest = evaluate(
        "nearest example",
        validation=nearest_example(validation, train, train_labels),
        test=nearest_example(test, train, train_labels),
        gold_validation=gold_validation,
        gold_test=gold_test,
        criterion=criterion,
    )
    started = time.perf_counter()
    logistic_validation, logistic_test, c = logistic_regression(train, train_labels, validation, gold_validation, test)
    fit_seconds = time.perf_counter() - started
    logistic = evaluate(
        "logistic regression",
        validation=logistic_validation,
        test=logistic_test,
        gold_validation=gold_validation,
        gold_test=gold_test,
        criterion=criterion,
        detail=f"C={c:g}",
    )
    if log:
        print(
            f"logistic regression: C={c:g} (of {', '.join(f'{x:g}' for x in LOGISTIC_C_CANDIDATES)}), "
            f"fitted in {fit_seconds:.1f} s",
            file=sys.stderr,
        )

    def rounded(scores: Scores) -> dict[str, float]:
        return {key: round(value, 4) for key, value in asdict(scores).items()}

    return {
        "dataset": "CLINC150 data_full",
        "protocol": "oos-threshold",
        "criterion": criterion,
        "train": len(splits["train"]),
        "intents": len(intents),
        "validation": {"in_scope": int((gold_validation != OOS).sum()), "oos": int((gold_validation == OOS).sum())},
        "test": {"in_scope": int((gold_test != OOS).sum()), "oos": int((gold_test == OOS).sum())},
        "model_load_seconds": round(load_seconds, 1),
        "embedding_seconds": round(embed_seconds, 1),
        "logistic_regression_fit_seconds": round(fit_seconds, 1),
        "logistic_regression_c": c,
        "methods": {
            m.name: {"test": rounded(m.test), "validation": rounded(m.validation)} for m in (nearest, logistic)
        },
    }


def percent(value: float) -> str:
    return f"{100 * value:.1f}"


def print_table(result: dict[str, object]) -> None:
    methods, test_counts = result["methods"], result["test"]
    assert isinstance(methods, dict)
    assert isinstance(test_counts, dict)
    labels = {
        "nearest example": "ours: nearest example + threshold",
        "logistic regression": "ours: logistic regression on the same embeddings + threshold",
    }
    print(
        f"CLINC150 Full, oos-threshold protocol: intent examples = train ({result['train']:,} utterances, "
        f"{result['intents']} intents); threshold chosen on val + oos_val by {result['criterion']}; "
        f"scored on test + oos_test ({test_counts['in_scope']:,} in-scope + {test_counts['oos']:,} OOS). "
        f"Embeddings: all-MiniLM-L6-v2.\n"
    )
    print("| model | in-scope accuracy % | OOS recall % | OOS precision % | accuracy % | threshold |")
    print("|---|---|---|---|---|---|")
    for name, label in labels.items():
        test = methods[name]["test"]
        threshold = f"{test['threshold']:.2f}"
        print(
            f"| {label} (T={threshold}) | {percent(test['in_scope_accuracy'])} | {percent(test['oos_recall'])} "
            f"| {percent(test['oos_precision'])} | {percent(test['accuracy'])} | {threshold} |"
        )
    for label, accuracy, recall in PUBLISHED:
        print(f"| published: {label} | {accuracy} | {recall} | — | — | — |")
    print("\nvalidation (where the threshold was chosen):")
    for name, label in labels.items():
        validation = methods[name]["validation"]
        print(
            f"  {label}: in-scope accuracy {percent(validation['in_scope_accuracy'])} %, "
            f"OOS recall {percent(validation['oos_recall'])} %, accuracy {percent(validation['accuracy'])} %"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, help="folder with CLINC150's data_full.json.gz")
    parser.add_argument(
        "--criterion",
        choices=["accuracy", "sum"],
        default="accuracy",
        help="what the threshold maximises on validation (default: the paper's, accuracy)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object with the measured numbers")
    args = parser.parse_args()
    result = run(args.folder, args.criterion, log=True)
    if args.json:
        print(json.dumps(result))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
