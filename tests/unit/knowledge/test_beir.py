"""BEIR-format evaluation: clear errors for malformed files, and metrics checked against hand computation."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from knowledge.beir import BeirFormatError, Metrics, evaluate_beir, load_beir, load_labelled, score_rankings
from knowledge.embeddings import MiniLMEncoder
from knowledge.loader import load_articles
from knowledge.paths import packaged_articles_dir, packaged_eval_dir

CORPUS = [
    {"_id": "d-vpn", "title": "VPN", "text": "Open Cisco Secure Client and connect to vpn.example.com."},
    {
        "_id": "d-print",
        "title": "Printing",
        "text": "A print job stuck in the queue: release it with your badge at the printer, or delete it.",
    },
    {"_id": "d-scan", "title": "Scanning", "text": "At the printer tap Scan to My E-mail after badging in."},
    {"_id": "d-password", "title": "Passwords", "text": "Forgot your password? Reset it at passwordreset."},
    {
        "_id": "d-car",
        "title": "Pool cars",
        "text": "Book a company vehicle for a business trip in the fleet portal; collect the key at the front desk.",
    },
]
QUERIES = [
    {"_id": "q1", "text": "vpn will not connect"},
    {"_id": "q2", "text": "my print job is stuck at the printer"},
    {"_id": "q3", "text": "forgot my password"},
    {"_id": "q4", "text": "automobile reservation"},  # shares no word with the corpus
    {"_id": "q5", "text": "a question nobody judged"},
]
HEADER = "query-id\tcorpus-id\tscore\n"
QRELS = HEADER + "q1\td-vpn\t2\nq2\td-print\t1\nq2\td-scan\t1\nq3\td-password\t1\nq4\td-car\t1\n"


def write(
    directory: Path, corpus: str | None = None, queries: str | None = None, qrels: str = QRELS
) -> dict[str, Path]:
    paths = {name: directory / name for name in ("corpus.jsonl", "queries.jsonl", "qrels.tsv")}
    paths["corpus.jsonl"].write_text(
        corpus if corpus is not None else "\n".join(map(json.dumps, CORPUS)), encoding="utf-8"
    )
    paths["queries.jsonl"].write_text(
        queries if queries is not None else "\n".join(map(json.dumps, QUERIES)), encoding="utf-8"
    )
    paths["qrels.tsv"].write_text(qrels, encoding="utf-8")
    return {"corpus": paths["corpus.jsonl"], "queries": paths["queries.jsonl"], "qrels": paths["qrels.tsv"]}


def test_a_dataset_loads(tmp_path: Path) -> None:
    dataset = load_beir(**write(tmp_path))
    assert [d.id for d in dataset.corpus] == ["d-vpn", "d-print", "d-scan", "d-password", "d-car"]
    assert dataset.queries["q4"] == "automobile reservation"
    assert dataset.qrels == {
        "q1": {"d-vpn": 2},
        "q2": {"d-print": 1, "d-scan": 1},
        "q3": {"d-password": 1},
        "q4": {"d-car": 1},
    }


def test_qrels_without_a_header_load_too(tmp_path: Path) -> None:
    dataset = load_beir(**write(tmp_path, qrels="q1 d-vpn 1\n"))
    assert dataset.qrels == {"q1": {"d-vpn": 1}}


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"corpus": '{"_id": "a", "text": "x"}\n{"_id": "b", "text": \n'}, "corpus.jsonl:2: not valid JSON: "),
        ({"corpus": '{"title": "t", "text": "x"}\n'}, "corpus.jsonl:1: missing or empty '_id'"),
        ({"corpus": '["a", "b"]\n'}, "corpus.jsonl:1: expected a JSON object, got list"),
        (
            {"corpus": '{"_id": "a", "text": "x"}\n\n{"_id": "a", "text": "y"}\n'},
            "corpus.jsonl:3: duplicate _id 'a' (first on line 1)",
        ),
        ({"queries": '{"_id": "q1"}\n'}, "queries.jsonl:1: 'text' must be a non-empty string"),
        (
            {"qrels": HEADER + "q1\td-vpn\n"},
            "qrels.tsv:2: expected 3 tab-separated fields (query-id, corpus-id, score), got 2",
        ),
        ({"qrels": HEADER + "q1\td-vpn\thigh\n"}, "qrels.tsv:2: score must be an integer, got 'high'"),
        ({"qrels": HEADER + "q1\td-nope\t1\n"}, "qrels.tsv:2: document 'd-nope' is not in corpus.jsonl"),
        ({"qrels": HEADER + "q9\td-vpn\t1\n"}, "qrels.tsv:2: query 'q9' is not in queries.jsonl"),
        ({"qrels": "q1\td-vpn\t1\nq1\td-vpn\t2\n"}, "qrels.tsv:2: second judgement for ('q1', 'd-vpn')"),
    ],
)
def test_malformed_lines_are_reported_with_file_and_line(tmp_path: Path, files: dict[str, str], message: str) -> None:
    with pytest.raises(BeirFormatError) as raised:
        load_beir(**write(tmp_path, **files))
    assert str(raised.value).startswith(f"{tmp_path}/{message}")


def test_metrics_match_a_hand_computation() -> None:
    qrels = {"qa": {"a": 1, "b": 2, "c": 1}, "qb": {"z": 1}, "qc": {"y": 0}}
    rankings = {"qa": ["a", "x", "b"], "qb": ["p", "q", "z"]}
    metrics = score_rankings(rankings=rankings, qrels=qrels)
    # qa: DCG = 1/log2(2) + 2/log2(4) = 2; ideal order (2, 1, 1): 2 + 1/log2(3) + 1/log2(4).
    ndcg_a = 2 / (2 + 1 / math.log2(3) + 0.5)
    ndcg_b = (1 / math.log2(4)) / 1  # z at rank 3
    assert metrics.queries == 2  # qc has no relevant document, so it is not scored
    assert metrics.ndcg_at_10 == pytest.approx((ndcg_a + ndcg_b) / 2)
    assert metrics.recall_at_5 == pytest.approx((2 / 3 + 1) / 2)
    assert metrics.recall_at_10 == pytest.approx((2 / 3 + 1) / 2)
    assert metrics.mrr_at_10 == pytest.approx((1 + 1 / 3) / 2)


def test_only_the_top_ten_count() -> None:
    metrics = score_rankings(rankings={"q": [f"x{i}" for i in range(10)] + ["hit"]}, qrels={"q": {"hit": 1}})
    assert metrics == Metrics(ndcg_at_10=0.0, recall_at_5=0.0, recall_at_10=0.0, mrr_at_10=0.0, queries=1)


def test_recall_at_five_stops_at_rank_five() -> None:
    ranking = ["x1", "x2", "x3", "x4", "x5", "hit"]
    metrics = score_rankings(rankings={"q": ranking}, qrels={"q": {"hit": 1}})
    assert (metrics.recall_at_5, metrics.recall_at_10) == (0.0, 1.0)


@pytest.mark.asyncio
async def test_a_tiny_evaluation_in_every_mode(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    results = await evaluate_beir(dataset=load_beir(**write(tmp_path)), encoder=encoder)
    assert list(results) == ["bm25", "dense", "rrf", "hybrid"]
    # q1-q3 rank their relevant documents first in every mode (q2's two at ranks 1 and 2): 1.0 each.
    # q4 shares no word with the corpus, so BM25 returns nothing for it (0.0) while the dense side finds the
    # pool car first. Means over the four judged queries (q5 has no judgement):
    assert results["bm25"] == Metrics(ndcg_at_10=0.75, recall_at_5=0.75, recall_at_10=0.75, mrr_at_10=0.75, queries=4)
    perfect = Metrics(ndcg_at_10=1.0, recall_at_5=1.0, recall_at_10=1.0, mrr_at_10=1.0, queries=4)
    assert results["dense"] == results["rrf"] == results["hybrid"] == perfect


def test_labelled_questions_become_queries_with_one_relevant_article_and_a_language(tmp_path: Path) -> None:
    path = tmp_path / "heldout.jsonl"
    rows: list[dict[str, str | None]] = [
        {"question": "vpn drops all the time", "article_id": "vpn-drops", "lang": "en"},
        {"question": "Mein Drucker druckt nicht mehr richtig", "article_id": "printer-stuck-jobs"},
        {"question": "what time does the canteen close", "article_id": None, "lang": "en"},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    labelled = load_labelled(path)
    assert labelled.queries == {q: row["question"] for q, row in zip(("q1", "q2", "q3"), rows, strict=True)}
    assert labelled.qrels == {"q1": {"vpn-drops": 1}, "q2": {"printer-stuck-jobs": 1}}  # q3: nothing answers it
    assert labelled.languages == {"q1": "en", "q2": "de", "q3": "en"}  # q2's language was detected
    german = labelled.only("de")
    assert (german.queries, german.qrels) == ({"q2": rows[1]["question"]}, {"q2": {"printer-stuck-jobs": 1}})


def test_a_labelled_question_without_text_is_reported_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "heldout.jsonl"
    path.write_text('{"question": "vpn", "article_id": "vpn-connect"}\n{"article_id": "vpn-connect"}\n')
    with pytest.raises(BeirFormatError, match=f"{path}:2: expected"):
        load_labelled(path)


def test_the_packaged_held_out_set_is_realistic_and_a_fifth_german(tmp_path: Path) -> None:
    labelled = load_labelled(packaged_eval_dir() / "questions_heldout.jsonl")
    known = {article.id for article in load_articles(directory=packaged_articles_dir()).articles}
    assert {article for judged in labelled.qrels.values() for article in judged} <= known
    german = labelled.only("de")
    assert len(german.qrels) >= 0.2 * len(labelled.qrels)
    assert any("\n" in text for text in labelled.queries.values())  # e-mails with greetings and signatures
    assert any(len(text.split()) == 1 for text in labelled.queries.values())  # one-word messages
