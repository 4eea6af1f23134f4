"""The checks Settings runs once on load: combinations that cannot work, each refused with what to change."""

from __future__ import annotations

import ipaddress
from typing import Any

from pydantic import BaseModel, SecretStr

from bot.settings.groups import LdapSettings, LlmSettings, SlackSettings, SmtpSettings, TeamsSettings, WebSettings


def variable(*path: str) -> str:
    """The environment variable of a setting, e.g. ("ldap", "url") -> HELPDESK_LDAP_URL."""
    return "_".join(("HELPDESK", *path)).upper()


def choose(data: dict[str, Any], *, choice: str, providers: dict[str, type[BaseModel]]) -> None:
    """Keep only the provider group `data[choice]` names, and refuse it when a required variable is missing.

    The other providers' groups are dropped (their variables are ignored, as they always were), so a complete
    group is present exactly when its provider is chosen.
    """
    chosen = data.get(choice, "none")
    for name, model in providers.items():
        given = data.pop(name, None)
        if name != chosen:
            continue
        if isinstance(given, BaseModel):
            data[name] = given
            continue
        values: dict[str, Any] = dict(given or {})
        missing = [
            variable(name, field)
            for field, info in model.model_fields.items()
            if info.is_required() and not _given(values.get(field))
        ]
        if missing:
            raise ValueError(f"{variable(choice)}={chosen} needs {', '.join(missing)}")
        data[name] = values


def web(settings: WebSettings, *, host: str) -> None:
    if settings.auth == "none" and not _is_loopback(host):
        raise ValueError(
            "HELPDESK_WEB_AUTH=none trusts whatever user the browser claims, so it is only allowed when "
            f"HELPDESK_HOST is a loopback address (got {host!r}). Use HELPDESK_WEB_AUTH=header behind "
            "an authenticating reverse proxy, or bind to 127.0.0.1."
        )
    if settings.auth == "header" and not _given(settings.proxy_secret):
        raise ValueError(
            "HELPDESK_WEB_AUTH=header needs HELPDESK_WEB_PROXY_SECRET: the shared secret your reverse proxy "
            "sends so that nobody can forge the user header by talking to the bot directly."
        )


def slack(settings: SlackSettings) -> None:
    bot_token, app_token = settings.bot_token, settings.app_token
    if bot_token is None:
        if settings.signing_secret or app_token or settings.api_url:
            raise ValueError("Slack is partly configured: SLACK_BOT_TOKEN (the xoxb-… bot token) is missing")
        return
    if not bot_token.get_secret_value().startswith("xoxb-"):
        raise ValueError("SLACK_BOT_TOKEN must be the bot token, which starts with 'xoxb-'")
    if app_token is not None and not app_token.get_secret_value().startswith("xapp-"):
        raise ValueError("SLACK_APP_TOKEN must be an app-level token, which starts with 'xapp-'")
    if app_token is None and not _given(settings.signing_secret):
        raise ValueError(
            "SLACK_BOT_TOKEN is set but SLACK_SIGNING_SECRET is not: in HTTP mode every request to /slack/events "
            "must be verified with the app's signing secret (Basic Information page of your Slack app). "
            "Set it, or set SLACK_APP_TOKEN to use Socket Mode instead."
        )


def teams(settings: TeamsSettings, *, env: str) -> None:
    partial = settings.app_password or settings.tenant_id or settings.allowed_tenants or settings.app_certificate
    if not settings.app_id:
        if partial and env != "dev":
            raise ValueError(
                "Teams is partly configured: TEAMS_APP_ID is missing. Without an app id incoming requests cannot be "
                "authenticated, which is only allowed with HELPDESK_ENV=dev (local testing with the Emulator)."
            )
        return
    certificate = settings.app_certificate
    if certificate is not None:
        if settings.app_password:
            raise ValueError("set TEAMS_APP_PASSWORD or TEAMS_APP_CERTIFICATE, not both")
        if not certificate.is_file():
            raise ValueError(f"TEAMS_APP_CERTIFICATE: no such file: {certificate}")
    elif not _given(settings.app_password):
        raise ValueError(
            "TEAMS_APP_ID is set but neither TEAMS_APP_PASSWORD (the bot's client secret) nor TEAMS_APP_CERTIFICATE is"
        )
    if not settings.tenant_id:
        raise ValueError("TEAMS_APP_ID is set but TEAMS_TENANT_ID (the tenant the bot is registered in) is not")


def second_factors(*, ldap: LdapSettings | None, smtp: SmtpSettings, secret_key: SecretStr | None) -> None:
    if ldap is not None and "{email}" not in ldap.user_filter:
        raise ValueError("HELPDESK_LDAP_USER_FILTER must contain {email}, e.g. (mail={email})")
    if smtp.host and not secret_key:
        raise ValueError(
            "e-mailed codes (HELPDESK_SMTP_HOST) need HELPDESK_SECRET_KEY: codes are stored as keyed "
            "hashes. Create one with `helpdesk-bot identity new-secret-key`."
        )


def llm(settings: LlmSettings) -> None:
    if settings.model is not None and ":" not in settings.model:
        raise ValueError(
            f"HELPDESK_LLM must look like 'provider:model' (openai, azure or ollama), got {settings.model!r}"
        )


def _given(value: object) -> bool:
    """Set and not empty (an empty variable counts as missing)."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value is not None and value != ""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
