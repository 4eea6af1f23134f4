"""Settings refuse combinations that cannot be safe, with a message that says what to change."""

from pathlib import Path

import pytest
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bot.settings import CommonSettings, OktaSettings, Settings, SettingsError, load_settings
from bot.settings.sources import group_model
from tests.support.deployment_files import settings_env_fields
from tests.support.settings import settings_from


def test_defaults_work_with_no_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HELPDESK_HOST", "HELPDESK_WEB_AUTH", "HELPDESK_DATABASE_URL", "HELPDESK_LLM"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert (settings.host, settings.port, settings.web.auth) == ("127.0.0.1", 3978, "none")
    assert settings.resolved_database_url.startswith("sqlite+aiosqlite:///")


def test_trusting_the_browser_is_refused_off_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_HOST", "0.0.0.0")
    with pytest.raises(SettingsError, match="only allowed when HELPDESK_HOST is a loopback"):
        load_settings()


def test_header_auth_without_a_proxy_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="needs HELPDESK_WEB_PROXY_SECRET"):
        settings_from(web_auth="header", host="0.0.0.0")


def test_header_auth_with_a_secret_may_listen_everywhere() -> None:
    settings = settings_from(web_auth="header", host="0.0.0.0", web_proxy_secret="s3cret")
    assert settings.web.proxy_secret is not None
    assert "s3cret" not in repr(settings)


def test_llm_must_name_a_provider() -> None:
    with pytest.raises(ValueError, match="provider:model"):
        settings_from(llm="gpt-4o")


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
    assert "xoxb-1" not in repr(settings)
    assert "shh" not in repr(settings)


