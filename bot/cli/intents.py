"""`helpdesk-bot intents calibrate`: choose the out-of-scope threshold on a held-out labelled set."""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer

from bot.core.intents import (
    ACTION_INTENTS,
    DEFAULT_EXAMPLES_PATH,
    IntentExamples,
    NearestExampleIntentDetector,
    decide_intent,
)
from bot.kb.embedder import EncoderEmbedder
from knowledge.paths import packaged_eval_dir

intents_app = typer.Typer(help="Intent detection: calibrate the out-of-scope threshold.")

DEFAULT_EVAL_SET = packaged_eval_dir() / "intents.jsonl"
MAX_FALSE_ACTION_RATE = 0.02  # a non-request mistaken for a self-service request is the costly error


@dataclass(frozen=True, kw_only=True)
class ThresholdScore:
    threshold: float
    accuracy: float
    in_scope_accuracy: float
    out_of_scope_recall: float
    false_action_rate: float


def score_threshold(rows: list[tuple[str, str | None, str, float]], threshold: float) -> ThresholdScore:
    """Metrics for one threshold over (text, gold, nearest intent, similarity) rows."""
    correct = in_scope = in_scope_ok = oos = oos_ok = false_action = 0
    for text, gold, nearest, similarity in rows:
        predicted = decide_intent(text=text, nearest=nearest, similarity=similarity, threshold=threshold)
        correct += predicted == gold
        if gold is None:
            oos += 1
            oos_ok += predicted is None
            false_action += predicted in ACTION_INTENTS
        else:
            in_scope += 1
            in_scope_ok += predicted == gold
    return ThresholdScore(threshold=threshold, accuracy=correct / len(rows),
                          in_scope_accuracy=in_scope_ok / max(in_scope, 1),
                          out_of_scope_recall=oos_ok / max(oos, 1), false_action_rate=false_action / max(oos, 1))


def choose_threshold(scores: list[ThresholdScore]) -> ThresholdScore:
    """Best accuracy among thresholds that keep false actions under the limit (ties: the higher threshold)."""
    safe = [s for s in scores if s.false_action_rate <= MAX_FALSE_ACTION_RATE] or scores
    return max(safe, key=lambda s: (round(s.accuracy, 6), s.threshold))


@intents_app.command("calibrate")
def calibrate(
    labelled: Annotated[Path, typer.Option("--set", help="JSON Lines {text, intent|null}.")] = DEFAULT_EVAL_SET,
    examples_path: Annotated[Path, typer.Option("--examples", help="Intent examples YAML.")] = DEFAULT_EXAMPLES_PATH,
    write: Annotated[bool, typer.Option("--write", help="Store the chosen threshold in the examples file.")] = False,
) -> None:
    """Sweep the threshold on held-out utterances, print the trade-off and the choice."""
    from bot.app import load_encoder

    items = [json.loads(line) for line in labelled.read_text(encoding="utf-8").splitlines() if line.strip()]
    examples = IntentExamples.load(examples_path)

    async def nearest_all() -> list[tuple[str, str | None, str, float]]:
        detector = NearestExampleIntentDetector(embedder=EncoderEmbedder(encoder=await load_encoder()),
                                                examples=examples)
        rows = []
        for item in items:
            intent, similarity, _ = await detector.nearest(item["text"])
            rows.append((item["text"], item["intent"], intent, similarity))
        return rows

    rows = asyncio.run(nearest_all())
    scores = [score_threshold(rows, t / 100) for t in range(30, 96)]
    chosen = choose_threshold(scores)
    typer.echo(f"{len(rows)} labelled utterances ({sum(r[1] is None for r in rows)} with no intent)")
    typer.echo("threshold  accuracy  in-scope acc  out-of-scope recall  false-action rate")
    for score in scores:
        if round(score.threshold * 100) % 5 == 0 or score is chosen:
            mark = "  <- chosen" if score is chosen else ""
            typer.echo(f"{score.threshold:9.2f}  {score.accuracy:8.3f}  {score.in_scope_accuracy:12.3f}  "
                       f"{score.out_of_scope_recall:19.3f}  {score.false_action_rate:17.3f}{mark}")
    if write:
        text = examples_path.read_text(encoding="utf-8")
        updated = re.sub(r"(?m)^threshold:.*$", f"threshold: {chosen.threshold:.2f}", text, count=1)
        examples_path.write_text(updated, encoding="utf-8")
        typer.echo(f"wrote threshold {chosen.threshold:.2f} to {examples_path}")
