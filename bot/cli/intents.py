"""`helpdesk-bot intents calibrate`: choose the out-of-scope threshold on a held-out labelled set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from bot.cli import common
from bot.core.intent_calibration import (
    SWEPT_THRESHOLDS,
    Row,
    choose_threshold,
    nearest_rows,
    score_threshold,
    write_threshold,
)
from bot.core.intents import DEFAULT_EXAMPLES_PATH, IntentExamples, NearestExampleIntentDetector
from bot.kb.embedder import EncoderEmbedder
from knowledge.paths import packaged_eval_dir

intents_app = typer.Typer(help="Intent detection: calibrate the out-of-scope threshold.")

DEFAULT_EVAL_SET = packaged_eval_dir() / "intents.jsonl"


@intents_app.command("calibrate")
def calibrate(
    labelled: Annotated[Path, typer.Option("--set", help="JSON Lines {text, intent|null}.")] = DEFAULT_EVAL_SET,
    examples_path: Annotated[Path, typer.Option("--examples", help="Intent examples YAML.")] = DEFAULT_EXAMPLES_PATH,
    write: Annotated[bool, typer.Option("--write", help="Store the chosen threshold in the examples file.")] = False,
) -> None:
    """Sweep the threshold on held-out utterances, print the trade-off and the choice."""
    from bot.app import load_encoder

    examples = IntentExamples.load(examples_path)

    async def nearest_all() -> list[Row]:
        detector = NearestExampleIntentDetector(
            embedder=EncoderEmbedder(encoder=await load_encoder()), examples=examples
        )
        return await nearest_rows(detector, labelled)

    rows = common.run(nearest_all())
    scores = [score_threshold(rows, threshold) for threshold in SWEPT_THRESHOLDS]
    chosen = choose_threshold(scores)
    typer.echo(f"{len(rows)} labelled utterances ({sum(r[1] is None for r in rows)} with no intent)")
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
