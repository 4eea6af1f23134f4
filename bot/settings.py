"""All configuration, read from HELPDESK_* environment variables into one validated object."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.paths import default_articles_dir, index_dir


class SettingsError(ValueError):
    """Configuration that cannot work; the message says what to change."""


def _env(name: str) -> AliasChoices:
    """Accept a platform's usual variable name as well as the HELPDESK_-prefixed one."""
    return AliasChoices(f"HELPDESK_{name}", name)


class Settings(BaseSettings):
    """Every setting has an embedded default so `helpdesk-bot run` works with no configuration at all."""

    model_config = SettingsConfigDict(env_prefix="HELPDESK_", extra="ignore", populate_by_name=True)

    host: str = "127.0.0.1"
    port: int = Field(default=3978, ge=1, le=65535)
    data_dir: Path = Path("var")
    database_url: str | None = None  # default: SQLite file in data_dir
    articles_dir: Path = Field(default_factory=default_articles_dir)
    chroma_url: str | None = None  # default: embedded Chroma under data_dir/kb
    chroma_timeout_seconds: float = Field(default=10.0, gt=0)  # per request to the Chroma server
    chroma_refresh_seconds: float = Field(default=10.0, gt=0)  # how often a replica looks for a newer `kb sync`
    # Shared state for several replicas (de-duplication, locks, rate limits): redis://host:6379/0. Default: in-process.
    redis_url: SecretStr | None = None

    web_auth: Literal["none", "header", "off"] = "none"  # off: no web chat (Slack/Teams only), probes stay
    web_proxy_secret: SecretStr | None = None
    web_proxy_secret_header: str = "X-Helpdesk-Proxy-Secret"
    web_user_header: str = "X-Forwarded-User"
    web_email_header: str = "X-Forwarded-Email"
    web_name_header: str = "X-Forwarded-Preferred-Username"

    # Slack reads its usual variable names; the HELPDESK_ spelling works too.
    slack_bot_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_BOT_TOKEN"))
    slack_signing_secret: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_SIGNING_SECRET"))
    slack_app_token: SecretStr | None = Field(default=None, validation_alias=_env("SLACK_APP_TOKEN"))
    slack_api_url: str | None = Field(default=None, validation_alias=_env("SLACK_API_URL"))
    slack_user_cache_seconds: float = Field(default=900.0, gt=0)  # users.info answers (e-mail) are reused this long
    slack_progress_reaction: str = "eyes"  # shown on a message while the bot works on it; empty for none

    # Teams (Microsoft 365 Agents SDK). The app id and password are the Azure bot's; TEAMS_TENANT_ID is the
    # single tenant the bot is registered in, and the default list of tenants whose people it serves.
    teams_app_id: str | None = Field(default=None, validation_alias=_env("TEAMS_APP_ID"))
    teams_app_password: SecretStr | None = Field(default=None, validation_alias=_env("TEAMS_APP_PASSWORD"))
    teams_tenant_id: str | None = Field(default=None, validation_alias=_env("TEAMS_TENANT_ID"))
    # Instead of the password: a PFX certificate (no passphrase) registered on the app, for MSAL to sign with.
    teams_app_certificate: Path | None = Field(default=None, validation_alias=_env("TEAMS_APP_CERTIFICATE"))
    teams_allowed_tenants: str | None = None  # comma-separated tenant ids; default: TEAMS_TENANT_ID
    teams_member_cache_seconds: float = Field(default=900.0, gt=0)

    # Encrypts secrets at rest (TOTP seeds): a Fernet key, from `helpdesk-bot identity new-secret-key`.
    secret_key: SecretStr | None = None

    # Self-service actions (README, "Self-service actions"). "none": every action request goes to IT staff.
    directory: Literal["none", "ldap", "entra", "okta"] = "none"
    action_policy: Path | None = None  # default: bot/actions/policy.yml
    catalog: Path | None = None  # access and software catalog; none: those requests go to IT staff
    ldap_url: str | None = None
    ldap_bind_dn: str | None = None
    ldap_bind_password: SecretStr | None = None
    ldap_base_dn: str | None = None
    ldap_flavor: Literal["openldap", "ad"] = "openldap"
    ldap_user_filter: str = "(mail={email})"
    ldap_alternate_email_attribute: str = "otherMailbox"
    ldap_timeout_seconds: float = Field(default=10.0, gt=0)
    entra_tenant_id: str | None = None
    entra_client_id: str | None = None
    entra_client_secret: SecretStr | None = None
    entra_graph_url: str = "https://graph.microsoft.com"
    entra_authority_url: str = "https://login.microsoftonline.com"
    okta_url: str | None = None
    okta_api_token: SecretStr | None = None
    # E-mailed one-time codes (the second factor for people without an authenticator app).
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, ge=1, le=65535)
    smtp_sender: str = "it-helpdesk@localhost"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False

    # The IT staff queue (README, "IT staff queue"): resolver groups, routing and SLA targets in YAML.
    staff_config: Path | None = None  # default: bot/handoff/staff.yml (one "service-desk" group, web console)
    staff_token: SecretStr | None = None  # bearer token for /staff and /api/staff (local use, integrations)
    staff_token_name: str = "IT Service Desk"  # how messages sent with the token are signed to the person
    sla_check_seconds: float = Field(default=60.0, gt=0)  # how often SLA timers are checked
    # Triage and incidents (README, "Triage and incidents"): confidence, priority matrix, VIPs, surge thresholds.
    triage_config: Path | None = None  # default: bot/triage/triage.yml
    triage_models: Path | None = None  # trained models (`triage train`); default: <data dir>/triage
    # Mirroring tickets into an ITSM tool (README, "ServiceNow and Jira").
    itsm: Literal["none", "servicenow", "jira"] = "none"
    servicenow_url: str | None = None  # https://<instance>.service-now.com
    servicenow_user: str | None = None
    servicenow_password: SecretStr | None = None
    jira_url: str | None = None  # https://<site>.atlassian.net
    jira_email: str | None = None
    jira_api_token: SecretStr | None = None
    jira_service_desk_id: str | None = None
    jira_request_type_id: str | None = None
    itsm_timeout_seconds: float = Field(default=10.0, gt=0)

    env: Literal["production", "dev"] = "production"  # dev: allows an unauthenticated Teams endpoint (Emulator)

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
        _check_slack(self)
        _check_teams(self)
        _check_directory(self)
        _check_itsm(self)
        if self.llm is not None and ":" not in self.llm:
            raise ValueError(
                f"HELPDESK_LLM must look like 'provider:model' (openai, azure or ollama), got {self.llm!r}"
            )
        return self

    @property
    def resolved_triage_models(self) -> Path:
        return self.triage_models or self.data_dir / "triage"

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'helpdesk.db').as_posix()}"

    @property
    def index_dir(self) -> Path:
        return index_dir(self.data_dir)

    @property
    def teams_mode(self) -> Literal["off", "authenticated", "anonymous"]:
        """Authenticated with an app id; anonymous (no JWT check) only in dev, for the Bot Framework Emulator."""
        if self.teams_app_id:
            return "authenticated"
        return "anonymous" if self.env == "dev" else "off"

    @property
    def allowed_tenants(self) -> frozenset[str]:
        listed = self.teams_allowed_tenants or self.teams_tenant_id or ""
        return frozenset(t.strip().lower() for t in listed.split(",") if t.strip())

    @property
    def slack_mode(self) -> Literal["off", "http", "socket"]:
        """Socket Mode when an app-level token is set, HTTP (POST /slack/events) otherwise."""
        if self.slack_bot_token is None:
            return "off"
        return "socket" if self.slack_app_token is not None else "http"


