"""`kb` commands: validate and index the articles, search the index, evaluate retrieval, calibrate confidence.

Mounted as `helpdesk-bot kb`. Defaults come from the settings (only the data locations, see CommonSettings):
articles from HELPDESK_ARTICLES_DIR or the packaged starter set, data under HELPDESK_DATA_DIR or ./var (the index
in <data-dir>/kb), a Chroma server from HELPDESK_CHROMA_URL if set.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bot.cli import common
from bot.settings import CommonSettings
from knowledge.embeddings import Encoder, MiniLMEncoder
from knowledge.index import KnowledgeIndex
from knowledge.loader import LoadReport, load_articles
from knowledge.model import ScoredChunk
from knowledge.paths import index_dir, packaged_eval_dir

kb_app = typer.Typer(help="Knowledge base: validate, index, search, evaluate.", no_args_is_help=True)

# Confidence is fitted on the first two and only measured on the third (realistic messy questions).
DEFAULT_QUESTIONS = [packaged_eval_dir() / "questions.jsonl", packaged_eval_dir() / "questions_messy.jsonl"]
DEFAULT_HELD_OUT = packaged_eval_dir() / "questions_messy_heldout.jsonl"

ArticlesOption = Annotated[
    Path | None,
    typer.Option(
        "--articles",
        help="Articles directory [default: $HELPDESK_ARTICLES_DIR or the packaged starter articles]",
        show_default=False,
    ),
]
DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Data directory; the index lives in <data-dir>/kb [default: $HELPDESK_DATA_DIR or ./var]",
        show_default=False,
    ),
]
ChromaOption = Annotated[
    str | None,
    typer.Option(
        "--chroma-url",
        help="Chroma server URL instead of the embedded store [default: $HELPDESK_CHROMA_URL]",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


class SearchMode(StrEnum):
    hybrid = "hybrid"
    dense = "dense"
    bm25 = "bm25"


@kb_app.command()
def validate(articles: ArticlesOption = None) -> None:
    """Check every article; print problems as `path:line: reason` (exit 1 if there are any)."""
    report = _load(articles or common.settings(CommonSettings).articles_dir)
    if report.errors:
        rejected = len({error.path for error in report.errors})
        typer.echo(f"{len(report.articles)} articles OK, {rejected} rejected", err=True)
        raise typer.Exit(1)
    typer.echo(f"{len(report.articles)} articles OK")


@kb_app.command()
def sync(articles: ArticlesOption = None, data_dir: DataDirOption = None, chroma_url: ChromaOption = None) -> None:
    """Validate, then index the good articles incrementally (exit 1 if any article was rejected).

    An already indexed article whose file is now rejected keeps its last good version in the index.
    """
    settings = common.settings(CommonSettings)
    report = _load(articles or settings.articles_dir)
    directory = index_dir(data_dir or settings.data_dir)
    chroma_url = chroma_url or settings.chroma.url

    async def run() -> str:
        index = await asyncio.to_thread(
            KnowledgeIndex.open, directory=directory, encoder=_encoder(), chroma_url=chroma_url
        )
        try:
            if not report.articles and not index.is_empty:
                typer.echo("no valid articles: refusing to empty the index", err=True)
                raise typer.Exit(1)
            good = {article.id for article in report.articles}
            keep = {error.path.stem for error in report.errors} - good  # by convention id = file name
            result = await index.sync(articles=report.articles, keep=keep)
        finally:
            await index.close()
        kept = f"; kept the last good version of {result.kept} rejected article(s)" if result.kept else ""
        return (
            f"added {result.added}, updated {result.updated}, removed {result.removed}, "
            f"unchanged {result.unchanged} ({result.chunk_count} chunks){kept}"
        )

    typer.echo(common.run(run()))
    if report.errors:
        raise typer.Exit(1)


@kb_app.command()
def search(
    text: Annotated[str, typer.Argument(help="The question to search for.")],
    k: Annotated[int, typer.Option("--k", min=1, help="Number of chunks to show.")] = 5,
    mode: Annotated[SearchMode, typer.Option("--mode", help="Retriever to use.")] = SearchMode.hybrid,
    as_json: JsonOption = False,
    data_dir: DataDirOption = None,
    chroma_url: ChromaOption = None,
) -> None:
    """Search the index and show the ranked chunks with each retriever's signals."""
    from knowledge.retrieval import HybridRetriever

    settings = common.settings(CommonSettings)
    directory = index_dir(data_dir or settings.data_dir)
    chroma_url = chroma_url or settings.chroma.url

    async def run() -> list[ScoredChunk]:
        encoder = _encoder()
        index = await asyncio.to_thread(
            KnowledgeIndex.open, directory=directory, encoder=encoder, chroma_url=chroma_url
        )
        try:
            if index.is_empty:
                where = chroma_url or directory
                typer.echo(f"the index in {where} is empty: run `helpdesk-bot kb sync` first", err=True)
                raise typer.Exit(1)
            result = await HybridRetriever(index=index, encoder=encoder).search(text, k=k, mode=mode.value)
        finally:
            await index.close()
        return list(result.hits)

    hits = common.run(run())
    if as_json:
        rows = [
            {"rank": rank, **asdict(hit.chunk), **{k: v for k, v in asdict(hit).items() if k != "chunk"}}
            for rank, hit in enumerate(hits, 1)
        ]
        payload = {"query": text, "mode": mode.value, "hits": rows}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not hits:
        typer.echo("no results")
    for rank, hit in enumerate(hits, 1):
        typer.echo(f"{rank:>2}. {hit.score:.4f}  {hit.chunk.chunk_id}  {hit.chunk.heading}")
        typer.echo(
            f"    dense {_signal(hit.dense_similarity, hit.dense_rank)}  bm25 {_signal(hit.bm25_score, hit.bm25_rank)}"
        )


