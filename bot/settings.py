"""All configuration, read from HELPDESK_* environment variables into one validated object."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.paths import default_articles_dir, index_dir


class SettingsError(ValueError):
    """Configuration that cannot work; the message says what to change."""


class Settings(BaseSettings):
    """Every setting has an embedded default so `helpdesk-bot run` works with no configuration at all."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    data_dir: Path = Path("var")
    database_url: str | None = None  # default: SQLite file in data_dir
    articles_dir: Path = Field(default_factory=default_articles_dir)
    chroma_url: str | None = None  # default: embedded Chroma under data_dir/kb

    web_auth: Literal["none", "header"] = "none"
    web_proxy_secret: SecretStr | None = None
    web_proxy_secret_header: str = "X-Helpdesk-Proxy-Secret"
    web_user_header: str = "X-Forwarded-User"
    web_email_header: str = "X-Forwarded-Email"
    web_name_header: str = "X-Forwarded-Preferred-Username"

    max_message_chars: int = Field(default=4000, ge=50)
    max_body_bytes: int = Field(default=64 * 1024, ge=1024)

    answer_threshold: float | None = Field(default=None, ge=0, le=1)  # default: knowledge/calibration.json
    clarify_threshold: float | None = Field(default=None, ge=0, le=1)
    intent_threshold: float | None = Field(default=None, ge=0, le=1)  # default: bot/core/intent_examples.yml
    intent_examples: Path | None = None

    llm: str | None = None  # e.g. "openai:gpt-4o-mini", "azure:my-deployment", "ollama:llama3.1"
    llm_base_url: str | None = None
    llm_api_key: SecretStr | None = None
    llm_api_version: str | None = None  # Azure OpenAI only
    llm_timeout_seconds: float = Field(default=20.0, gt=0)

    log_level: Literal["debug", "info", "warning", "error"] = "info"
    log_format: Literal["json", "console"] = "json"

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        if self.web_auth == "none" and not _is_loopback(self.host):
            raise ValueError(
                "HELPDESK_WEB_AUTH=none trusts whatever user the browser claims, so it is only allowed when "
                f"HELPDESK_HOST is a loopback address (got {self.host!r}). Use HELPDESK_WEB_AUTH=header behind "
                "an authenticating reverse proxy, or bind to 127.0.0.1."
            )
        if self.web_auth == "header" and not (self.web_proxy_secret and self.web_proxy_secret.get_secret_value()):
            raise ValueError(
                "HELPDESK_WEB_AUTH=header needs HELPDESK_WEB_PROXY_SECRET: the shared secret your reverse proxy "
                "sends so that nobody can forge the user header by talking to the bot directly."
            )
        if self.llm is not None and ":" not in self.llm:
            raise ValueError(
                f"HELPDESK_LLM must look like 'provider:model' (openai, azure or ollama), got {self.llm!r}"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'helpdesk.db').as_posix()}"

    @property
    def index_dir(self) -> Path:
        return index_dir(self.data_dir)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into one readable message."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        lines = [f"  {'.'.join(str(p) for p in e['loc']) or 'settings'}: {e['msg']}" for e in error.errors()]
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from error
