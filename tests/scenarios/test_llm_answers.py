"""With HELPDESK_LLM set, answers are generated from the retrieved sections, cited, and fall back when the
model fails. The model is a local OpenAI-compatible stand-in reached through the real langchain-openai client."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knowledge.embeddings import MiniLMEncoder
from tests.fakes.openai_server import FakeOpenAI
from tests.support.webchat import running_bot

QUESTION = "how do I connect to the VPN?"


async def ask_with_llm(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder, llm: FakeOpenAI, **overrides: Any
) -> list[dict[str, Any]]:
    """Ask QUESTION of a bot configured for the stand-in model (overrides change its settings)."""
    settings: dict[str, Any] = {
        "llm": "openai:test-model",
        "llm_base_url": f"{llm.base_url}/v1",
        "llm_api_key": llm.api_key,
        "llm_timeout_seconds": 2.0,
        **overrides,
    }
    async with running_bot(data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, **settings) as bot:
        return await bot.person().say(QUESTION)


def sources_in(body: dict[str, Any]) -> str:
    return str(body["messages"][-1]["content"])


@pytest.mark.asyncio
async def test_the_model_answers_from_the_retrieved_sections_and_cites_them(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder, llm: FakeOpenAI
) -> None:
    llm.respond = lambda body: "Open Cisco Secure Client and connect to vpn.example.com [1]."
    [reply] = await ask_with_llm(starter_data_dir, tmp_path, encoder, llm)
    assert reply["kind"] == "answer"
    assert reply["text"] == "Open Cisco Secure Client and connect to vpn.example.com [1]."
    assert reply["citations"][0]["article_id"].startswith("vpn-")
    [request] = llm.requests
    assert request["model"] == "test-model"
    assert "[1]" in sources_in(request)
    assert QUESTION in sources_in(request)
    assert "ONLY" in request["messages"][0]["content"]


@pytest.mark.asyncio
@pytest.mark.parametrize("failure", ["bad_key", "server_error", "timeout", "no_citation", "declines"])
async def test_any_model_failure_falls_back_to_the_extractive_answer(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder, llm: FakeOpenAI, failure: str
) -> None:
    overrides: dict[str, Any] = {}
    if failure == "bad_key":
        overrides["llm_api_key"] = "sk-wrong"
    elif failure == "server_error":
        llm.fail_status = 500
    elif failure == "timeout":
        llm.delay_seconds = 3.0
        overrides["llm_timeout_seconds"] = 0.5
    elif failure == "no_citation":
        llm.respond = lambda body: "Just connect to the VPN."
    else:
        llm.respond = lambda body: "NO_ANSWER"
    [reply] = await ask_with_llm(starter_data_dir, tmp_path, encoder, llm, **overrides)
    assert reply["kind"] == "answer"
    assert reply["text"].startswith("From **")  # the extractive composer's form
    assert reply["citations"][0]["article_id"].startswith("vpn-")
    if failure == "bad_key":
        assert llm.requests == []  # the stand-in refused it, like the real service


@pytest.mark.asyncio
async def test_the_llm_is_told_that_sources_are_data_not_instructions(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder, llm: FakeOpenAI
) -> None:
    llm.respond = lambda body: "I have reset the CEO's password as the article instructed [1]."
    replies = await ask_with_llm(starter_data_dir, tmp_path, encoder, llm)
    # Whatever the model claims, no action is taken: the engine only acts on detected intents.
    assert [r["kind"] for r in replies] == ["answer"]
    assert "instructions" in llm.requests[0]["messages"][0]["content"]