@kb_app.command("eval")
def evaluate(
    corpus: Annotated[Path, typer.Option("--corpus", exists=True, dir_okay=False, help="corpus.jsonl")],
    queries: Annotated[Path, typer.Option("--queries", exists=True, dir_okay=False, help="queries.jsonl")],
    qrels: Annotated[Path, typer.Option("--qrels", exists=True, dir_okay=False, help="qrels TSV")],
    as_json: JsonOption = False,
) -> None:
    """nDCG@10, Recall@10 and MRR@10 of bm25, dense and hybrid retrieval on a BEIR-format dataset."""
    from knowledge.beir import BeirFormatError, evaluate_beir, load_beir

    try:
        dataset = load_beir(corpus=corpus, queries=queries, qrels=qrels)
    except BeirFormatError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    results = common.run(evaluate_beir(dataset=dataset, encoder=_encoder()))
    if as_json:
        typer.echo(json.dumps({mode: asdict(metrics) for mode, metrics in results.items()}, indent=2))
        return
    typer.echo(f"{len(dataset.corpus)} documents, {next(iter(results.values())).queries} judged queries")
    typer.echo(f"{'mode':<8}{'nDCG@10':>9}{'Recall@10':>11}{'MRR@10':>9}")
    for mode, metrics in results.items():
        typer.echo(f"{mode:<8}{metrics.ndcg_at_10:>9.3f}{metrics.recall_at_10:>11.3f}{metrics.mrr_at_10:>9.3f}")


@kb_app.command()
def calibrate(
    articles: ArticlesOption = None,
    questions: Annotated[
        list[Path] | None,
        typer.Option(
            "--questions", exists=True, dir_okay=False, help="Labelled questions to fit on, JSON Lines (repeatable)."
        ),
    ] = None,
    held_out: Annotated[
        Path | None,
        typer.Option("--held-out", exists=True, dir_okay=False, help="Labelled questions only measured, never fitted."),
    ] = DEFAULT_HELD_OUT,
    output: Annotated[
        Path | None,
        typer.Option("--output", help="Where to write the calibration [default: knowledge/calibration.json]"),
    ] = None,
) -> None:
    """Fit answer confidence and thresholds on the labelled questions, over a fresh index of the articles."""
    from knowledge.calibrate import calibrate as fit
    from knowledge.calibrate import load_questions
    from knowledge.confidence import DEFAULT_CALIBRATION_PATH
    from knowledge.retrieval import HybridRetriever

    report = _load(articles or common.settings(CommonSettings).articles_dir)
    if report.errors:
        raise typer.Exit(1)
    labelled = [item for path in questions or DEFAULT_QUESTIONS for item in load_questions(path)]
    unseen = load_questions(held_out) if held_out is not None else []

    async def run() -> None:
        encoder = _encoder()
        with tempfile.TemporaryDirectory(prefix="kb-calibrate-") as temporary:
            index = await asyncio.to_thread(KnowledgeIndex.open, directory=Path(temporary), encoder=encoder)
            try:
                await index.sync(articles=report.articles)
                model = await fit(
                    retriever=HybridRetriever(index=index, encoder=encoder), questions=labelled, held_out=unseen
                )
            finally:
                await index.close()
        model.save(output or DEFAULT_CALIBRATION_PATH)
        typer.echo(json.dumps(model.report, indent=2))
        typer.echo(
            f"answer threshold {model.answer_threshold:.2f}, clarify threshold "
            f"{model.clarify_threshold:.2f}; wrote {output or DEFAULT_CALIBRATION_PATH}"
        )

    common.run(run())


def _load(directory: Path) -> LoadReport:
    """Load and print every problem as `path:line: reason`."""
    try:
        report = load_articles(directory=directory)
    except FileNotFoundError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(1) from error
    for problem in report.errors:
        typer.echo(str(problem))
    return report


def _encoder() -> Encoder:
    # The CLI owns the terminal: hide transformers' "Loading weights" progress bar.
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    return MiniLMEncoder()


def _signal(value: float | None, rank: int | None) -> str:
    if value is None:
        return "-"
    return f"{value:.3f}" + (f" (#{rank})" if rank is not None else "")
