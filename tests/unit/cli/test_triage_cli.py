"""`helpdesk-bot triage`: evaluating, training on an export, and triaging a backlog file line by line."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.__main__ import app
from bot.triage.model_versions import DEFAULT_TICKETS
from knowledge.embeddings import MiniLMEncoder

runner = CliRunner()
OUTPUT_KEYS = {"id", "intent", "intent_confidence", "category", "category_confidence", "priority", "group"}


@pytest.fixture(autouse=True)
def shared_model(monkeypatch: pytest.MonkeyPatch, encoder: MiniLMEncoder, tmp_path: Path) -> None:
    """The CLI loads the session's encoder instead of its own, and keeps its data in the test's folder."""

    async def loaded() -> MiniLMEncoder:
        return encoder

    monkeypatch.setattr("bot.app.load_encoder", loaded)
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(tmp_path / "data"))


# A 3-fold evaluation of the 280 packaged example tickets: quick, and the same for every run.
EVALUATE_THE_DEFAULT_TICKETS = [
    "triage",
    "eval",
    "--csv",
    str(DEFAULT_TICKETS),
    "--text-col",
    "text",
    "--label-col",
    "category",
    "--folds",
    "3",
]


def test_eval_prints_our_scores_next_to_the_baseline() -> None:
    result = runner.invoke(app, EVALUATE_THE_DEFAULT_TICKETS)
    assert result.exit_code == 0, result.output
    assert "280 tickets, 7 labels, 3-fold cross-validation" in result.output
    assert "| ours: embeddings + TF-IDF, logistic regression | baseline: TF-IDF, linear SVM |" in result.output
    assert "| weighted f1 | 0." in result.output
    assert "| security | 40 |" in result.output


def test_eval_as_json_has_the_documented_fields() -> None:
    result = runner.invoke(app, [*EVALUATE_THE_DEFAULT_TICKETS, "--json"])
    assert result.exit_code == 0, result.output
    scores = json.loads(result.stdout)
    assert {"accuracy", "macro_f1", "weighted_f1", "per_class", "baseline"} <= set(scores)
    assert set(scores["per_class"]) == {"account", "access", "email", "hardware", "network", "security", "software"}
    assert set(scores["per_class"]["network"]) == {"precision", "recall", "f1", "support"}
    assert 0.5 < scores["weighted_f1"] <= 1
    assert 0 < scores["baseline"]["weighted_f1"] <= 1


def test_eval_of_an_export_without_the_column_says_which_columns_there_are() -> None:
    result = runner.invoke(
        app, ["triage", "eval", "--csv", str(DEFAULT_TICKETS), "--text-col", "body", "--label-col", "category"]
    )
    assert result.exit_code == 2
    assert "no column 'body'; the columns are text, category, group" in result.output


def test_a_trained_model_is_saved_as_the_next_version_and_used_by_batch_triage(tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    with DEFAULT_TICKETS.open(encoding="utf-8") as source, export.open("w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink)
        writer.writerow(["Description", "Assignment"])
        for row in csv.DictReader(source):
            writer.writerow([row["text"], f"IT-{row['category'].upper()}"])
    arguments = ["triage", "train", "--csv", str(export), "--text-col", "Description", "--label-col", "Assignment"]
    first, second = runner.invoke(app, arguments), runner.invoke(app, arguments)
    assert first.exit_code == 0, first.output
    assert "saved category model v1: 280 tickets, 7 labels" in first.output
    assert "saved category model v2" in second.output
    assert sorted(p.name for p in (tmp_path / "data" / "triage" / "category").iterdir()) == ["v1", "v2"]

    backlog = tmp_path / "backlog.jsonl"
    backlog.write_text('{"id": 1, "text": "the vpn keeps dropping when I work from home"}\n', encoding="utf-8")
    result = runner.invoke(app, ["triage", "--input", str(backlog), "--output", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    [line] = (tmp_path / "out.jsonl").read_text().splitlines()
    assert json.loads(line)["category"] == "IT-NETWORK"


def test_batch_triage_writes_one_line_per_good_ticket_and_reports_bad_lines(tmp_path: Path) -> None:
    backlog = tmp_path / "backlog.jsonl"
    backlog.write_text(
        "\n".join(
            [
                '{"id": "T-1", "text": "please reset my password, I forgot it"}',
                "{broken",
                '{"id": "T-2", "text": "the whole office has no internet, nobody can work, urgent"}',
                "",
                '{"id": "T-3"}',
                '{"id": 4, "text": "I want to talk to a human"}',
                '{"id": 5, "text": "hello"}',
                '"just a string"',
                '{"id": 6, "text": "my laptop screen is cracked"}',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    output = tmp_path / "triaged.jsonl"
    result = runner.invoke(app, ["triage", "--input", str(backlog), "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert f"{backlog}:2: skipped: not JSON" in result.output
    assert f"{backlog}:5: skipped: 'text' must be a non-empty string" in result.output
    assert f"{backlog}:8: skipped: not a JSON object" in result.output
    assert "triaged 5 tickets" in result.output
    assert "skipped 3 bad lines" in result.output

    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["id"] for row in rows] == ["T-1", "T-2", 4, 5, 6]
    assert all(set(row) == OUTPUT_KEYS for row in rows)
    by_id = {row["id"]: row for row in rows}
    assert (by_id["T-1"]["intent"], by_id["T-1"]["category"]) == ("reset_password", "account")
    assert (by_id["T-2"]["category"], by_id["T-2"]["priority"], by_id["T-2"]["group"]) == (
        "network",
        "P1",
        "service-desk",
    )
    assert by_id[4]["intent"] == "human"
    assert (by_id[5]["intent"], by_id[5]["intent_confidence"]) == (None, None)  # small talk is not a ticket intent
    assert by_id[6]["category"] == "hardware"
    assert 0.5 <= by_id[6]["category_confidence"] <= 1


def test_batch_triage_refuses_a_missing_input_and_writing_over_its_input(tmp_path: Path) -> None:
    missing = runner.invoke(
        app, ["triage", "--input", str(tmp_path / "nope.jsonl"), "--output", str(tmp_path / "out.jsonl")]
    )
    assert missing.exit_code == 2
    assert "no such file" in missing.output
    backlog = tmp_path / "backlog.jsonl"
    backlog.write_text('{"id": 1, "text": "vpn"}\n', encoding="utf-8")
    same = runner.invoke(app, ["triage", "--input", str(backlog), "--output", str(backlog)])
    assert same.exit_code == 2
    assert "must not be the --input file" in same.output
    assert backlog.read_text() == '{"id": 1, "text": "vpn"}\n'
    half = runner.invoke(app, ["triage", "--input", str(backlog)])
    assert half.exit_code == 2