def _check_teams(settings: Settings) -> None:
    partial = (settings.teams_app_password or settings.teams_tenant_id or settings.teams_allowed_tenants
               or settings.teams_app_certificate)
    if not settings.teams_app_id:
        if partial and settings.env != "dev":
            raise ValueError(
                "Teams is partly configured: TEAMS_APP_ID is missing. Without an app id incoming requests cannot be "
                "authenticated, which is only allowed with HELPDESK_ENV=dev (local testing with the Emulator)."
            )
        return
    certificate = settings.teams_app_certificate
    if certificate is not None:
        if settings.teams_app_password:
            raise ValueError("set TEAMS_APP_PASSWORD or TEAMS_APP_CERTIFICATE, not both")
        if not certificate.is_file():
            raise ValueError(f"TEAMS_APP_CERTIFICATE: no such file: {certificate}")
    elif not (settings.teams_app_password and settings.teams_app_password.get_secret_value()):
        raise ValueError(
            "TEAMS_APP_ID is set but neither TEAMS_APP_PASSWORD (the bot's client secret) nor TEAMS_APP_CERTIFICATE is"
        )
    if not settings.teams_tenant_id:
        raise ValueError("TEAMS_APP_ID is set but TEAMS_TENANT_ID (the tenant the bot is registered in) is not")


