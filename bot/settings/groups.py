"""The nested groups of Settings, one per concern; HELPDESK_<GROUP>_<FIELD> fills `settings.<group>.<field>`.

A group whose provider is chosen elsewhere (HELPDESK_DIRECTORY, HELPDESK_ITSM) declares the fields that provider
cannot work without as required: the Settings model only builds the chosen one, so code that receives it needs no
checks of its own. An upper-case choice in a field's `validation_alias` is a platform's usual variable name
(SLACK_BOT_TOKEN), accepted as well as the HELPDESK_ one (see bot.settings.sources).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr


def _also(variable: str) -> AliasChoices:
    """Another variable that fills the field: a platform's usual name. HELPDESK_<GROUP>_<FIELD> wins over it."""
    return AliasChoices(variable)


# The field's own name stays valid next to its alias (the environment source and tests use it).
BY_NAME_TOO = ConfigDict(validate_by_name=True, validate_by_alias=True)


class WebSettings(BaseModel):
    """The built-in web chat and who it believes the user is."""

    auth: Literal["none", "header", "off"] = Field(
        default="none",
        description="How web chat users are identified: none trusts the browser (loopback only), "
        "header trusts an authenticating reverse proxy, off turns the web chat off (probes stay).",
    )
    proxy_secret: SecretStr | None = Field(
        default=None,
        description="Shared secret the reverse proxy sends with auth=header, so nobody can forge "
        "the user header by talking to the bot directly.",
    )
    proxy_secret_header: str = Field(
        default="X-Helpdesk-Proxy-Secret", description="Header that carries the proxy's shared secret."
    )
    user_header: str = Field(default="X-Forwarded-User", description="Header with the authenticated user's id.")
    email_header: str = Field(default="X-Forwarded-Email", description="Header with the user's e-mail address.")
    name_header: str = Field(
        default="X-Forwarded-Preferred-Username", description="Header with the user's display name."
    )


class SlackSettings(BaseModel):
    """Slack reads its usual variable names; the HELPDESK_SLACK_ spelling works too and wins."""

    model_config = BY_NAME_TOO

    bot_token: SecretStr | None = Field(
        default=None,
        validation_alias=_also("SLACK_BOT_TOKEN"),
        description="The bot token (xoxb-…); setting it turns Slack on. Default: no Slack.",
    )
    signing_secret: SecretStr | None = Field(
        default=None,
        validation_alias=_also("SLACK_SIGNING_SECRET"),
        description="The app's signing secret, verifying every request to /slack/events (HTTP mode).",
    )
    app_token: SecretStr | None = Field(
        default=None,
        validation_alias=_also("SLACK_APP_TOKEN"),
        description="An app-level token (xapp-…) selects Socket Mode instead of HTTP.",
    )
    api_url: str | None = Field(
        default=None,
        validation_alias=_also("SLACK_API_URL"),
        description="Base URL of the Slack Web API. Default: Slack's own (https://slack.com/api/).",
    )
    user_cache_seconds: float = Field(
        default=900.0, gt=0, description="How long users.info answers (the e-mail) are reused."
    )
    progress_reaction: str = Field(
        default="eyes", description="Reaction shown on a message while the bot works on it; empty for none."
    )


class TeamsSettings(BaseModel):
    """Teams (Microsoft 365 Agents SDK): the Azure bot's app id and its secret or certificate."""

    model_config = BY_NAME_TOO

    app_id: str | None = Field(
        default=None,
        validation_alias=_also("TEAMS_APP_ID"),
        description="The Azure bot's Microsoft App ID; setting it turns authenticated Teams on. Default: no Teams.",
    )
    app_password: SecretStr | None = Field(
        default=None, validation_alias=_also("TEAMS_APP_PASSWORD"), description="The app registration's client secret."
    )
    tenant_id: str | None = Field(
        default=None,
        validation_alias=_also("TEAMS_TENANT_ID"),
        description="The single tenant the bot is registered in, and the default list of tenants it serves.",
    )
    app_certificate: Path | None = Field(
        default=None,
        validation_alias=_also("TEAMS_APP_CERTIFICATE"),
        description="Instead of the password: a PFX certificate (no passphrase) registered on the app.",
    )
    allowed_tenants: str | None = Field(
        default=None, description="Comma-separated tenant ids whose people the bot serves. Default: the tenant id."
    )
    member_cache_seconds: float = Field(
        default=900.0, gt=0, description="How long a Teams member's looked-up profile is reused."
    )


