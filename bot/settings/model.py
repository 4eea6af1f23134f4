"""The Settings model: global values at the top, one nested group per concern, every check run once on load."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from bot.settings import checks
from bot.settings.groups import (
    ChromaSettings,
    EntraSettings,
    IntentSettings,
    JiraSettings,
    LdapSettings,
    LlmSettings,
    OktaSettings,
    ServiceNowSettings,
    SlackSettings,
    SmtpSettings,
    StaffSettings,
    TeamsSettings,
    TriageSettings,
    WebSettings,
)
from bot.settings.sources import EnvWithPlatformNames
from knowledge.paths import index_dir, packaged_articles_dir

DirectorySettings = LdapSettings | EntraSettings | OktaSettings
ItsmSettings = ServiceNowSettings | JiraSettings


class CommonSettings(BaseSettings):
    """Where the data lives and how to log: all that the `kb` commands need.

    They load only this part because the indexing Job runs them without the Secret, where the platform
    credentials that the whole Settings insists on are missing.
    """

    model_config = SettingsConfigDict(
        env_prefix="HELPDESK_", env_nested_delimiter="_", env_nested_max_split=1, extra="ignore"
    )

    data_dir: Path = Field(
        default=Path("var"),
        description="Where the bot keeps its files: the SQLite database, "
        "the embedded index (<data dir>/kb) and trained triage models. Relative to the working "
        "directory.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the database, e.g. "
        "postgresql+asyncpg://…. Default: a SQLite file in the data dir.",
    )
    articles_dir: Path = Field(
        default_factory=packaged_articles_dir,
        description="The knowledge articles (Markdown). Default: the starter articles shipped with the bot.",
    )
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="Where the index keeps its vectors.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        default="info", description="Least severe log level written."
    )
    log_format: Literal["json", "console"] = Field(
        default="json", description="json (one object per line) or console (for people)."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return init_settings, EnvWithPlatformNames(settings_cls), dotenv_settings, file_secret_settings

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{(self.data_dir / 'helpdesk.db').as_posix()}"

    @property
    def index_dir(self) -> Path:
        return index_dir(self.data_dir)


class Settings(CommonSettings):
    """Every setting has an embedded default so `helpdesk-bot run` works with no configuration at all."""

    host: str = Field(
        default="127.0.0.1",
        description="Address to listen on; anything but loopback needs HELPDESK_WEB_AUTH=header or off.",
    )
    port: int = Field(default=3978, ge=1, le=65535, description="Port to listen on.")
    env: Literal["production", "dev"] = Field(
        default="production", description="dev allows an unauthenticated Teams endpoint (the Bot Framework Emulator)."
    )
    redis_url: SecretStr | None = Field(
        default=None,
        description="Shared state for several replicas "
        "(de-duplication, locks, rate limits), e.g. redis://host:6379/0. "
        "Default: this process's memory (one replica only).",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Fernet key encrypting secrets at rest (TOTP "
        "seeds), from `helpdesk-bot identity new-secret-key`. Default: no "
        "second factor, so sensitive actions go to IT staff.",
    )
    max_message_chars: int = Field(
        default=4000, ge=50, description="Longest message the bot reads; longer ones are refused politely."
    )
    max_body_bytes: int = Field(default=64 * 1024, ge=1024, description="Largest HTTP request body accepted.")
    answer_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Confidence needed to answer from the articles. Default: knowledge/calibration.json.",
    )
    clarify_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Confidence needed to ask a clarifying question. Default: knowledge/calibration.json.",
    )
    intent: IntentSettings = Field(default_factory=IntentSettings, description="Intent detection.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="Optional chat model for written answers.")
    web: WebSettings = Field(default_factory=WebSettings, description="The built-in web chat.")
    slack: SlackSettings = Field(default_factory=SlackSettings, description="Slack.")
    teams: TeamsSettings = Field(default_factory=TeamsSettings, description="Microsoft Teams.")

    directory: Literal["none", "ldap", "entra", "okta"] = Field(
        default="none",
        description="Directory that self-service actions run against; none sends every action request to IT staff.",
    )
    ldap: LdapSettings | None = Field(default=None, description="LDAP directory (HELPDESK_DIRECTORY=ldap).")
    entra: EntraSettings | None = Field(default=None, description="Entra ID directory (HELPDESK_DIRECTORY=entra).")
    okta: OktaSettings | None = Field(default=None, description="Okta directory (HELPDESK_DIRECTORY=okta).")
    smtp: SmtpSettings = Field(default_factory=SmtpSettings, description="E-mailed one-time codes.")
    action_policy: Path | None = Field(
        default=None,
        description="Rules per self-service action (assurance, approval, limits). Default: bot/actions/policy.yml.",
    )
    catalog: Path | None = Field(
        default=None, description="Access and software catalog. Default: none, so those requests go to IT staff."
    )

    staff: StaffSettings = Field(default_factory=StaffSettings, description="The IT staff queue.")
    sla_check_seconds: float = Field(default=60.0, gt=0, description="How often SLA timers are checked.")
    triage: TriageSettings = Field(default_factory=TriageSettings, description="Triage and incidents.")
    itsm: Literal["none", "servicenow", "jira"] = Field(
        default="none", description="ITSM tool tickets are mirrored into; none keeps them in the bot only."
    )
    itsm_timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of each request to the ITSM tool.")
    servicenow: ServiceNowSettings | None = Field(default=None, description="ServiceNow (HELPDESK_ITSM=servicenow).")
    jira: JiraSettings | None = Field(default=None, description="Jira Service Management (HELPDESK_ITSM=jira).")

    @model_validator(mode="before")
    @classmethod
    def _build_only_the_chosen_providers(cls, data: Any) -> Any:
        """The chosen directory and ITSM groups, complete (or one message naming every missing variable)."""
        if isinstance(data, dict):
            data = dict(data)
            checks.choose(
                data, choice="directory", providers={"ldap": LdapSettings, "entra": EntraSettings, "okta": OktaSettings}
            )
            checks.choose(data, choice="itsm", providers={"servicenow": ServiceNowSettings, "jira": JiraSettings})
        return data

    @model_validator(mode="after")
    def _check_combinations(self) -> Settings:
        checks.web(self.web, host=self.host)
        checks.slack(self.slack)
        checks.teams(self.teams, env=self.env)
        checks.second_factors(ldap=self.ldap, smtp=self.smtp, secret_key=self.secret_key)
        checks.llm(self.llm)
        return self

    @property
    def directory_settings(self) -> DirectorySettings | None:
        """The chosen directory's settings, complete; None for HELPDESK_DIRECTORY=none."""
        chosen: dict[str, DirectorySettings | None] = {"ldap": self.ldap, "entra": self.entra, "okta": self.okta}
        return chosen.get(self.directory)

    @property
    def itsm_settings(self) -> ItsmSettings | None:
        """The chosen ITSM tool's settings, complete; None for HELPDESK_ITSM=none."""
        chosen: dict[str, ItsmSettings | None] = {"servicenow": self.servicenow, "jira": self.jira}
        return chosen.get(self.itsm)

    @property
    def resolved_triage_models(self) -> Path:
        return self.triage.models or self.data_dir / "triage"

    @property
    def teams_mode(self) -> Literal["off", "authenticated", "anonymous"]:
        """Authenticated with an app id; anonymous (no JWT check) only in dev, for the Bot Framework Emulator."""
        if self.teams.app_id:
            return "authenticated"
        return "anonymous" if self.env == "dev" else "off"

    @property
    def allowed_tenants(self) -> frozenset[str]:
        listed = self.teams.allowed_tenants or self.teams.tenant_id or ""
        return frozenset(t.strip().lower() for t in listed.split(",") if t.strip())

    @property
    def slack_mode(self) -> Literal["off", "http", "socket"]:
        """Socket Mode when an app-level token is set, HTTP (POST /slack/events) otherwise."""
        if self.slack.bot_token is None:
            return "off"
        return "socket" if self.slack.app_token is not None else "http"
