"""Retrieval evaluation: nDCG@10, Recall@5, Recall@10 and MRR@10 of each search mode, on data in the BEIR layout
or on labelled questions against real articles (the packaged held-out set).

BEIR files: corpus.jsonl ({"_id", "title", "text"} per line), queries.jsonl ({"_id", "text"}) and a qrels TSV
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
from knowledge.fusion import DEFAULT_FUSION, EQUAL_RRF, Fusion
from knowledge.index import KnowledgeIndex
from knowledge.model import Article, SearchResult
from knowledge.retrieval import HybridRetriever, fuse

CUTOFF = 10
RECALL_SHORT = 5
# Rows of an evaluation: the two single retrievers, equal-weight RRF (the fusion hybrid search used before) and
# hybrid as the bot runs it (DEFAULT_FUSION).
EVAL_ORDER: tuple[str, ...] = ("bm25", "dense", "rrf", "hybrid")


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
    recall_at_5: float
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
    """nDCG@10, Recall@5, Recall@10 and MRR@10 of ranked document ids, averaged over queries with a relevant one."""
    ndcg = recall_short = recall = mrr = 0.0
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
        recall_short += len(relevant.intersection(top[:RECALL_SHORT])) / len(relevant)
        recall += len(relevant.intersection(top)) / len(relevant)
        mrr += next((1 / (i + 1) for i, doc in enumerate(top) if doc in relevant), 0.0)
    if not scored:
        return Metrics(ndcg_at_10=0.0, recall_at_5=0.0, recall_at_10=0.0, mrr_at_10=0.0, queries=0)
    return Metrics(
        ndcg_at_10=ndcg / scored,
        recall_at_5=recall_short / scored,
        recall_at_10=recall / scored,
        mrr_at_10=mrr / scored,
        queries=scored,
    )


async def evaluate_beir(
    *, dataset: BeirDataset, encoder: Encoder, rows: Sequence[str] = EVAL_ORDER, candidates: int = 100
) -> dict[str, Metrics]:
    """Index the corpus in a temporary directory and score every judged query in each row of `rows`.

    Each document becomes an article (its title as the title, its text as the body), so it is chunked
    like a real article; a document ranks by its best chunk. `candidates` chunks are taken from each
    retriever, enough for ten distinct documents even when documents split into several chunks.
    """
    articles = [as_article(document) for document in dataset.corpus]
    queries = {query_id: dataset.queries[query_id] for query_id in dataset.qrels}
    return await evaluate_articles(
        articles=articles, queries=queries, qrels=dataset.qrels, encoder=encoder, rows=rows, candidates=candidates
    )


async def evaluate_articles(
    *,
    articles: Sequence[Article],
    queries: Mapping[str, str],
    qrels: Mapping[str, Mapping[str, int]],
    encoder: Encoder,
    rows: Sequence[str] = EVAL_ORDER,
    candidates: int = 100,
    english_readings: bool = True,
) -> dict[str, Metrics]:
    """Index `articles` in a temporary directory and score `queries` (id -> text) against `qrels` in each row.

    `english_readings` False searches German questions as written (for a before/after comparison).
    """
    rankings = await rank_articles(
        articles=articles,
        queries=queries,
        encoder=encoder,
        rows=rows,
        candidates=candidates,
        english_readings=english_readings,
    )
    return {row: score_rankings(rankings=ranked, qrels=qrels) for row, ranked in rankings.items()}


async def rank_articles(
    *,
    articles: Sequence[Article],
    queries: Mapping[str, str],
    encoder: Encoder,
    rows: Sequence[str] = EVAL_ORDER,
    candidates: int = 100,
    english_readings: bool = True,
) -> dict[str, dict[str, list[str]]]:
    """Each row's ranked article ids for every query (row -> query id -> ids), over one temporary index."""
    unknown = [row for row in rows if row not in EVAL_ORDER]
    if unknown:
        raise ValueError(f"unknown mode {unknown[0]!r}")
    with tempfile.TemporaryDirectory(prefix="kb-eval-") as temporary:
        index = await asyncio.to_thread(KnowledgeIndex.open, directory=Path(temporary), encoder=encoder)
        try:
            await index.sync(articles=articles)
            retriever = HybridRetriever(
                index=index, encoder=encoder, candidates=candidates, english_readings=english_readings
            )
            rankings: dict[str, dict[str, list[str]]] = {row: {} for row in rows}
            for query_id, text in queries.items():
                for row, result in (await _search_rows(retriever, text, rows, candidates)).items():
                    rankings[row][query_id] = result.article_ids()
        finally:
            await index.close()
    return rankings


async def _search_rows(retriever: HybridRetriever, text: str, rows: Sequence[str], k: int) -> dict[str, SearchResult]:
    """One query in every row; the fused rows share one candidate pool."""
    results: dict[str, SearchResult] = {}
    fusions: dict[str, Fusion] = {"rrf": EQUAL_RRF, "hybrid": DEFAULT_FUSION}
    pool = await retriever.pool(text) if any(row in fusions for row in rows) else None
    for row in rows:
        if row in ("bm25", "dense"):
            results[row] = await retriever.search(text, k=k, mode="bm25" if row == "bm25" else "dense")
        elif pool is not None:
            results[row] = SearchResult(query=text, hits=tuple(fuse(pool, fusions[row])[:k]))
    return results


@dataclass(frozen=True, kw_only=True)
class LabelledSet:
    """Labelled questions as an evaluation set: query id -> text, qrels, and each query's language."""

    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]
    languages: dict[str, str]

    def only(self, language: str) -> LabelledSet:
        """The questions in one language."""
        keep = {query_id for query_id, lang in self.languages.items() if lang == language}
        return LabelledSet(
            queries={q: t for q, t in self.queries.items() if q in keep},
            qrels={q: r for q, r in self.qrels.items() if q in keep},
            languages={q: lang for q, lang in self.languages.items() if q in keep},
        )


def load_labelled(path: Path) -> LabelledSet:
    """Read JSON Lines {"question", "article_id" (null: no article answers it), "lang" (optional: detected)}.

    Unanswerable questions have no relevant article, so retrieval metrics leave them out.
    """
    from knowledge.language import detect_language

    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    languages: dict[str, str] = {}
    for _, number, row in _rows(path):
        question, article_id = row.get("question"), row.get("article_id")
        if not isinstance(question, str) or not question.strip() or not isinstance(article_id, str | None):
            raise BeirFormatError(f'{path}:{number}: expected {{"question": text, "article_id": id or null}}')
        query_id = f"q{number}"
        queries[query_id] = question
        language = row.get("lang")
        languages[query_id] = language if isinstance(language, str) else detect_language(question)
        if article_id:
            qrels[query_id] = {article_id: 1}
    return LabelledSet(queries=queries, qrels=qrels, languages=languages)


def as_article(document: BeirDocument) -> Article:
    """A BEIR document as an article (its title as the title, its text as the body), to be chunked and indexed."""
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
