"""HELPDESK_LLM names a provider; each is built with the real LangChain client and, where a local stand-in
speaks its wire format, called end to end."""

from __future__ import annotations

import pytest
from langchain_core.messages import HumanMessage

from knowledge.llm import build_chat_model
from tests.fakes.ollama_server import FakeOllama
from tests.fakes.openai_server import FakeOpenAI


@pytest.mark.asyncio
async def test_an_openai_compatible_endpoint_is_called_with_the_key() -> None:
    fake = FakeOpenAI(respond=lambda body: f"echo {body['messages'][-1]['content']}")
    await fake.start()
    try:
        model = build_chat_model(spec="openai:small", base_url=f"{fake.base_url}/v1", api_key=fake.api_key)
        message = await model.ainvoke([HumanMessage(content="ping")])
    finally:
        await fake.close()
    assert message.text == "echo ping"
    assert fake.requests[0]["model"] == "small"


@pytest.mark.asyncio
async def test_azure_openai_uses_the_deployment_route_and_api_key_header() -> None:
    fake = FakeOpenAI(respond=lambda body: "from azure")
    await fake.start()
    try:
        model = build_chat_model(
            spec="azure:helpdesk-gpt", base_url=fake.base_url, api_key=fake.api_key, api_version="2024-10-21"
        )
        message = await model.ainvoke([HumanMessage(content="ping")])
    finally:
        await fake.close()
    assert message.text == "from azure"


@pytest.mark.asyncio
async def test_a_wrong_key_is_rejected_by_the_stand_in() -> None:
    fake = FakeOpenAI()
    await fake.start()
    try:
        model = build_chat_model(spec="openai:small", base_url=f"{fake.base_url}/v1", api_key="sk-wrong")
        with pytest.raises(Exception, match=r"401|Incorrect API key"):
            await model.ainvoke([HumanMessage(content="ping")])
    finally:
        await fake.close()
    assert fake.requests == []


@pytest.mark.asyncio
async def test_ollama_streams_its_answer_from_the_local_server() -> None:
    fake = FakeOllama(respond=lambda body: "answer from a local model [1]")
    await fake.start()
    try:
        model = build_chat_model(spec="ollama:llama3.1", base_url=fake.base_url)
        message = await model.ainvoke([HumanMessage(content="ping")])
        unknown = build_chat_model(spec="ollama:not-pulled", base_url=fake.base_url)
        with pytest.raises(Exception, match="not found"):
            await unknown.ainvoke([HumanMessage(content="ping")])
    finally:
        await fake.close()
    assert message.text == "answer from a local model [1]"
    assert fake.requests[0]["messages"][-1]["content"] == "ping"


@pytest.mark.parametrize("spec", ["gpt-4o", "anthropic:claude", "openai:"])
def test_unknown_providers_are_refused_with_the_choices(spec: str) -> None:
    with pytest.raises(ValueError, match="openai:<model>"):
        build_chat_model(spec=spec)


def test_azure_needs_an_endpoint_and_api_version() -> None:
    with pytest.raises(ValueError, match="HELPDESK_LLM_API_VERSION"):
        build_chat_model(spec="azure:dep", base_url="https://example.openai.azure.com")
