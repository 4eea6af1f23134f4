"""The `kb` commands as an editor uses them: validate, sync, search and eval."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.kb
from bot.cli.kb import kb_app
from knowledge.embeddings import MiniLMEncoder
from tests.unit.knowledge.helpers import write_sample
from tests.unit.knowledge.test_beir import write as write_beir

runner = CliRunner()


@pytest.fixture(autouse=True)
def shared_model(monkeypatch: pytest.MonkeyPatch, encoder: MiniLMEncoder) -> None:
    """Commands load the model themselves; reuse the session's instead of loading it again."""
    monkeypatch.setattr(bot.cli.kb, "_encoder", lambda: encoder)


@pytest.fixture
def dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Articles and data directories, also set as the defaults through the environment."""
    articles, data = write_sample(tmp_path / "articles"), tmp_path / "data"
    monkeypatch.setenv("HELPDESK_ARTICLES_DIR", str(articles))
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(data))
    monkeypatch.delenv("HELPDESK_CHROMA_URL", raising=False)
    return articles, data


def break_date(articles: Path) -> Path:
    path = articles / "pool-car.md"
    path.write_text(path.read_text(encoding="utf-8").replace("2026-09-15", "2026-13-01"), encoding="utf-8")
    return path


def test_validate_reports_ok(dirs: tuple[Path, Path]) -> None:
    result = runner.invoke(kb_app, ["validate"])
    assert (result.exit_code, result.stdout) == (0, "5 articles OK\n")


def test_validate_prints_each_problem_and_fails(dirs: tuple[Path, Path]) -> None:
    bad = break_date(dirs[0])
    result = runner.invoke(kb_app, ["validate", "--articles", str(dirs[0])])
    assert result.exit_code == 1
    assert result.stdout == f"{bad}:7: last_reviewed must be an ISO date (YYYY-MM-DD), got '2026-13-01'\n"


def test_sync_then_search(dirs: tuple[Path, Path]) -> None:
    first = runner.invoke(kb_app, ["sync"])
    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("added 5, updated 0, removed 0, unchanged 0 (")
    assert (dirs[1] / "kb" / "manifest.json").exists()

    again = runner.invoke(kb_app, ["sync"])
    assert again.stdout.startswith("added 0, updated 0, removed 0, unchanged 5 (")

    found = runner.invoke(kb_app, ["search", "how do I connect to the vpn", "--k", "2", "--json"])
    assert found.exit_code == 0, found.output
    payload = json.loads(found.stdout)
    assert payload["mode"] == "hybrid"
    assert [hit["rank"] for hit in payload["hits"]] == [1, 2]
    assert payload["hits"][0]["article_id"] == "vpn-connect"
    expected_keys = {"chunk_id", "heading", "text", "score", "dense_similarity", "bm25_score"}
    assert expected_keys <= payload["hits"][0].keys()

    table = runner.invoke(kb_app, ["search", "FollowMe queue", "--mode", "bm25", "--k", "1"])
    assert table.exit_code == 0
    assert table.stdout.splitlines()[0].split()[2] == "printer-add#0"


def test_sync_indexes_the_good_articles_and_fails_on_a_rejected_one(dirs: tuple[Path, Path]) -> None:
    bad = break_date(dirs[0])
    result = runner.invoke(kb_app, ["sync"])
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0] == f"{bad}:7: last_reviewed must be an ISO date (YYYY-MM-DD), got '2026-13-01'"
    assert lines[1].startswith("added 4, updated 0, removed 0, unchanged 0 (")
    manifest = json.loads((dirs[1] / "kb" / "manifest.json").read_text(encoding="utf-8"))
    assert "pool-car" not in manifest
    assert len(manifest) == 4


def test_search_on_an_empty_index_says_what_to_do(dirs: tuple[Path, Path]) -> None:
    result = runner.invoke(kb_app, ["search", "vpn"])
    assert result.exit_code == 1
    assert "is empty: run `helpdesk-bot kb sync` first" in result.stderr


def test_eval_prints_a_row_per_mode(tmp_path: Path) -> None:
    files = write_beir(tmp_path)
    args = [
        "eval",
        "--corpus",
        str(files["corpus"]),
        "--queries",
        str(files["queries"]),
        "--qrels",
        str(files["qrels"]),
    ]
    table = runner.invoke(kb_app, args)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    assert lines[:2] == ["5 documents", "4 judged queries"]
    assert lines[2].split() == ["mode", "nDCG@10", "Recall@5", "Recall@10", "MRR@10"]
    assert [line.split()[0] for line in lines[3:]] == ["bm25", "dense", "rrf", "hybrid"]
    assert lines[3].split()[1:] == ["0.750", "0.750", "0.750", "0.750"]

    as_json = json.loads(runner.invoke(kb_app, [*args, "--json"]).stdout)
    perfect = {"ndcg_at_10": 1.0, "recall_at_5": 1.0, "recall_at_10": 1.0, "mrr_at_10": 1.0, "queries": 4}
    assert as_json["hybrid"] == perfect


def test_eval_reads_a_beir_folder(tmp_path: Path) -> None:
    files = write_beir(tmp_path)
    (tmp_path / "qrels").mkdir()
    files["qrels"].rename(tmp_path / "qrels" / "test.tsv")
    result = runner.invoke(kb_app, ["eval", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"bm25", "dense", "rrf", "hybrid"}

    (tmp_path / "qrels" / "test.tsv").unlink()
    missing = runner.invoke(kb_app, ["eval", str(tmp_path)])
    assert missing.exit_code == 2
    assert "needs corpus.jsonl, queries.jsonl and qrels/test.tsv" in missing.stderr


def test_eval_scores_labelled_questions_against_the_articles_per_language(
    dirs: tuple[Path, Path], tmp_path: Path
) -> None:
    questions = tmp_path / "heldout.jsonl"
    rows = [
        {"question": "vpn wont connect from the hotel", "article_id": "vpn-connect", "lang": "en"},
        {"question": "forgot my password", "article_id": "password-self-service-reset", "lang": "en"},
        {"question": "Passwort vergessen", "article_id": "password-self-service-reset", "lang": "de"},
        {"question": "what's for lunch", "article_id": None, "lang": "en"},
    ]
    questions.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    table = runner.invoke(kb_app, ["eval", "--questions", str(questions)])
    assert table.exit_code == 0, table.output
    assert table.stdout.splitlines()[0] == "5 articles, heldout.jsonl"
    assert [line for line in table.stdout.splitlines() if "judged" in line] == [
        "all: 3 judged queries",
        "de: 1 judged queries",
        "en: 2 judged queries",
    ]

    as_json = json.loads(runner.invoke(kb_app, ["eval", "--questions", str(questions), "--json"]).stdout)
    assert list(as_json) == ["all", "de", "en"]
    assert as_json["de"]["hybrid"]["mrr_at_10"] == 1.0
    assert as_json["all"]["hybrid"]["queries"] == 3


def test_eval_reports_a_malformed_file(tmp_path: Path) -> None:
    files = write_beir(tmp_path, qrels="q1\td-vpn\n")
    result = runner.invoke(
        kb_app,
        ["eval", "--corpus", str(files["corpus"]), "--queries", str(files["queries"]), "--qrels", str(files["qrels"])],
    )
    assert result.exit_code == 1
    assert f"{files['qrels']}:1: expected 3 tab-separated fields" in result.stderr


def test_the_kb_commands_need_no_platform_credentials(dirs: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    # The indexing Job reads the ConfigMap (which may name TEAMS_APP_ID) but not the Secret with its password.
    monkeypatch.setenv("TEAMS_APP_ID", "app")
    monkeypatch.delenv("TEAMS_APP_PASSWORD", raising=False)
    monkeypatch.delenv("HELPDESK_TEAMS_APP_PASSWORD", raising=False)
    result = runner.invoke(kb_app, ["validate"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "5 articles OK\n"
