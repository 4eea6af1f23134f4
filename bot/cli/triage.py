"""`helpdesk-bot triage --input F --output G | train | eval`: batch triage, training and evaluation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer

from bot.cli import common
from bot.triage.classifier import TicketClassifier, Vectors
from bot.triage.evaluation import Scores, baseline, cross_validate, ours
from bot.triage.labelled import LabelledDataError, LabelledTickets, read_labelled
from bot.triage.model_versions import ModelVersions
from knowledge.embeddings import Encoder

triage_app = typer.Typer(
    help="Triage: `triage --input F.jsonl --output G.jsonl` for a backlog; `train` and `eval` for the models.",
    invoke_without_command=True,
)

EMBED_CHUNK = 512
CsvOption = Annotated[
    Path, typer.Option("--csv", help="Labelled export: .csv or .csv.gz with a header row.", show_default=False)
]
TextColumn = Annotated[str, typer.Option("--text-col", help="Column with the ticket text.", show_default=False)]
LabelColumn = Annotated[str, typer.Option("--label-col", help="Column with the label.", show_default=False)]


class Target(StrEnum):
    category = "category"
    group = "group"


@triage_app.callback()
def batch(
    ctx: typer.Context,
    source: Annotated[Path | None, typer.Option("--input", help='JSON Lines of {"id", "text"}.')] = None,
    output: Annotated[Path | None, typer.Option("--output", help="Where to write one triage line per ticket.")] = None,
) -> None:
    """Triage a backlog: intent, category, priority and group per ticket, with the live chat's models."""
    if ctx.invoked_subcommand is not None:
        return
    if source is None or output is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(0 if source is None and output is None else 2)
    if not source.is_file():
        _fail(f"{source}: no such file")
    if output.resolve() == source.resolve():
        _fail("--output must not be the --input file")
    common.run(_batch(source, output))


async def _batch(source: Path, output: Path) -> None:
    from bot.app import load_encoder
    from bot.app.services import intent_detector
    from bot.app.triage import build_triager
    from bot.handoff.routing import StaffConfig
    from bot.kb.embedder import EncoderEmbedder
    from bot.triage.batch import triage_lines

    settings = common.settings()
    encoder = await load_encoder()
    embedder = EncoderEmbedder(encoder=encoder)
    intents = intent_detector(settings.intent, encoder=encoder)
    triager = await asyncio.to_thread(
        build_triager,
        config=settings.triage.config,
        models=settings.resolved_triage_models,
        encoder=encoder,
        staff=StaffConfig.load(settings.staff.config),
    )

    def problem(line: int, reason: str) -> None:
        typer.echo(f"{source}:{line}: skipped: {reason}", err=True)

    started = time.perf_counter()
    with (
        source.open(encoding="utf-8", errors="replace") as reader,
        output.open("w", encoding="utf-8") as writer,
        _progress(source.stat().st_size, "triage") as advance,
    ):
        report = await triage_lines(
            reader,
            writer,
            embedder=embedder,
            intents=intents,
            triager=triager,
            on_problem=problem,
            on_line=lambda line: advance(len(line.encode())),
        )
    seconds = time.perf_counter() - started
    typer.echo(
        f"triaged {report.written} tickets in {seconds:.1f} s ({report.written / max(seconds, 1e-9):.0f}/s); "
        f"skipped {report.skipped} bad lines; wrote {output}",
        err=True,
    )


@triage_app.command("train")
def train(
    csv_path: CsvOption,
    text_col: TextColumn,
    label_col: LabelColumn,
    target: Annotated[Target, typer.Option("--target", help="What the label column holds.")] = Target.category,
    models: Annotated[
        Path | None, typer.Option("--models", help="Model folder [default: HELPDESK_TRIAGE_MODELS]", show_default=False)
    ] = None,
) -> None:
    """Train a model on your own tickets and save it as the next version; the bot uses the newest."""
    data = _read(csv_path, text_col, label_col)
    versions = ModelVersions(models or common.settings().resolved_triage_models)
    vectors = _embed(data.texts)
    classifier = TicketClassifier.fit(texts=data.texts, vectors=vectors, labels=data.labels)
    info = versions.save(target.value, classifier, source=csv_path.name, rows=len(data.texts))
    typer.echo(
        f"saved {target.value} model v{info.version}: {info.rows} tickets, {len(info.labels)} labels "
        f"({', '.join(info.labels)}); restart the bot to use it"
    )


