"""Compare fusion rules for hybrid retrieval on a BEIR-layout folder (the data for choosing DEFAULT_FUSION).

Usage:
    python bench/tune_fusion.py DATA_DIR [--candidates 100] [--json]

DATA_DIR holds corpus.jsonl, queries.jsonl and qrels/test.tsv. The corpus is indexed once and each judged
query's candidate pool (both candidate lists, each chunk with both signals) is gathered once with the bot's own
retriever; every fusion rule in the grid then orders the same pools, so the rules differ in nothing else.
Prints nDCG@10, Recall@5, Recall@10 and MRR@10 per rule, best nDCG first, after the single retrievers.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from dataclasses import asdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.beir import Metrics, as_article, load_beir, score_rankings  # noqa: E402
from knowledge.embeddings import MiniLMEncoder  # noqa: E402
from knowledge.fusion import Fusion  # noqa: E402
from knowledge.index import KnowledgeIndex  # noqa: E402
from knowledge.model import SearchResult  # noqa: E402
from knowledge.retrieval import HybridRetriever, Pool, fuse  # noqa: E402

GRID: tuple[Fusion, ...] = (
    *(Fusion(method="convex", dense_weight=w / 20) for w in range(8, 21)),
    *(
        Fusion(method="convex", dense_weight=w / 20, bm25_saturation=s)
        for w in range(10, 20)
        for s in (2.0, 5.0, 10.0, 20.0)
    ),
    *(Fusion(method="rrf", dense_weight=w / 10, rrf_k=k) for w in (5, 6, 7, 8, 9) for k in (10, 60)),
)


def label(fusion: Fusion) -> str:
    if fusion.method == "rrf":
        return f"rrf w={fusion.dense_weight:.2f} k={fusion.rrf_k}"
    if fusion.bm25_saturation is not None:
        return f"convex w={fusion.dense_weight:.2f} s={fusion.bm25_saturation:g}"
    return f"convex w={fusion.dense_weight:.2f}"


async def run(directory: Path, candidates: int) -> dict[str, Metrics]:
    dataset = load_beir(
        corpus=directory / "corpus.jsonl", queries=directory / "queries.jsonl", qrels=directory / "qrels" / "test.tsv"
    )
    encoder = MiniLMEncoder()
    with tempfile.TemporaryDirectory(prefix="tune-fusion-") as temporary:
        index = KnowledgeIndex.open(directory=Path(temporary), encoder=encoder)
        try:
            await index.sync(articles=[as_article(document) for document in dataset.corpus])
            retriever = HybridRetriever(index=index, encoder=encoder, candidates=candidates)
            pools: dict[str, Pool] = {}
            singles: dict[str, dict[str, list[str]]] = {"bm25": {}, "dense": {}}
            for query_id in dataset.qrels:
                text = dataset.queries[query_id]
                pools[query_id] = await retriever.pool(text)
                for mode in ("bm25", "dense"):
                    found = await retriever.search(text, k=candidates, mode=mode)  # type: ignore[arg-type]
                    singles[mode][query_id] = found.article_ids()
        finally:
            await index.close()
    results = {mode: score_rankings(rankings=ranked, qrels=dataset.qrels) for mode, ranked in singles.items()}
    for fusion in GRID:
        rankings = {
            query_id: SearchResult(query="", hits=tuple(fuse(pool, fusion))).article_ids()
            for query_id, pool in pools.items()
        }
        results[label(fusion)] = score_rankings(rankings=rankings, qrels=dataset.qrels)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--candidates", type=int, default=100)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = asyncio.run(run(args.data_dir, args.candidates))
    if args.json:
        print(json.dumps({name: asdict(metrics) for name, metrics in results.items()}, indent=2))
        return
    singles = [name for name in results if name in ("bm25", "dense")]
    fused = sorted((name for name in results if name not in singles), key=lambda n: -results[n].ndcg_at_10)
    print(f"{next(iter(results.values())).queries} judged queries")
    print(f"{'rule':<26}{'nDCG@10':>9}{'R@5':>7}{'R@10':>7}{'MRR@10':>8}")
    for name in [*singles, *fused]:
        m = results[name]
        print(f"{name:<26}{m.ndcg_at_10:>9.3f}{m.recall_at_5:>7.3f}{m.recall_at_10:>7.3f}{m.mrr_at_10:>8.3f}")


if __name__ == "__main__":
    main()
