"""All configuration, read from HELPDESK_* environment variables into one validated, nested object.

`HELPDESK_<GROUP>_<FIELD>` fills `settings.<group>.<field>` (HELPDESK_LDAP_BIND_DN -> settings.ldap.bind_dn);
global values sit at the top (HELPDESK_DATA_DIR -> settings.data_dir). Only the composition root (bot.app) and
the commands (bot.cli) read Settings; everything else receives plain values.
"""

from __future__ import annotations

from typing import TypeVar, overload

from pydantic import ValidationError

from bot.settings.checks import variable
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
from bot.settings.model import CommonSettings, DirectorySettings, ItsmSettings, Settings

__all__ = [
    "ChromaSettings",
    "CommonSettings",
    "DirectorySettings",
    "EntraSettings",
    "IntentSettings",
    "ItsmSettings",
    "JiraSettings",
    "LdapSettings",
    "LlmSettings",
    "OktaSettings",
    "ServiceNowSettings",
    "Settings",
    "SettingsError",
    "SlackSettings",
    "SmtpSettings",
    "StaffSettings",
    "TeamsSettings",
    "TriageSettings",
    "WebSettings",
    "load_settings",
]

S = TypeVar("S", bound=CommonSettings)


class SettingsError(ValueError):
    """Configuration that cannot work; the message says what to change."""


@overload
def load_settings() -> Settings: ...
@overload
def load_settings(model: type[S]) -> S: ...


def load_settings(model: type[CommonSettings] = Settings) -> CommonSettings:
    """Read settings from the environment, turning validation errors into one readable message.

    Each problem names its variable (HELPDESK_LDAP_TIMEOUT_SECONDS: …); `model` is Settings, or CommonSettings
    for commands that need only the data locations.
    """
    try:
        return model()
    except ValidationError as error:
        lines = [
            f"  {_where(problem['loc'])}{problem['msg'].removeprefix('Value error, ')}" for problem in error.errors()
        ]
        raise SettingsError("Invalid configuration:\n" + "\n".join(lines)) from error


def _where(location: tuple[int | str, ...]) -> str:
    return f"{variable(*(str(part) for part in location))}: " if location else ""
