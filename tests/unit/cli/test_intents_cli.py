"""`helpdesk-bot intents eval | calibrate` on a tiny labelled set and a tiny examples file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.cli.intents
from bot.cli.intents import intents_app
from knowledge.embeddings import Encoder, MiniLMEncoder

runner = CliRunner()

EXAMPLES = """threshold: 0.5
intents:
  human: [talk to a person, I want a human, connect me to an agent, get me someone from IT]
  greeting: [hello, hi, good morning]
  reset_password: [reset my password, I forgot my password, new password please, password expired]
  unlock_account: [unlock my account, my account is locked, I am locked out]
  none: [what are the password rules, my printer is broken, how does the vpn work, the wifi is slow]
"""
LABELLED = [
    {"text": "please reset my password", "intent": "reset_password", "kind": "chat"},
    {"text": "Hi,\n\nmy account is locked.\n\nRegards\nAnn", "intent": "unlock_account", "kind": "email"},
    {"text": "what are the rules for passwords", "intent": None, "kind": "chat"},
    {"text": "can I talk to a person", "intent": "human", "kind": "chat"},
]


@pytest.fixture(autouse=True)
def shared_model(monkeypatch: pytest.MonkeyPatch, encoder: MiniLMEncoder) -> None:
    """The commands load the model themselves; reuse the session's instead of loading it again."""

    async def loaded() -> Encoder:
        return encoder

    monkeypatch.setattr(bot.cli.intents, "_encoder", loaded)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    examples, labelled = tmp_path / "examples.yml", tmp_path / "labelled.jsonl"
    examples.write_text(EXAMPLES, encoding="utf-8")
    labelled.write_text("".join(json.dumps(row) + "\n" for row in LABELLED), encoding="utf-8")
    return examples, labelled


def test_eval_prints_the_classifier_next_to_the_nearest_example_baseline(files: tuple[Path, Path]) -> None:
    examples, labelled = files
    result = runner.invoke(intents_app, ["eval", "--set", str(labelled), "--examples", str(examples)])
    assert result.exit_code == 0, result.output
    assert "labelled.jsonl: 4 messages (1 with no intent)" in result.stdout
    assert result.stdout.splitlines()[3].split() == ["classifier", "nearest", "example"]
    names = {line[:22].strip() for line in result.stdout.splitlines()}
    assert names >= {"action precision", "action recall", "out of scope rate", "false action rate", "accuracy: email"}
    assert any(line.split()[:1] == ["reset_password"] for line in result.stdout.splitlines())


def test_eval_as_json_has_per_intent_scores_and_the_out_of_scope_rate(files: tuple[Path, Path]) -> None:
    examples, labelled = files
    result = runner.invoke(intents_app, ["eval", "--set", str(labelled), "--examples", str(examples), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    classifier = report["classifier"]
    assert report["examples"] == 18
    assert classifier["messages"] == 4
    assert set(classifier["per_intent"]) == {"human", "reset_password", "unlock_account"}
    assert set(classifier["per_intent"]["human"]) == {"precision", "recall", "f1", "support"}
    assert classifier["threshold"] == 0.5
    assert 0.0 <= classifier["out_of_scope_rate"] <= 1.0
    assert classifier["false_action_rate"] + classifier["out_of_scope_rate"] <= 1.0
    assert set(classifier["accuracy_by_kind"]) == {"chat", "email"}
    assert report["nearest_example"]["threshold"] == 0.59


def test_calibrate_chooses_and_stores_a_threshold_from_the_development_set(files: tuple[Path, Path]) -> None:
    examples, labelled = files
    result = runner.invoke(intents_app, ["calibrate", "--set", str(labelled), "--examples", str(examples), "--write"])
    assert result.exit_code == 0, result.output
    chosen = next(line for line in result.stdout.splitlines() if line.endswith("<- chosen"))
    assert f"threshold: {float(chosen.split()[0]):.2f}" in examples.read_text(encoding="utf-8")
