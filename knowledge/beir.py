"""Retrieval evaluation on data in the BEIR layout: nDCG@10, Recall@10 and MRR@10 for each search mode.

Files: corpus.jsonl ({"_id", "title", "text"} per line), queries.jsonl ({"_id", "text"}) and a qrels TSV
(`query-id  corpus-id  score`, header line first). Relevance grades are used as linear gains, as in
trec_eval / BEIR; a document is relevant when its grade is above 0. Only queries with at least one relevant
document are scored.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from knowledge.embeddings import Encoder
from knowledge.index import KnowledgeIndex
from knowledge.model import Article
from knowledge.retrieval import MODES, HybridRetriever, Mode

CUTOFF = 10
EVAL_ORDER: tuple[Mode, ...] = ("bm25", "dense", "hybrid")


class BeirFormatError(ValueError):
    """A malformed line; the message starts with `file:line:`."""


@dataclass(frozen=True, kw_only=True)
class BeirDocument:
    id: str
    title: str
    text: str


@dataclass(frozen=True, kw_only=True)
class BeirDataset:
    corpus: tuple[BeirDocument, ...]
    queries: dict[str, str]  # query id -> text
    qrels: dict[str, dict[str, int]]  # query id -> {document id: grade}


@dataclass(frozen=True, kw_only=True)
class Metrics:
    """Means over the scored queries."""

    ndcg_at_10: float
    recall_at_10: float
    mrr_at_10: float
    queries: int


def load_beir(*, corpus: Path, queries: Path, qrels: Path) -> BeirDataset:
    """Read and cross-check the three files; raises BeirFormatError naming the first bad line."""
    documents = [
        BeirDocument(
            id=_id(path, number, row),
            title=_text(path, number, row, "title", required=False),
            text=_text(path, number, row, "text", required=True),
        )
        for path, number, row in _unique_rows(corpus)
    ]
    texts = {
        _id(path, number, row): _text(path, number, row, "text", required=True)
        for path, number, row in _unique_rows(queries)
    }
    known_documents = {document.id for document in documents}
    judgements: dict[str, dict[str, int]] = {}
    for number, query_id, document_id, grade in _qrels_lines(qrels):
        if query_id not in texts:
            raise BeirFormatError(f"{qrels}:{number}: query {query_id!r} is not in {queries.name}")
        if document_id not in known_documents:
            raise BeirFormatError(f"{qrels}:{number}: document {document_id!r} is not in {corpus.name}")
        if document_id in judgements.setdefault(query_id, {}):
            raise BeirFormatError(f"{qrels}:{number}: second judgement for ({query_id!r}, {document_id!r})")
        judgements[query_id][document_id] = grade
    return BeirDataset(corpus=tuple(documents), queries=texts, qrels=judgements)


def score_rankings(*, rankings: Mapping[str, Sequence[str]], qrels: Mapping[str, Mapping[str, int]]) -> Metrics:
    """nDCG@10, Recall@10 and MRR@10 of ranked document ids, averaged over queries with a relevant one."""
    ndcg = recall = mrr = 0.0
    scored = 0
    for query_id, grades in qrels.items():
        relevant = {doc for doc, grade in grades.items() if grade > 0}
        if not relevant:
            continue
        scored += 1
        top = list(rankings.get(query_id, ()))[:CUTOFF]
        dcg = sum(max(grades.get(doc, 0), 0) / math.log2(i + 2) for i, doc in enumerate(top))
        ideal = sorted((g for g in grades.values() if g > 0), reverse=True)[:CUTOFF]
        ndcg += dcg / sum(g / math.log2(i + 2) for i, g in enumerate(ideal))
        recall += len(relevant.intersection(top)) / len(relevant)
        mrr += next((1 / (i + 1) for i, doc in enumerate(top) if doc in relevant), 0.0)
    if not scored:
        return Metrics(ndcg_at_10=0.0, recall_at_10=0.0, mrr_at_10=0.0, queries=0)
    return Metrics(ndcg_at_10=ndcg / scored, recall_at_10=recall / scored, mrr_at_10=mrr / scored, queries=scored)


async def evaluate_beir(
    *, dataset: BeirDataset, encoder: Encoder, modes: Sequence[Mode] = EVAL_ORDER, candidates: int = 100
) -> dict[str, Metrics]:
    """Index the corpus in a temporary directory and score every judged query in each mode.

    Each document becomes an article (its title as the title, its text as the body), so it is chunked
    like a real article; a document ranks by its best chunk. `candidates` chunks are taken from each
    retriever, enough for ten distinct documents even when documents split into several chunks.
    """
    unknown = [mode for mode in modes if mode not in MODES]
    if unknown:
        raise ValueError(f"unknown mode {unknown[0]!r}")
    articles = [_as_article(document) for document in dataset.corpus]
    with tempfile.TemporaryDirectory(prefix="kb-beir-") as temporary:
        index = await asyncio.to_thread(KnowledgeIndex.open, directory=Path(temporary), encoder=encoder)
        try:
            await index.sync(articles=articles)
            retriever = HybridRetriever(index=index, encoder=encoder, candidates=candidates)
            results: dict[str, Metrics] = {}
            for mode in modes:
                rankings = {}
                for query_id in dataset.qrels:
                    found = await retriever.search(dataset.queries[query_id], k=candidates, mode=mode)
                    rankings[query_id] = found.article_ids()
                results[mode] = score_rankings(rankings=rankings, qrels=dataset.qrels)
        finally:
            await index.close()
    return results


def _as_article(document: BeirDocument) -> Article:
    digest = hashlib.sha256(f"{document.title}\n{document.text}".encode()).hexdigest()
    return Article(
        id=document.id,
        title=document.title,
        summary="",
        tags=(),
        owner="beir",
        last_reviewed=date(1970, 1, 1),
        body=document.text or document.title,
        path=Path(document.id),
        content_hash=digest,
    )


def _rows(path: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    for number, line in _lines(path):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            raise BeirFormatError(f"{path}:{number}: not valid JSON: {error.msg}") from error
        if not isinstance(row, dict):
            raise BeirFormatError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
        yield path, number, row


def _unique_rows(path: Path) -> Iterator[tuple[Path, int, dict[str, Any]]]:
    first_line: dict[str, int] = {}
    for path_, number, row in _rows(path):
        identifier = _id(path_, number, row)
        if identifier in first_line:
            raise BeirFormatError(
                f"{path}:{number}: duplicate _id {identifier!r} (first on line {first_line[identifier]})"
            )
        first_line[identifier] = number
        yield path_, number, row


def _id(path: Path, number: int, row: dict[str, Any]) -> str:
    value = row.get("_id")
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise BeirFormatError(f"{path}:{number}: missing or empty '_id'")
    return str(value).strip()


def _text(path: Path, number: int, row: dict[str, Any], key: str, *, required: bool) -> str:
    value = row.get(key, None if required else "")
    if value is None and not required:
        value = ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BeirFormatError(f"{path}:{number}: '{key}' must be a non-empty string")
    return value.strip()


def _qrels_lines(path: Path) -> Iterator[tuple[int, str, str, int]]:
    for position, (number, line) in enumerate(_lines(path)):
        fields = line.split("\t") if "\t" in line else line.split()
        if position == 0 and len(fields) == 3 and not _is_int(fields[2]):
            continue  # the header, e.g. "query-id\tcorpus-id\tscore"
        if len(fields) != 3:
            raise BeirFormatError(
                f"{path}:{number}: expected 3 tab-separated fields (query-id, corpus-id, score), got {len(fields)}"
            )
        query_id, document_id, score = (field.strip() for field in fields)
        if not _is_int(score):
            raise BeirFormatError(f"{path}:{number}: score must be an integer, got {score!r}")
        if not query_id or not document_id:
            raise BeirFormatError(f"{path}:{number}: empty query-id or corpus-id")
        yield number, query_id, document_id, int(score)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if line.strip():
                    yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as error:
        raise BeirFormatError(f"{path}: not valid UTF-8 ({error.reason})") from error


def _is_int(text: str) -> bool:
    try:
        int(text.strip())
    except ValueError:
        return False
    return True
