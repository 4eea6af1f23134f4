"""Embedded ChromaDB against a Chroma server (`chroma run` on loopback): sync, replica start-up and query latency.

Usage:
    python bench/chroma_server.py [--questions 200]

With the starter articles, for each store: a full `kb sync` (embedding included, as the indexing job runs it),
the same sync with every vector already computed (what the store itself costs), opening a replica's index (a
server replica reads every chunk from the server), and hybrid retrieval over the labelled questions with their
embeddings cached (so the store's share shows). Prints a Markdown table; never fails on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.calibrate import load_questions  # noqa: E402
from knowledge.embeddings import Encoder, MiniLMEncoder, Vectors  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.loader import load_articles  # noqa: E402
from knowledge.paths import packaged_articles_dir  # noqa: E402
from knowledge.retrieval import HybridRetriever  # noqa: E402
from tests.support.servers.chroma import running_chroma  # noqa: E402

QUESTIONS = ROOT / "knowledge" / "eval" / "questions.jsonl"
MAX_QUESTIONS = 300


class Precomputed:
    """An encoder whose vectors are already known, so a sync measures the store rather than the model."""

    def __init__(self, encoder: Encoder, texts: Sequence[str]) -> None:
        self.dimension = encoder.dimension
        self._vectors = dict(zip(texts, encoder.encode(list(texts)), strict=True))
        self._encoder = encoder

    def encode(self, texts: Sequence[str]) -> Vectors:
        if all(text in self._vectors for text in texts) and texts:
            return np.stack([self._vectors[text] for text in texts])
        return self._encoder.encode(texts)


async def measure(
    *, label: str, encoder: MiniLMEncoder, questions: list[str], directory: Path, chroma_url: str | None
) -> dict[str, float]:
    from knowledge.chroma_store import dense_text
    from knowledge.chunking import chunk_article

    articles = load_articles(directory=packaged_articles_dir()).articles
    row: dict[str, float] = {}

    index = KnowledgeIndex.open(directory=directory / "full", encoder=encoder, chroma_url=chroma_url)
    started = time.perf_counter()
    report = await index.sync(articles=articles)
    row["sync_s"] = time.perf_counter() - started
    row["chunks"] = report.chunk_count
    await index.close()
    if chroma_url is not None:  # start the store-only sync from an empty collection again
        index = KnowledgeIndex.open(directory=directory / "full", encoder=encoder, chroma_url=chroma_url)
        await index.sync(articles=[])
        await index.close()

    known = Precomputed(encoder, [dense_text(c) for a in articles for c in chunk_article(article=a)])
    index = KnowledgeIndex.open(directory=directory / "store", encoder=known, chroma_url=chroma_url)
    started = time.perf_counter()
    await index.sync(articles=articles)
    row["store_sync_s"] = time.perf_counter() - started
    await index.close()

    started = time.perf_counter()
    replica = KnowledgeIndex.open(directory=directory / "store", encoder=encoder, chroma_url=chroma_url)
    row["open_ms"] = (time.perf_counter() - started) * 1000
    retriever = HybridRetriever(index=replica, encoder=encoder)
    for question in questions:  # warm the single-text embedding cache: the model is the same for both stores
        encoder.encode([question])
    latencies = []
    for question in questions:
        started = time.perf_counter()
        await retriever.search(question, k=10)
        latencies.append((time.perf_counter() - started) * 1000)
    checks = []
    for _ in range(50):
        started = time.perf_counter()
        await replica.refresh()
        checks.append((time.perf_counter() - started) * 1000)
    await replica.close()
    row["p50_ms"] = statistics.median(latencies)
    row["p95_ms"] = float(np.percentile(latencies, 95))
    row["refresh_ms"] = statistics.median(checks)
    print(f"{label}: done", file=sys.stderr)
    return row


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=200, help=f"how many labelled questions (≤ {MAX_QUESTIONS})")
    args = parser.parse_args()
    questions = [q.question for q in load_questions(QUESTIONS)][: min(args.questions, MAX_QUESTIONS)]
    encoder = MiniLMEncoder()
    with tempfile.TemporaryDirectory(prefix="bench-chroma-") as temporary:
        root = Path(temporary)
        embedded = await measure(
            label="embedded", encoder=encoder, questions=questions, directory=root / "embedded", chroma_url=None
        )
        with running_chroma(root / "server") as server:
            remote = await measure(
                label="server", encoder=encoder, questions=questions, directory=root / "replica", chroma_url=server.url
            )
    print(
        f"\nStarter articles ({embedded['chunks']:.0f} chunks); retrieval over {len(questions)} questions, "
        "query embeddings cached\n"
    )
    print(
        "| store | kb sync s | sync, vectors known s | open index ms | retrieval p50 ms | retrieval p95 ms "
        "| refresh check ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for label, row in (("embedded (PersistentClient)", embedded), ("Chroma server on loopback", remote)):
        refresh = f"{row['refresh_ms']:.2f}" if row is remote else "—"  # the embedded store has nothing to ask
        print(
            f"| {label} | {row['sync_s']:.1f} | {row['store_sync_s']:.2f} | {row['open_ms']:.0f} "
            f"| {row['p50_ms']:.1f} | {row['p95_ms']:.1f} | {refresh} |"
        )


if __name__ == "__main__":
    asyncio.run(main())
