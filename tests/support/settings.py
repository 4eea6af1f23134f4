"""Settings for a test, written the way an operator writes them: by variable name (ldap_url for HELPDESK_LDAP_URL)."""

from __future__ import annotations

from typing import Any

from bot.settings import Settings
from bot.settings.sources import group_model, other_names

PREFIX = "HELPDESK_"


def settings_from(**variables: Any) -> Settings:
    """Settings(...) from values keyed like the environment without the prefix: port=…, ldap_url=…, llm=….

    The keys take the same path as HELPDESK_<KEY> would (top-level field, <group>_<field>, or an alias such as
    HELPDESK_LLM), so a test says what a deployment would set.
    """
    return Settings(**nested(variables))


def nested(variables: dict[str, Any]) -> dict[str, Any]:
    """{"ldap_url": u, "port": p} -> {"ldap": {"url": u}, "port": p}."""
    fields = Settings.model_fields
    aliases = {other.upper(): canonical.removeprefix(PREFIX).lower() for canonical, other in other_names(Settings)}
    result: dict[str, Any] = {}
    for name, value in variables.items():
        if name in fields and group_model(fields[name].annotation) is None:
            result[name] = value
            continue
        name = aliases.get(f"{PREFIX}{name}".upper(), name)
        group, _, field = name.partition("_")
        if group not in fields or group_model(fields[group].annotation) is None:
            raise KeyError(f"no setting HELPDESK_{name.upper()}")
        result.setdefault(group, {})[field] = value
    return result