class ChromaSettings(BaseModel):
    """Where the knowledge index keeps its vectors."""

    url: str | None = Field(
        default=None, description="A Chroma server shared by replicas. Default: embedded Chroma under <data dir>/kb."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of each request to the Chroma server.")
    refresh_seconds: float = Field(
        default=10.0, gt=0, description="How often a replica looks for a newer `kb sync` on the Chroma server."
    )


class LdapSettings(BaseModel):
    """HELPDESK_DIRECTORY=ldap: OpenLDAP or Active Directory over LDAP."""

    url: str = Field(min_length=1, description="Server URL, e.g. ldaps://ldap.example.com (required for ldap).")
    bind_dn: str = Field(min_length=1, description="The service account's DN (required for ldap).")
    bind_password: SecretStr = Field(min_length=1, description="The service account's password (required for ldap).")
    base_dn: str = Field(min_length=1, description="Where people are searched, e.g. dc=example,dc=com (required).")
    flavor: Literal["openldap", "ad"] = Field(
        default="openldap", description="openldap (ppolicy) or ad (Active Directory attributes and password rules)."
    )
    user_filter: str = Field(
        default="(mail={email})", description="Search filter finding a person; must contain {email}."
    )
    alternate_email_attribute: str = Field(
        default="otherMailbox", description="Attribute holding a person's private e-mail for e-mailed codes."
    )
    timeout_seconds: float = Field(default=10.0, gt=0, description="Timeout of each LDAP operation.")


class EntraSettings(BaseModel):
    """HELPDESK_DIRECTORY=entra: Microsoft Entra ID through Microsoft Graph."""

    tenant_id: str = Field(min_length=1, description="The Entra tenant id (required for entra).")
    client_id: str = Field(min_length=1, description="The app registration's client id (required for entra).")
    client_secret: SecretStr = Field(min_length=1, description="The app registration's client secret (required).")
    graph_url: str = Field(default="https://graph.microsoft.com", description="Microsoft Graph's base URL.")
    authority_url: str = Field(
        default="https://login.microsoftonline.com", description="The token authority's base URL."
    )


class OktaSettings(BaseModel):
    """HELPDESK_DIRECTORY=okta: Okta's management API."""

    url: str = Field(min_length=1, description="Your Okta org, e.g. https://example.okta.com (required for okta).")
    api_token: SecretStr = Field(min_length=1, description="An Okta API token (required for okta).")


class SmtpSettings(BaseModel):
    """E-mailed one-time codes: the second factor for people without an authenticator app."""

    host: str | None = Field(
        default=None,
        description="Mail server; setting it turns e-mailed codes on (needs "
        "HELPDESK_SECRET_KEY). Default: no e-mailed codes.",
    )
    port: int = Field(default=25, ge=1, le=65535, description="Mail server port.")
    sender: str = Field(default="it-helpdesk@localhost", description="From address of the code e-mails.")
    username: str | None = Field(default=None, description="SMTP login. Default: send without logging in.")
    password: SecretStr | None = Field(default=None, description="SMTP password.")
    starttls: bool = Field(default=False, description="Upgrade the connection with STARTTLS before logging in.")


class ServiceNowSettings(BaseModel):
    """HELPDESK_ITSM=servicenow: tickets mirrored as ServiceNow incidents."""

    url: str = Field(min_length=1, description="https://<instance>.service-now.com (required for servicenow).")
    user: str = Field(min_length=1, description="The integration user (required for servicenow).")
    password: SecretStr = Field(min_length=1, description="The integration user's password (required).")


class JiraSettings(BaseModel):
    """HELPDESK_ITSM=jira: tickets mirrored as Jira Service Management requests."""

    url: str = Field(min_length=1, description="https://<site>.atlassian.net (required for jira).")
    email: str = Field(min_length=1, description="The integration account's e-mail (required for jira).")
    api_token: SecretStr = Field(min_length=1, description="The integration account's API token (required).")
    service_desk_id: str = Field(min_length=1, description="The service desk requests are created in (required).")
    request_type_id: str = Field(min_length=1, description="The request type of created requests (required).")


class StaffSettings(BaseModel):
    """The IT staff queue: resolver groups, routing and SLA targets, and the staff API's token."""

    config: Path | None = Field(
        default=None,
        description="staff.yml with groups, routing and SLAs. Default: "
        "bot/handoff/staff.yml (one service-desk group, web console).",
    )
    token: SecretStr | None = Field(
        default=None,
        description="Bearer token for /staff and /api/staff (local "
        "use, integrations, the incidents commands). Default: no token access.",
    )
    token_name: str = Field(
        default="IT Service Desk", description="How messages sent with the token are signed to the person."
    )


class TriageSettings(BaseModel):
    """Triage and incidents: confidence, priority matrix, VIPs, surge thresholds and trained models."""

    config: Path | None = Field(default=None, description="triage.yml. Default: bot/triage/triage.yml.")
    models: Path | None = Field(
        default=None, description="Trained models (`triage train`). Default: <data dir>/triage."
    )


class IntentSettings(BaseModel):
    """Intent detection (what the person wants done)."""

    threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Class probability above which a message "
        "counts as an intent. Default: the threshold in the examples file.",
    )
    examples: Path | None = Field(
        default=None, description="Intent examples YAML. Default: bot/core/intent_examples.yml."
    )


class LlmSettings(BaseModel):
    """An optional chat model that writes answers grounded on the retrieved articles."""

    model_config = BY_NAME_TOO

    model: str | None = Field(
        default=None,
        validation_alias=_also("HELPDESK_LLM"),
        description="provider:model, e.g. openai:gpt-4o-mini, azure:my-deployment, ollama:llama3.1. "
        "Default: extractive answers, no LLM.",
    )
    base_url: str | None = Field(default=None, description="The provider's base URL. Default: the provider's own.")
    api_key: SecretStr | None = Field(default=None, description="The provider's API key.")
    api_version: str | None = Field(default=None, description="API version (Azure OpenAI only).")
    timeout_seconds: float = Field(
        default=20.0, gt=0, description="Timeout of each model call; the answer falls back to the extractive one."
    )
