"""Write the starter knowledge base and its labelled questions in the BEIR layout, for `helpdesk-bot kb eval`.

Usage:
    python bench/export_beir.py OUT_DIR
    helpdesk-bot kb eval --corpus OUT_DIR/corpus.jsonl --queries OUT_DIR/queries.jsonl --qrels OUT_DIR/qrels.tsv

Each article is one BEIR document (title + body); each answerable labelled question is a query whose one
relevant document is its article. Unanswerable questions have no relevant document and are left out.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from knowledge.calibrate import load_questions  # noqa: E402
from knowledge.loader import load_articles  # noqa: E402
from knowledge.paths import packaged_articles_dir  # noqa: E402


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    articles = load_articles(directory=packaged_articles_dir()).articles
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for article in articles:
            corpus.write(json.dumps({"_id": article.id, "title": article.title, "text": article.body}) + "\n")
    questions = [q for q in load_questions(ROOT / "knowledge" / "eval" / "questions.jsonl") if q.article_id]
    with (
        (out / "queries.jsonl").open("w", encoding="utf-8") as queries,
        (out / "qrels.tsv").open("w", encoding="utf-8") as qrels,
    ):
        qrels.write("query-id\tcorpus-id\tscore\n")
        for number, question in enumerate(questions):
            queries.write(json.dumps({"_id": f"q{number}", "text": question.question}) + "\n")
            qrels.write(f"q{number}\t{question.article_id}\t1\n")
    print(f"wrote {len(articles)} documents and {len(questions)} queries to {out}")


if __name__ == "__main__":
    main()
