"""Settings refuse combinations that cannot be safe, with a message that says what to change."""

import pytest

from bot.settings import Settings, SettingsError, load_settings


def test_defaults_work_with_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HELPDESK_HOST", "HELPDESK_WEB_AUTH", "HELPDESK_DATABASE_URL", "HELPDESK_LLM"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.host, settings.port, settings.web_auth) == ("127.0.0.1", 3978, "none")
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")


def test_trusting_the_browser_is_refused_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_HOST", "0.0.0.0")
    with pytest.raises(SettingsError, match="only allowed when HELPDESK_HOST is a loopback"):
        load_settings()


def test_header_auth_without_a_proxy_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="needs HELPDESK_WEB_PROXY_SECRET"):
        Settings(web_auth="header", host="0.0.0.0")


def test_header_auth_with_a_secret_may_listen_everywhere() -> None:
    settings = Settings(web_auth="header", host="0.0.0.0", web_proxy_secret="s3cret")  # type: ignore[arg-type]
    assert settings.web_proxy_secret is not None
    assert "s3cret" not in repr(settings)


def test_llm_must_name_a_provider() -> None:
    with pytest.raises(ValueError, match="provider:model"):
        Settings(llm="gpt-4o")


def test_ipv6_loopback_counts_as_local() -> None:
    assert Settings(host="::1").host == "::1"