@triage_app.command("eval")
def evaluate(
    csv_path: CsvOption,
    text_col: TextColumn,
    label_col: LabelColumn,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Cross-validate our classifier and a TF-IDF + linear SVM baseline on the same folds; print both."""
    data = _read(csv_path, text_col, label_col)
    started = time.perf_counter()
    vectors = _embed(data.texts)
    embedded = time.perf_counter()
    try:
        scores = cross_validate(
            texts=data.texts,
            vectors=vectors,
            labels=data.labels,
            folds=folds,
            trainers={"ours": ours, "baseline": baseline},
            progress=lambda name, fold: _status(f"fold {fold}/{folds}: {name}"),
        )
    except ValueError as error:
        _fail(str(error))
    finished = time.perf_counter()
    if as_json:
        typer.echo(
            json.dumps(
                {
                    **_scores_json(scores["ours"]),
                    "baseline": _scores_json(scores["baseline"]),
                    "rows": len(data.texts),
                    "skipped": data.skipped,
                    "folds": folds,
                    "embed_seconds": round(embedded - started, 1),
                    "train_seconds": round(finished - embedded, 1),
                }
            )
        )
        return
    typer.echo(_table(scores["ours"], scores["baseline"], rows=len(data.texts), folds=folds))
    typer.echo(
        f"\nembedding {embedded - started:.0f} s, {folds}-fold training and prediction {finished - embedded:.0f} s"
    )


def _read(path: Path, text_col: str, label_col: str) -> LabelledTickets:
    try:
        data = read_labelled(path, text_column=text_col, label_column=label_col)
    except LabelledDataError as error:
        _fail(str(error))
    if data.skipped:
        typer.echo(f"{data.skipped} rows without text or label were skipped", err=True)
    return data


def _embed(texts: Sequence[str]) -> Vectors:
    from bot.app import load_encoder

    encoder: Encoder = asyncio.run(load_encoder())
    parts = []
    with _progress(len(texts), "embedding") as advance:
        for start in range(0, len(texts), EMBED_CHUNK):
            chunk = list(texts[start : start + EMBED_CHUNK])
            parts.append(encoder.encode(chunk))
            advance(len(chunk))
    return np.vstack(parts) if parts else np.zeros((0, encoder.dimension), dtype=np.float32)


@contextlib.contextmanager
def _progress(total: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal (stderr); silent when output goes to a file or a pipe."""
    if not sys.stderr.isatty():
        yield lambda amount: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda amount: bar.advance(task, amount)


def _status(text: str) -> None:
    if sys.stderr.isatty():
        typer.echo(text, err=True)


def _table(mine: Scores, theirs: Scores, *, rows: int, folds: int) -> str:
    lines = [
        f"{rows} tickets, {len(mine.per_class)} labels, {folds}-fold cross-validation (out-of-fold predictions)",
        "",
        "| | ours: embeddings + TF-IDF, logistic regression | baseline: TF-IDF, linear SVM |",
        "|---|---|---|",
    ]
    for name in ("accuracy", "macro_f1", "weighted_f1"):
        lines.append(f"| {name.replace('_', ' ')} | {getattr(mine, name):.3f} | {getattr(theirs, name):.3f} |")
    lines += ["", "| label | support | precision | recall | F1 | baseline F1 |", "|---|---|---|---|---|---|"]
    for ours_class, base_class in zip(mine.per_class, theirs.per_class, strict=True):
        lines.append(
            f"| {ours_class.label} | {ours_class.support} | {ours_class.precision:.3f} | "
            f"{ours_class.recall:.3f} | {ours_class.f1:.3f} | {base_class.f1:.3f} |"
        )
    lines += ["", "commonest mistakes (ours): true → predicted"]
    lines += [f"  {gold} → {predicted}: {count}" for gold, predicted, count in mine.confusions]
    return "\n".join(lines)


def _scores_json(scores: Scores) -> dict[str, Any]:
    return {
        "accuracy": round(scores.accuracy, 4),
        "macro_f1": round(scores.macro_f1, 4),
        "weighted_f1": round(scores.weighted_f1, 4),
        "per_class": {
            c.label: {k: (round(v, 4) if isinstance(v, float) else v) for k, v in asdict(c).items() if k != "label"}
            for c in scores.per_class
        },
        "confusions": [{"true": g, "predicted": p, "count": n} for g, p, n in scores.confusions],
    }


def _fail(message: str) -> NoReturn:
    common.fail(message, code=2)
