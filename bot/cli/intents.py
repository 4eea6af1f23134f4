"""`helpdesk-bot intents eval | calibrate`: measure intent detection on labelled messages, choose its threshold."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import common
from bot.core.intent_baseline import NEAREST_EXAMPLE_THRESHOLD, NearestExampleIntentDetector
from bot.core.intent_calibration import (
    SWEPT_THRESHOLDS,
    choose_threshold,
    labelled_rows,
    score_threshold,
    write_threshold,
)
from bot.core.intent_evaluation import IntentReport, LabelledMessage, load_labelled, score_intents
from bot.core.intents import DEFAULT_EXAMPLES_PATH, ClassifierIntentDetector, IntentExamples, ScoredMessage
from bot.kb.embedder import EncoderEmbedder
from knowledge.embeddings import Encoder
from knowledge.language import english_reading
from knowledge.paths import packaged_eval_dir

intents_app = typer.Typer(help="Intent detection: measure it on labelled messages and choose its threshold.")

HELD_OUT_SET = packaged_eval_dir() / "intents_heldout.jsonl"
DEVELOPMENT_SET = packaged_eval_dir() / "intents.jsonl"

SetOption = Annotated[Path, typer.Option("--set", help="JSON Lines {text, intent|null, kind?}.")]
ExamplesOption = Annotated[Path, typer.Option("--examples", help="Intent examples YAML.")]


async def _encoder() -> Encoder:
    from bot.app import load_encoder

    return await load_encoder()


@intents_app.command("eval")
def evaluate(
    labelled: SetOption = HELD_OUT_SET,
    examples_path: ExamplesOption = DEFAULT_EXAMPLES_PATH,
    baseline_examples: Annotated[
        Path | None, typer.Option(help="Examples YAML for the nearest-example baseline. Default: --examples.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the reports as JSON.")] = False,
) -> None:
    """Score the classifier and, as the baseline, the nearest-example rule on a labelled set (default: held-out)."""
    items = load_labelled(labelled)
    examples = IntentExamples.load(examples_path)
    old_examples = IntentExamples.load(baseline_examples) if baseline_examples else examples

    async def both() -> tuple[IntentReport, IntentReport, float]:
        embedder = EncoderEmbedder(encoder=await _encoder())
        classifier = ClassifierIntentDetector(embedder=embedder, examples=examples, embedding_reading=english_reading)
        started = time.perf_counter()
        await classifier.warm_up()
        training_seconds = time.perf_counter() - started
        baseline = NearestExampleIntentDetector(embedder=embedder, examples=old_examples)
        texts = [item.text for item in items]
        predicted = [(await classifier.detect(text)).intent for text in texts]
        nearest = [(await baseline.detect(text)).intent for text in texts]
        return score_intents(items, predicted), score_intents(items, nearest), training_seconds

    report, baseline_report, training_seconds = common.run(both())
    if as_json:
        summary = {
            "set": str(labelled),
            "examples": len(examples.utterances),
            "training_seconds": round(training_seconds, 2),
            "classifier": {"threshold": examples.threshold, **report.as_json()},
            "nearest_example": {"threshold": NEAREST_EXAMPLE_THRESHOLD, **baseline_report.as_json()},
        }
        typer.echo(json.dumps(summary, indent=2))
        return
    typer.echo(f"{labelled.name}: {len(items)} messages ({sum(i.intent is None for i in items)} with no intent)")
    typer.echo(f"classifier trained on {len(examples.utterances)} examples in {training_seconds:.2f} s")
    _print_comparison(report, baseline_report, threshold=examples.threshold)


def _print_comparison(report: IntentReport, baseline: IntentReport, *, threshold: float) -> None:
    typer.echo(f"\n{'':22}{'classifier':>14}{'nearest example':>18}")
    typer.echo(f"{'threshold':22}{threshold:>14.2f}{NEAREST_EXAMPLE_THRESHOLD:>18.2f}")
    for name in ("accuracy", "action_precision", "action_recall", "out_of_scope_rate", "false_action_rate"):
        typer.echo(f"{name.replace('_', ' '):22}{getattr(report, name):>14.3f}{getattr(baseline, name):>18.3f}")
    for kind, accuracy in report.accuracy_by_kind.items():
        typer.echo(f"{'accuracy: ' + kind:22}{accuracy:>14.3f}{baseline.accuracy_by_kind[kind]:>18.3f}")
    typer.echo(f"\n{'intent':18}{'P':>7}{'R':>7}{'F1':>7}{'n':>5}   nearest example P / R / F1")
    for intent, score in report.per_intent.items():
        old = baseline.per_intent[intent]
        typer.echo(
            f"{intent:18}{score.precision:>7.3f}{score.recall:>7.3f}{score.f1:>7.3f}{score.support:>5}"
            f"   {old.precision:.3f} / {old.recall:.3f} / {old.f1:.3f}"
        )


@intents_app.command("calibrate")
def calibrate(
    labelled: SetOption = DEVELOPMENT_SET,
    examples_path: ExamplesOption = DEFAULT_EXAMPLES_PATH,
    write: Annotated[bool, typer.Option("--write", help="Store the chosen threshold in the examples file.")] = False,
) -> None:
    """Sweep the probability threshold on development messages (never the held-out set), print the choice."""
    items = load_labelled(labelled)
    examples = IntentExamples.load(examples_path)

    async def scored_all(items: list[LabelledMessage]) -> list[ScoredMessage]:
        detector = ClassifierIntentDetector(
            embedder=EncoderEmbedder(encoder=await _encoder()), examples=examples, embedding_reading=english_reading
        )
        return await detector.score([item.text for item in items])

    rows = labelled_rows(items, common.run(scored_all(items)))
    scores = [score_threshold(rows, threshold) for threshold in SWEPT_THRESHOLDS]
    chosen = choose_threshold(scores)
    typer.echo(f"{len(rows)} labelled messages ({sum(gold is None for _, gold in rows)} with no intent)")
    typer.echo("threshold  accuracy  in-scope acc  out-of-scope recall  false-action rate")
    for score in scores:
        if round(score.threshold * 100) % 5 == 0 or score is chosen:
            mark = "  <- chosen" if score is chosen else ""
            typer.echo(
                f"{score.threshold:9.2f}  {score.accuracy:8.3f}  {score.in_scope_accuracy:12.3f}  "
                f"{score.out_of_scope_recall:19.3f}  {score.false_action_rate:17.3f}{mark}"
            )
    if write:
        write_threshold(examples_path, chosen.threshold)
        typer.echo(f"wrote threshold {chosen.threshold:.2f} to {examples_path}")
