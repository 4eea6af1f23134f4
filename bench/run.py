"""Knowledge-base and turn benchmarks: index speed, retrieval and full-turn latency, peak memory.

Usage:
    python bench/run.py                                  # starter knowledge base only
    python bench/run.py --tickets PATH/all_tickets_processed_improved_v3.csv.gz [--scaled-chunks 10000]

Each corpus runs in its own child process so that its peak memory is its own. Prints a Markdown table;
never fails on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import csv
import gzip
import hashlib
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_services  # noqa: E402
from bot.channels.runtime.collecting import CollectingReplyPort  # noqa: E402
from bot.core.model import ConversationRef, Inbound, UserRef  # noqa: E402
from bot.settings import Settings  # noqa: E402
from knowledge.calibrate import load_questions  # noqa: E402
from knowledge.embeddings import MiniLMEncoder  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.loader import load_articles  # noqa: E402
from knowledge.model import Article  # noqa: E402
from knowledge.paths import packaged_articles_dir  # noqa: E402
from knowledge.retrieval import HybridRetriever  # noqa: E402

QUESTIONS = ROOT / "knowledge" / "eval" / "questions.jsonl"


def ticket_articles(path: Path, limit: int) -> list[Article]:
    """Turn service-desk tickets into one-section articles, to scale the corpus with real IT text."""
    articles = []
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        for number, row in enumerate(csv.DictReader(handle)):
            if len(articles) >= limit:
                break
            text = row["Document"].strip()
            if not text:
                continue
            articles.append(
                Article(
                    id=f"ticket-{number}",
                    title=f"{row['Topic_group']} ticket {number}",
                    summary=text[:80],
                    tags=(row["Topic_group"].lower(),),
                    owner="bench",
                    last_reviewed=date(2026, 1, 1),
                    body=text,
                    path=path,
                    content_hash=hashlib.sha256(text.encode()).hexdigest(),
                )
            )
    return articles


async def measure(corpus: str, tickets: Path | None, scaled_chunks: int, queries: int) -> dict[str, object]:
    encoder = MiniLMEncoder()
    articles = list(load_articles(directory=packaged_articles_dir()).articles)
    if corpus == "scaled":
        assert tickets is not None
        articles += ticket_articles(tickets, scaled_chunks)
    questions = [q.question for q in load_questions(QUESTIONS)]
    questions = (questions * (queries // len(questions) + 1))[:queries]

    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        index = KnowledgeIndex.open(directory=data_dir / "kb", encoder=encoder)
        started = time.perf_counter()
        await index.sync(articles=articles)
        index_seconds = time.perf_counter() - started
        chunks = index.chunk_count

        retriever = HybridRetriever(index=index, encoder=encoder)
        retrieval_ms = []
        for question in questions:
            encoder.clear_cache()  # cold queries: every one pays for its own embedding
            t0 = time.perf_counter()
            await retriever.search(question, k=10)
            retrieval_ms.append((time.perf_counter() - t0) * 1000)

        services = await build_services(Settings(data_dir=data_dir), encoder=encoder)
        turn_ms = []
        for question in questions:
            encoder.clear_cache()
            port = CollectingReplyPort()
            inbound = Inbound(
                conversation=ConversationRef(channel="bench", id=uuid.uuid4().hex),
                user=UserRef(id="bench"),
                text=question,
            )
            t0 = time.perf_counter()
            await services.engine.handle(inbound, port)
            turn_ms.append((time.perf_counter() - t0) * 1000)
        await services.close()

    return {
        "corpus": corpus,
        "articles": len(articles),
        "chunks": chunks,
        "index_seconds": round(index_seconds, 1),
        "chunks_per_second": round(chunks / index_seconds, 1),
        "retrieval_p50_ms": round(statistics.median(retrieval_ms), 1),
        "retrieval_p95_ms": round(float(np.percentile(retrieval_ms, 95, method="nearest")), 1),
        "turn_p50_ms": round(statistics.median(turn_ms), 1),
        "turn_p95_ms": round(float(np.percentile(turn_ms, 95, method="nearest")), 1),
        "queries": len(questions),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=Path, help="Endava tickets CSV (.csv.gz) to build the scaled corpus")
    parser.add_argument("--scaled-chunks", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--corpus", choices=["starter", "scaled"], help=argparse.SUPPRESS)  # child process
    args = parser.parse_args()

    if args.corpus:
        print(json.dumps(asyncio.run(measure(args.corpus, args.tickets, args.scaled_chunks, args.queries))))
        return

    corpora = ["starter"] + (["scaled"] if args.tickets else [])
    rows = []
    for corpus in corpora:
        command = [
            sys.executable,
            __file__,
            "--corpus",
            corpus,
            "--scaled-chunks",
            str(args.scaled_chunks),
            "--queries",
            str(args.queries),
        ] + (["--tickets", str(args.tickets)] if args.tickets else [])
        output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
    print(f"cores: {os.cpu_count()}, queries per corpus: {args.queries}, cold query embeddings, no LLM\n")
    print(
        "| corpus | articles | chunks | index s | chunks/s | retrieval p50 ms | retrieval p95 ms "
        "| turn p50 ms | turn p95 ms | peak RSS MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['corpus']} | {r['articles']} | {r['chunks']} | {r['index_seconds']} | {r['chunks_per_second']} "
            f"| {r['retrieval_p50_ms']} | {r['retrieval_p95_ms']} | {r['turn_p50_ms']} | {r['turn_p95_ms']} "
            f"| {r['peak_rss_mb']} |"
        )
    if not args.tickets:
        print("\n(add --tickets PATH to also measure a scaled corpus of 10,000+ chunks)")


if __name__ == "__main__":
    main()
