"""Builds the LangChain chat model named by a 'provider:model' string (HELPDESK_LLM)."""

from __future__ import annotations

from langchain_core.language_models.chat_models import BaseChatModel
from pydantic import SecretStr

PROVIDERS = ("openai", "azure", "ollama")


def build_chat_model(
    *,
    spec: str,
    base_url: str | None = None,
    api_key: str | None = None,
    api_version: str | None = None,
    timeout_seconds: float = 20.0,
) -> BaseChatModel:
    """Create the chat model; `openai` also covers any OpenAI-compatible server via `base_url`.

    Retries are off: a slow or failing model falls back to the extractive answer instead of making
    the person wait through retries.
    """
    provider, _, model = spec.partition(":")
    if provider not in PROVIDERS or not model:
        raise ValueError(f"unsupported LLM {spec!r}: use one of {', '.join(p + ':<model>' for p in PROVIDERS)}")
    if provider == "openai":
        from langchain_openai import ChatOpenAI

        return ChatOpenAI(
            model=model,
            base_url=base_url,
            api_key=SecretStr(api_key or "unset"),
            timeout=timeout_seconds,
            max_retries=0,
            temperature=0,
        )
    if provider == "azure":
        from langchain_openai import AzureChatOpenAI

        if not base_url or not api_version:
            raise ValueError(
                "azure LLM needs HELPDESK_LLM_BASE_URL (the resource endpoint) and HELPDESK_LLM_API_VERSION"
            )
        return AzureChatOpenAI(
            azure_deployment=model,
            azure_endpoint=base_url,
            api_version=api_version,
            api_key=SecretStr(api_key or "unset"),
            timeout=timeout_seconds,
            max_retries=0,
            temperature=0,
        )
    from langchain_ollama import ChatOllama

    return ChatOllama(model=model, base_url=base_url, temperature=0, client_kwargs={"timeout": timeout_seconds})