def _check_directory(settings: Settings) -> None:
    required = {
        "ldap": {"HELPDESK_LDAP_URL": settings.ldap_url, "HELPDESK_LDAP_BIND_DN": settings.ldap_bind_dn,
                 "HELPDESK_LDAP_BIND_PASSWORD": settings.ldap_bind_password,
                 "HELPDESK_LDAP_BASE_DN": settings.ldap_base_dn},
        "entra": {"HELPDESK_ENTRA_TENANT_ID": settings.entra_tenant_id,
                  "HELPDESK_ENTRA_CLIENT_ID": settings.entra_client_id,
                  "HELPDESK_ENTRA_CLIENT_SECRET": settings.entra_client_secret},
        "okta": {"HELPDESK_OKTA_URL": settings.okta_url, "HELPDESK_OKTA_API_TOKEN": settings.okta_api_token},
    }.get(settings.directory, {})
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"HELPDESK_DIRECTORY={settings.directory} needs {', '.join(missing)}")
    if settings.directory == "ldap" and "{email}" not in settings.ldap_user_filter:
        raise ValueError("HELPDESK_LDAP_USER_FILTER must contain {email}, e.g. (mail={email})")
    if settings.smtp_host and not settings.secret_key:
        raise ValueError("e-mailed codes (HELPDESK_SMTP_HOST) need HELPDESK_SECRET_KEY: codes are stored as keyed "
                         "hashes. Create one with `helpdesk-bot identity new-secret-key`.")


def _check_itsm(settings: Settings) -> None:
    required = {
        "servicenow": {"HELPDESK_SERVICENOW_URL": settings.servicenow_url,
                       "HELPDESK_SERVICENOW_USER": settings.servicenow_user,
                       "HELPDESK_SERVICENOW_PASSWORD": settings.servicenow_password},
        "jira": {"HELPDESK_JIRA_URL": settings.jira_url, "HELPDESK_JIRA_EMAIL": settings.jira_email,
                 "HELPDESK_JIRA_API_TOKEN": settings.jira_api_token,
                 "HELPDESK_JIRA_SERVICE_DESK_ID": settings.jira_service_desk_id,
                 "HELPDESK_JIRA_REQUEST_TYPE_ID": settings.jira_request_type_id},
    }.get(settings.itsm, {})
    missing = [name for name, value in required.items() if not value]
    if missing:
        raise ValueError(f"HELPDESK_ITSM={settings.itsm} needs {', '.join(missing)}")


def _check_slack(settings: Settings) -> None:
    bot_token, app_token = settings.slack_bot_token, settings.slack_app_token
    if bot_token is None:
        if settings.slack_signing_secret or app_token or settings.slack_api_url:
            raise ValueError("Slack is partly configured: SLACK_BOT_TOKEN (the xoxb-… bot token) is missing")
        return
    if not bot_token.get_secret_value().startswith("xoxb-"):
        raise ValueError("SLACK_BOT_TOKEN must be the bot token, which starts with 'xoxb-'")
    if app_token is not None and not app_token.get_secret_value().startswith("xapp-"):
        raise ValueError("SLACK_APP_TOKEN must be an app-level token, which starts with 'xapp-'")
    if app_token is None and not (settings.slack_signing_secret and settings.slack_signing_secret.get_secret_value()):
        raise ValueError(
            "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: in HTTP mode every request to /slack/events "
            "must be verified with the app's signing secret (Basic Information page of your Slack app). "
            "Set it, or set SLACK_APP_TOKEN to use Socket Mode instead."
        )


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

    from bot.core.validation import problems

    try:
        return Settings()
    except ValidationError as error:
        lines = [f"  {problem}" for problem in problems(error, whole="settings")]
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from error
