"""The `helpdesk-bot` command line, driven as a user would type it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bot.app
from bot.__main__ import app
from knowledge.embeddings import MiniLMEncoder

runner = CliRunner()


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch, starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder) -> None:
    monkeypatch.setenv("HELPDESK_DATA_DIR", str(starter_data_dir))
    monkeypatch.setenv("HELPDESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HELPDESK_LOG_LEVEL", "warning")

    async def shared_encoder() -> MiniLMEncoder:
        return encoder  # the session's model, instead of loading it again

    monkeypatch.setattr(bot.app, "load_encoder", shared_encoder)


def test_ask_prints_the_replies_as_json(configured: None) -> None:
    result = runner.invoke(app, ["ask", "my print job is stuck in the queue", "--json"])
    assert result.exit_code == 0, result.output
    [reply] = json.loads(result.stdout)
    assert reply["kind"] == "answer"
    assert reply["citations"][0]["article_id"] == "printer-stuck-jobs"


def test_ask_prints_text_with_its_source(configured: None) -> None:
    result = runner.invoke(app, ["ask", "how do I set an out of office reply in outlook"])
    assert result.exit_code == 0, result.output
    assert "Source: " in result.stdout


def test_chat_holds_a_conversation_until_exit(configured: None) -> None:
    result = runner.invoke(app, ["chat"], input="hello\nI want to talk to a person\nexit\n")
    assert result.exit_code == 0, result.output
    assert "IT help bot" in result.stdout
    assert "HD-" in result.stdout


def test_invalid_configuration_stops_with_the_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_HOST", "0.0.0.0")
    result = runner.invoke(app, ["ask", "hi"])
    assert result.exit_code == 2
    assert "loopback" in result.output


def test_chat_offers_numbered_choices_and_takes_a_number(configured: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Thresholds that send every question to the clarify step make the choice deterministic.
    monkeypatch.setenv("HELPDESK_ANSWER_THRESHOLD", "1.0")
    monkeypatch.setenv("HELPDESK_CLARIFY_THRESHOLD", "0.0")
    result = runner.invoke(app, ["chat"], input="printer problem\n1\nexit\n")
    assert result.exit_code == 0, result.output
    assert "  [1] " in result.stdout
    first_option = result.stdout.split("  [1] ")[1].splitlines()[0]
    assert f"From **{first_option}**" in result.stdout


def test_a_failing_turn_apologises_and_the_chat_goes_on(configured: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.core.engine import Engine

    original = Engine.handle
    calls = {"n": 0}

    async def fail_first(self: Engine, inbound, port):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            raise RuntimeError("database went away")
        return await original(self, inbound, port)

    monkeypatch.setattr(Engine, "handle", fail_first)
    result = runner.invoke(app, ["chat"], input="my vpn drops\nhello\nexit\n")
    assert result.exit_code == 0, result.output
    assert "something went wrong on my side" in result.stdout
    assert "IT help bot" in result.stdout
    assert result.stdout.count("bot> ") == 2


def test_a_bad_configuration_file_ends_the_command_with_its_reason_not_a_traceback(
    configured: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    staff_yml = tmp_path / "staff.yml"
    staff_yml.write_text("groups: [not, a, mapping]\n", encoding="utf-8")
    monkeypatch.setenv("HELPDESK_STAFF_CONFIG", str(staff_yml))
    result = runner.invoke(app, ["ask", "hi"])
    assert result.exit_code == 1, result.output
    assert "staff.yml" in result.output
    assert "Traceback" not in result.output


def test_every_command_names_a_bad_variable_by_its_full_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_CHROMA_TIMEOUT_SECONDS", "soon")
    for command in (["kb", "validate"], ["db", "current"], ["audit", "verify"], ["incidents", "list"]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2, (command, result.output)
        assert "HELPDESK_CHROMA_TIMEOUT_SECONDS: Input should be a valid number" in result.output, command