def test_an_app_token_selects_socket_mode_without_a_signing_secret(no_slack_environment: pytest.MonkeyPatch) -> None:
    no_slack_environment.setenv("HELPDESK_SLACK_BOT_TOKEN", "xoxb-1")
    no_slack_environment.setenv("HELPDESK_SLACK_APP_TOKEN", "xapp-1")
    assert load_settings().slack_mode == "socket"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"slack_signing_secret": "s"}, "SLACK_BOT_TOKEN .* is missing"),
        ({"slack_bot_token": "xapp-1", "slack_signing_secret": "s"}, "starts with 'xoxb-'"),
        ({"slack_bot_token": "xoxb-1", "slack_app_token": "xoxb-2"}, "starts with 'xapp-'"),
    ],
)
def test_swapped_or_partial_slack_credentials_are_refused(
    no_slack_environment: pytest.MonkeyPatch, fields: dict[str, str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        settings_from(**fields)


def test_the_web_chat_can_be_turned_off_to_listen_publicly_for_slack(no_slack_environment: pytest.MonkeyPatch) -> None:
    settings = settings_from(host="0.0.0.0", web_auth="off", slack_bot_token="xoxb-1", slack_signing_secret="s")
    assert settings.web.auth == "off"
    assert settings.slack_mode == "http"


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
    assert settings.allowed_tenants == {"contoso-tenant"}
    assert "cl1ent-s3cret-value" not in repr(settings)


def test_a_certificate_can_replace_the_password_but_not_join_it(
    no_teams_environment: pytest.MonkeyPatch, tmp_path: Path
) -> None:
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


@pytest.mark.parametrize(
    ("directory", "missing"),
    [
        ("ldap", "HELPDESK_LDAP_URL, HELPDESK_LDAP_BIND_DN, HELPDESK_LDAP_BIND_PASSWORD, HELPDESK_LDAP_BASE_DN"),
        ("entra", "HELPDESK_ENTRA_TENANT_ID, HELPDESK_ENTRA_CLIENT_ID, HELPDESK_ENTRA_CLIENT_SECRET"),
        ("okta", "HELPDESK_OKTA_URL, HELPDESK_OKTA_API_TOKEN"),
    ],
)
def test_a_directory_without_its_connection_settings_is_refused(directory: str, missing: str) -> None:
    with pytest.raises(ValueError, match=f"HELPDESK_DIRECTORY={directory} needs {missing}"):
        settings_from(directory=directory)


def test_an_ldap_user_filter_without_the_email_placeholder_is_refused() -> None:
    with pytest.raises(ValueError, match=r"must contain \{email\}"):
        settings_from(
            directory="ldap",
            ldap_url="ldap://x",
            ldap_bind_dn="cn=bot",
            ldap_bind_password="pw",
            ldap_base_dn="dc=x",
            ldap_user_filter="(uid=*)",
        )


def test_emailed_codes_need_the_secret_key_to_hash_them() -> None:
    with pytest.raises(ValueError, match="need HELPDESK_SECRET_KEY"):
        settings_from(smtp_host="mail.example.org")


def test_no_directory_is_the_default_and_needs_nothing() -> None:
    assert Settings().directory == "none"


# --- Nested groups: every variable name that worked before still works, with the same meaning -------------------

# Every name the flat Settings (before the nested groups) read; Kubernetes manifests, the Dockerfile, the docs and
# people's deployments use them.
FLAT_ERA_VARIABLES = (
    "HELPDESK_HOST",
    "HELPDESK_PORT",
    "HELPDESK_DATA_DIR",
    "HELPDESK_DATABASE_URL",
    "HELPDESK_ARTICLES_DIR",
    "HELPDESK_CHROMA_URL",
    "HELPDESK_CHROMA_TIMEOUT_SECONDS",
    "HELPDESK_CHROMA_REFRESH_SECONDS",
    "HELPDESK_REDIS_URL",
    "HELPDESK_WEB_AUTH",
    "HELPDESK_WEB_PROXY_SECRET",
    "HELPDESK_WEB_PROXY_SECRET_HEADER",
    "HELPDESK_WEB_USER_HEADER",
    "HELPDESK_WEB_EMAIL_HEADER",
    "HELPDESK_WEB_NAME_HEADER",
    "HELPDESK_SLACK_BOT_TOKEN",
    "SLACK_BOT_TOKEN",
    "HELPDESK_SLACK_SIGNING_SECRET",
    "SLACK_SIGNING_SECRET",
    "HELPDESK_SLACK_APP_TOKEN",
    "SLACK_APP_TOKEN",
    "HELPDESK_SLACK_API_URL",
    "SLACK_API_URL",
    "HELPDESK_SLACK_USER_CACHE_SECONDS",
    "HELPDESK_SLACK_PROGRESS_REACTION",
    "HELPDESK_TEAMS_APP_ID",
    "TEAMS_APP_ID",
    "HELPDESK_TEAMS_APP_PASSWORD",
    "TEAMS_APP_PASSWORD",
    "HELPDESK_TEAMS_TENANT_ID",
    "TEAMS_TENANT_ID",
    "HELPDESK_TEAMS_APP_CERTIFICATE",
    "TEAMS_APP_CERTIFICATE",
    "HELPDESK_TEAMS_ALLOWED_TENANTS",
    "HELPDESK_TEAMS_MEMBER_CACHE_SECONDS",
    "HELPDESK_SECRET_KEY",
    "HELPDESK_DIRECTORY",
    "HELPDESK_ACTION_POLICY",
    "HELPDESK_CATALOG",
    "HELPDESK_LDAP_URL",
    "HELPDESK_LDAP_BIND_DN",
    "HELPDESK_LDAP_BIND_PASSWORD",
    "HELPDESK_LDAP_BASE_DN",
    "HELPDESK_LDAP_FLAVOR",
    "HELPDESK_LDAP_USER_FILTER",
    "HELPDESK_LDAP_ALTERNATE_EMAIL_ATTRIBUTE",
    "HELPDESK_LDAP_TIMEOUT_SECONDS",
    "HELPDESK_ENTRA_TENANT_ID",
    "HELPDESK_ENTRA_CLIENT_ID",
    "HELPDESK_ENTRA_CLIENT_SECRET",
    "HELPDESK_ENTRA_GRAPH_URL",
    "HELPDESK_ENTRA_AUTHORITY_URL",
    "HELPDESK_OKTA_URL",
    "HELPDESK_OKTA_API_TOKEN",
    "HELPDESK_SMTP_HOST",
    "HELPDESK_SMTP_PORT",
    "HELPDESK_SMTP_SENDER",
    "HELPDESK_SMTP_USERNAME",
    "HELPDESK_SMTP_PASSWORD",
    "HELPDESK_SMTP_STARTTLS",
    "HELPDESK_STAFF_CONFIG",
    "HELPDESK_STAFF_TOKEN",
    "HELPDESK_STAFF_TOKEN_NAME",
    "HELPDESK_SLA_CHECK_SECONDS",
    "HELPDESK_TRIAGE_CONFIG",
    "HELPDESK_TRIAGE_MODELS",
    "HELPDESK_ITSM",
    "HELPDESK_SERVICENOW_URL",
    "HELPDESK_SERVICENOW_USER",
    "HELPDESK_SERVICENOW_PASSWORD",
    "HELPDESK_JIRA_URL",
    "HELPDESK_JIRA_EMAIL",
    "HELPDESK_JIRA_API_TOKEN",
    "HELPDESK_JIRA_SERVICE_DESK_ID",
    "HELPDESK_JIRA_REQUEST_TYPE_ID",
    "HELPDESK_ITSM_TIMEOUT_SECONDS",
    "HELPDESK_ENV",
    "HELPDESK_MAX_MESSAGE_CHARS",
    "HELPDESK_MAX_BODY_BYTES",
    "HELPDESK_ANSWER_THRESHOLD",
    "HELPDESK_CLARIFY_THRESHOLD",
    "HELPDESK_INTENT_THRESHOLD",
    "HELPDESK_INTENT_EXAMPLES",
    "HELPDESK_LLM",
    "HELPDESK_LLM_BASE_URL",
    "HELPDESK_LLM_API_KEY",
    "HELPDESK_LLM_API_VERSION",
    "HELPDESK_LLM_TIMEOUT_SECONDS",
    "HELPDESK_LOG_LEVEL",
    "HELPDESK_LOG_FORMAT",
)


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in (*FLAT_ERA_VARIABLES, *settings_env_fields()):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_every_variable_name_that_worked_before_is_still_read() -> None:
    assert sorted(set(FLAT_ERA_VARIABLES) - settings_env_fields().keys()) == []


def test_the_old_flat_names_fill_the_nested_groups(clean_environment: pytest.MonkeyPatch) -> None:
    for name, value in {
        "HELPDESK_DIRECTORY": "ldap",
        "HELPDESK_LDAP_URL": "ldaps://ldap.example.com",
        "HELPDESK_LDAP_BIND_DN": "cn=bot,dc=example,dc=com",
        "HELPDESK_LDAP_BIND_PASSWORD": "pw",
        "HELPDESK_LDAP_BASE_DN": "dc=example,dc=com",
        "HELPDESK_LDAP_TIMEOUT_SECONDS": "3",
        "HELPDESK_SMTP_HOST": "mail.example.com",
        "HELPDESK_SMTP_PORT": "587",
        "HELPDESK_SECRET_KEY": "k",
        "HELPDESK_WEB_AUTH": "off",
        "HELPDESK_HOST": "0.0.0.0",
        "HELPDESK_CHROMA_URL": "http://chroma:8000",
        "HELPDESK_LLM": "ollama:llama3.1",
        "HELPDESK_LLM_BASE_URL": "http://ollama:11434",
        "HELPDESK_STAFF_TOKEN_NAME": "Service Desk",
        "HELPDESK_TRIAGE_MODELS": "/models",
        "HELPDESK_INTENT_THRESHOLD": "0.7",
        "HELPDESK_SLA_CHECK_SECONDS": "30",
        "HELPDESK_ITSM_TIMEOUT_SECONDS": "4",
    }.items():
        clean_environment.setenv(name, value)
    settings = load_settings()
    assert settings.directory_settings == settings.ldap
    assert settings.ldap is not None
    assert (settings.ldap.bind_dn, settings.ldap.timeout_seconds) == (
        "cn=bot,dc=example,dc=com",
        3.0,
    )
    assert (settings.smtp.host, settings.smtp.port) == ("mail.example.com", 587)
    assert (settings.web.auth, settings.host, settings.chroma.url) == ("off", "0.0.0.0", "http://chroma:8000")
    assert (settings.llm.model, settings.llm.base_url) == ("ollama:llama3.1", "http://ollama:11434")
    assert (settings.staff.token_name, settings.resolved_triage_models) == ("Service Desk", Path("/models"))
    assert (settings.intent.threshold, settings.sla_check_seconds, settings.itsm_timeout_seconds) == (0.7, 30, 4)


def test_the_platforms_usual_names_still_work_and_the_helpdesk_spelling_wins(
    clean_environment: pytest.MonkeyPatch,
) -> None:
    clean_environment.setenv("TEAMS_APP_ID", "app")
    clean_environment.setenv("TEAMS_APP_PASSWORD", "cl1ent-s3cret-value")
    clean_environment.setenv("TEAMS_TENANT_ID", "contoso")
    clean_environment.setenv("SLACK_BOT_TOKEN", "xoxb-platform")
    clean_environment.setenv("SLACK_SIGNING_SECRET", "shh")
    clean_environment.setenv("SLACK_API_URL", "http://slack.test/api/")
    clean_environment.setenv("HELPDESK_SLACK_BOT_TOKEN", "xoxb-helpdesk")
    settings = load_settings()
    assert (settings.teams.app_id, settings.teams.tenant_id, settings.teams_mode) == ("app", "contoso", "authenticated")
    assert settings.slack.bot_token is not None
    assert settings.slack.bot_token.get_secret_value() == "xoxb-helpdesk"
    assert settings.slack.api_url == "http://slack.test/api/"


@pytest.mark.parametrize(
    ("itsm", "missing"),
    [
        ("servicenow", "HELPDESK_SERVICENOW_URL, HELPDESK_SERVICENOW_USER, HELPDESK_SERVICENOW_PASSWORD"),
        (
            "jira",
            "HELPDESK_JIRA_URL, HELPDESK_JIRA_EMAIL, HELPDESK_JIRA_API_TOKEN, HELPDESK_JIRA_SERVICE_DESK_ID, "
            "HELPDESK_JIRA_REQUEST_TYPE_ID",
        ),
    ],
)
def test_an_itsm_tool_without_its_connection_settings_is_refused(itsm: str, missing: str) -> None:
    with pytest.raises(ValueError, match=f"HELPDESK_ITSM={itsm} needs {missing}"):
        settings_from(itsm=itsm)


def test_an_empty_variable_counts_as_missing(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("HELPDESK_DIRECTORY", "okta")
    clean_environment.setenv("HELPDESK_OKTA_URL", "https://example.okta.com")
    clean_environment.setenv("HELPDESK_OKTA_API_TOKEN", "")
    with pytest.raises(SettingsError, match=r"HELPDESK_DIRECTORY=okta needs HELPDESK_OKTA_API_TOKEN$"):
        load_settings()


def test_the_chosen_provider_arrives_complete_and_the_others_are_ignored() -> None:
    settings = settings_from(
        directory="okta",
        okta_url="https://example.okta.com",
        okta_api_token="t",
        ldap_url="ldap://left-over",
        itsm="none",
        jira_url="https://left-over",
    )
    assert isinstance(settings.directory_settings, OktaSettings)
    assert settings.directory_settings.url == "https://example.okta.com"
    assert (settings.ldap, settings.jira, settings.itsm_settings) == (None, None, None)


def test_a_bad_value_is_reported_by_its_variable_name(clean_environment: pytest.MonkeyPatch) -> None:
    clean_environment.setenv("HELPDESK_SMTP_PORT", "many")
    with pytest.raises(SettingsError, match="HELPDESK_SMTP_PORT: Input should be a valid integer"):
        load_settings()


def test_the_kb_commands_settings_ignore_the_platform_credentials(clean_environment: pytest.MonkeyPatch) -> None:
    # The indexing Job has the ConfigMap (TEAMS_APP_ID) but not the Secret (TEAMS_APP_PASSWORD).
    clean_environment.setenv("TEAMS_APP_ID", "app")
    clean_environment.setenv("HELPDESK_DATA_DIR", "/data")
    with pytest.raises(SettingsError):
        load_settings()
    assert load_settings(CommonSettings).index_dir == Path("/data/kb")


def test_every_setting_says_what_it_does() -> None:
    undocumented = [name for name, info in every_field(Settings) if not (info.description or "").strip()]
    assert undocumented == []


def every_field(model: type[BaseModel], prefix: str = "") -> list[tuple[str, FieldInfo]]:
    fields = []
    for name, info in model.model_fields.items():
        fields.append((prefix + name, info))
        group = group_model(info.annotation)
        if group is not None:
            fields += every_field(group, f"{prefix}{name}.")
    return fields
