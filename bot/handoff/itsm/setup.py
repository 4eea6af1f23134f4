"""The ITSM clients `HELPDESK_ITSM` asks for, built from the settings."""

from __future__ import annotations

from pydantic import SecretStr

from bot.core.ports import ItsmSystem
from bot.handoff.itsm.jira import JiraServiceDesk
from bot.handoff.itsm.servicenow import ServiceNowIncidents
from bot.settings import Settings


def build_itsm(settings: Settings) -> list[ItsmSystem]:
    """The configured system's client, or none for HELPDESK_ITSM=none; the caller closes them."""
    timeout = settings.itsm_timeout_seconds
    if settings.itsm == "servicenow":
        return [ServiceNowIncidents(instance_url=_required(settings.servicenow_url, "HELPDESK_SERVICENOW_URL"),
                                    user=_required(settings.servicenow_user, "HELPDESK_SERVICENOW_USER"),
                                    password=_required(settings.servicenow_password, "HELPDESK_SERVICENOW_PASSWORD"),
                                    timeout_seconds=timeout)]
    if settings.itsm == "jira":
        return [JiraServiceDesk(site_url=_required(settings.jira_url, "HELPDESK_JIRA_URL"),
                                email=_required(settings.jira_email, "HELPDESK_JIRA_EMAIL"),
                                api_token=_required(settings.jira_api_token, "HELPDESK_JIRA_API_TOKEN"),
                                service_desk_id=_required(settings.jira_service_desk_id,
                                                          "HELPDESK_JIRA_SERVICE_DESK_ID"),
                                request_type_id=_required(settings.jira_request_type_id,
                                                          "HELPDESK_JIRA_REQUEST_TYPE_ID"),
                                timeout_seconds=timeout)]
    return []


def _required(value: str | SecretStr | None, variable: str) -> str:
    # Settings already refuses to start without these; this keeps a hand-built Settings from failing later.
    text = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not text:
        raise ValueError(f"HELPDESK_ITSM needs {variable}")
    return text
