"""The generated configuration reference lists every variable the settings read, by its full name, secrets hidden."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import AliasChoices, BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.settings import Settings
from bot.settings.reference import EnvVar, render_markdown, settings_reference


class MailSettings(BaseModel):
    """E-mailed one-time codes."""

    host: str | None = Field(default=None, description="Mail server; codes are off without one.")
    port: int = Field(default=25, description="Mail server port.")
    password: SecretStr | None = Field(default=SecretStr("hunter2"), description="SMTP password.")


class ChatSettings(BaseModel):
    """A chat platform."""

    bot_token: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("bot_token", "CHAT_BOT_TOKEN"), description="The bot's token."
    )
    cache_seconds: float = Field(default=900.0, validation_alias=AliasChoices("cache_seconds", "cache_ttl"))


class NestedSettings(BaseSettings):
    """Shaped like the nested Settings: groups reached with one "_" after the prefix."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", env_nested_delimiter="_", env_nested_max_split=1)

    host: str = Field(default="127.0.0.1", description="Address to listen on.")
    data_dir: Path = Field(default_factory=lambda: Path("var"))
    smtp: MailSettings = Field(default_factory=MailSettings)
    chat: ChatSettings | None = Field(default=None, description="The chat platform")


def by_name(entries: list[EnvVar]) -> dict[str, EnvVar]:
    return {entry.name: entry for entry in entries}


def test_nested_groups_are_walked_into_with_one_underscore_per_level() -> None:
    entries = by_name(settings_reference(NestedSettings))

    assert list(entries) == [
        "HELPDESK_HOST",
        "HELPDESK_DATA_DIR",
        "HELPDESK_SMTP_HOST",
        "HELPDESK_SMTP_PORT",
        "HELPDESK_SMTP_PASSWORD",
        "HELPDESK_CHAT_BOT_TOKEN",
        "HELPDESK_CHAT_CACHE_SECONDS",
    ]
    port = entries["HELPDESK_SMTP_PORT"]
    assert (port.field_path, port.section, port.type, port.default) == ("smtp.port", "smtp", "integer", "25")
    assert port.description == "Mail server port."
    assert port.described


def test_the_names_listed_are_the_names_pydantic_settings_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_SMTP_PORT", "2525")
    monkeypatch.setenv("HELPDESK_CHAT_CACHE_SECONDS", "60")
    monkeypatch.setenv("HELPDESK_HOST", "0.0.0.0")

    settings = NestedSettings()

    assert (settings.host, settings.smtp.port) == ("0.0.0.0", 2525)
    assert settings.chat is not None
    assert settings.chat.cache_seconds == 60


def test_sections_take_their_titles_from_the_group() -> None:
    entries = by_name(settings_reference(NestedSettings))

    assert entries["HELPDESK_HOST"].section_title == "General"
    assert entries["HELPDESK_SMTP_HOST"].section_title == "E-mailed one-time codes"  # the model's docstring
    assert entries["HELPDESK_CHAT_BOT_TOKEN"].section_title == "The chat platform"  # the field's description


def test_capitalised_aliases_are_whole_names_and_lower_case_ones_are_keys_in_the_group() -> None:
    entries = by_name(settings_reference(NestedSettings))

    assert entries["HELPDESK_CHAT_BOT_TOKEN"].other_names == ("CHAT_BOT_TOKEN",)
    assert entries["HELPDESK_CHAT_CACHE_SECONDS"].other_names == ("HELPDESK_CHAT_CACHE_TTL",)


def test_secrets_are_flagged_and_their_defaults_never_shown() -> None:
    entries = by_name(settings_reference(NestedSettings))

    password = entries["HELPDESK_SMTP_PASSWORD"]
    assert password.secret
    assert password.default == "set (not shown)"
    assert "hunter2" not in render_markdown(list(entries.values()))
    assert not entries["HELPDESK_SMTP_PORT"].secret


def test_computed_defaults_and_missing_descriptions_are_said_in_words() -> None:
    entries = by_name(settings_reference(NestedSettings))

    assert entries["HELPDESK_DATA_DIR"].default.startswith("computed")
    assert entries["HELPDESK_CHAT_CACHE_SECONDS"].description == "Cache seconds."
    assert not entries["HELPDESK_CHAT_CACHE_SECONDS"].described


def test_the_bot_settings_list_every_variable_once_with_the_platform_names() -> None:
    entries = settings_reference(Settings)
    names = [entry.name for entry in entries] + [other for entry in entries for other in entry.other_names]

    assert len(names) == len(set(names))
    listed = by_name(entries)
    assert "HELPDESK_SMTP_PORT" in listed
    assert "SLACK_BOT_TOKEN" in listed["HELPDESK_SLACK_BOT_TOKEN"].other_names
    assert "TEAMS_APP_ID" in listed["HELPDESK_TEAMS_APP_ID"].other_names
    assert listed["HELPDESK_SLACK_SIGNING_SECRET"].secret
    assert not listed["HELPDESK_PORT"].secret


def test_the_rendered_page_names_every_variable_literally_under_its_section() -> None:
    entries = settings_reference(Settings)

    page = render_markdown(entries)

    for entry in entries:
        assert f"`{entry.name}`" in page
        assert f"## {entry.section_title}\n" in page
    assert page.index("## General") < page.index("`HELPDESK_HOST`")


def test_every_setting_has_a_description() -> None:
    undescribed = [entry.name for entry in settings_reference(Settings) if not entry.described]

    assert undescribed == []
