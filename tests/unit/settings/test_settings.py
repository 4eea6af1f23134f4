"""Settings refuse combinations that cannot be safe, with a message that says what to change."""

from pathlib import Path

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


SLACK_VARIABLES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL")


@pytest.fixture
def no_slack_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in SLACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"HELPDESK_{name}", raising=False)
    return monkeypatch


def test_slack_is_off_until_a_bot_token_is_given(no_slack_environment: pytest.MonkeyPatch) -> None:
    assert load_settings().slack_mode == "off"


def test_a_slack_token_without_a_signing_secret_stops_start_up(no_slack_environment: pytest.MonkeyPatch) -> None:
    no_slack_environment.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET is not"):
        load_settings()


def test_slacks_usual_variable_names_configure_http_mode(no_slack_environment: pytest.MonkeyPatch) -> None:
    no_slack_environment.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    no_slack_environment.setenv("SLACK_SIGNING_SECRET", "shh")
    settings = load_settings()
    assert settings.slack_mode == "http"
    assert "xoxb-1" not in repr(settings) and "shh" not in repr(settings)


def test_an_app_token_selects_socket_mode_without_a_signing_secret(no_slack_environment: pytest.MonkeyPatch) -> None:
    no_slack_environment.setenv("HELPDESK_SLACK_BOT_TOKEN", "xoxb-1")
    no_slack_environment.setenv("HELPDESK_SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().slack_mode == "socket"


@pytest.mark.parametrize(("fields", "message"), [
    ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN .* is missing"),
    ({"slack_bot_token": "xapp-1", "slack_signing_secret": "s"}, "starts with 'xoxb-'"),
    ({"slack_bot_token": "xoxb-1", "slack_app_token": "xoxb-2"}, "starts with 'xapp-'"),
])
def test_swapped_or_partial_slack_credentials_are_refused(no_slack_environment: pytest.MonkeyPatch,
                                                          fields: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Settings(**fields)  # type: ignore[arg-type]


def test_the_web_chat_can_be_turned_off_to_listen_publicly_for_slack(no_slack_environment: pytest.MonkeyPatch) -> None:
    settings = Settings(host="0.0.0.0", web_auth="off", slack_bot_token="xoxb-1",  # type: ignore[arg-type]
                        slack_signing_secret="s")  # type: ignore[arg-type]
    assert settings.web_auth == "off" and settings.slack_mode == "http"


TEAMS_VARIABLES = ("TEAMS_APP_ID", "TEAMS_APP_PASSWORD", "TEAMS_TENANT_ID", "TEAMS_APP_CERTIFICATE")


@pytest.fixture
def no_teams_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in TEAMS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(f"HELPDESK_{name}", raising=False)
    monkeypatch.delenv("HELPDESK_ENV", raising=False)
    return monkeypatch


def test_teams_is_off_by_default_and_anonymous_only_in_dev(no_teams_environment: pytest.MonkeyPatch) -> None:
    assert load_settings().teams_mode == "off"
    no_teams_environment.setenv("HELPDESK_ENV", "dev")
    assert load_settings().teams_mode == "anonymous"


def test_teams_without_an_app_id_stops_start_up_outside_dev(no_teams_environment: pytest.MonkeyPatch) -> None:
    no_teams_environment.setenv("TEAMS_TENANT_ID", "contoso-tenant")
    with pytest.raises(SettingsError, match=r"TEAMS_APP_ID is missing.*HELPDESK_ENV=dev"):
        load_settings()


def test_an_app_id_needs_its_secret_and_tenant(no_teams_environment: pytest.MonkeyPatch) -> None:
    no_teams_environment.setenv("TEAMS_APP_ID", "app")
    with pytest.raises(SettingsError, match="TEAMS_APP_PASSWORD"):
        load_settings()
    no_teams_environment.setenv("TEAMS_APP_PASSWORD", "cl1ent-s3cret-value")
    with pytest.raises(SettingsError, match="TEAMS_TENANT_ID"):
        load_settings()
    no_teams_environment.setenv("TEAMS_TENANT_ID", "Contoso-Tenant")
    settings = load_settings()
    assert settings.teams_mode == "authenticated"
    assert settings.allowed_tenants == {"contoso-tenant"} and "cl1ent-s3cret-value" not in repr(settings)


def test_a_certificate_can_replace_the_password_but_not_join_it(no_teams_environment: pytest.MonkeyPatch,
                                                                 tmp_path: Path) -> None:
    no_teams_environment.setenv("TEAMS_APP_ID", "app")
    no_teams_environment.setenv("TEAMS_TENANT_ID", "contoso-tenant")
    no_teams_environment.setenv("TEAMS_APP_CERTIFICATE", str(tmp_path / "missing.pfx"))
    with pytest.raises(SettingsError, match="no such file"):
        load_settings()
    (tmp_path / "bot.pfx").write_bytes(b"pfx")
    no_teams_environment.setenv("TEAMS_APP_CERTIFICATE", str(tmp_path / "bot.pfx"))
    assert load_settings().teams_mode == "authenticated"
    no_teams_environment.setenv("TEAMS_APP_PASSWORD", "cl1ent-s3cret-value")
    with pytest.raises(SettingsError, match="not both"):
        load_settings()


@pytest.mark.parametrize(("directory", "missing"), [
    ("ldap", "HELPDESK_LDAP_URL, HELPDESK_LDAP_BIND_DN, HELPDESK_LDAP_BIND_PASSWORD, HELPDESK_LDAP_BASE_DN"),
    ("entra", "HELPDESK_ENTRA_TENANT_ID, HELPDESK_ENTRA_CLIENT_ID, HELPDESK_ENTRA_CLIENT_SECRET"),
    ("okta", "HELPDESK_OKTA_URL, HELPDESK_OKTA_API_TOKEN"),
])
def test_a_directory_without_its_connection_settings_is_refused(directory: str, missing: str) -> None:
    with pytest.raises(ValueError, match=f"HELPDESK_DIRECTORY={directory} needs {missing}"):
        Settings(directory=directory)  # type: ignore[arg-type]


def test_an_ldap_user_filter_without_the_email_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must contain \{email\}"):
        Settings(directory="ldap", ldap_url="ldap://x", ldap_bind_dn="cn=bot", ldap_bind_password="pw",  # type: ignore[arg-type]
                 ldap_base_dn="dc=x", ldap_user_filter="(uid=*)")


def test_emailed_codes_need_the_secret_key_to_hash_them() -> None:
    with pytest.raises(ValueError, match="need HELPDESK_SECRET_KEY"):
        Settings(smtp_host="mail.example.org")


def test_no_directory_is_the_default_and_needs_nothing() -> None:
    assert Settings().directory == "none"
