"""The environment source: HELPDESK_<GROUP>_<FIELD>, plus the platforms' usual names (SLACK_BOT_TOKEN).

pydantic-settings matches a nested field's aliases only below its group's prefix (HELPDESK_SLACK_…), so a name
from outside that scheme is renamed to its HELPDESK_ spelling before the standard source reads the environment.
The names come from the upper-case choices of each group field's `validation_alias`, the one place they are
declared. The HELPDESK_ spelling wins when both are set, as it always has.
"""

from __future__ import annotations

import types
from collections.abc import Iterator, Mapping
from typing import Union, get_args, get_origin

from pydantic import AliasChoices, BaseModel
from pydantic_settings import BaseSettings, EnvSettingsSource


class EnvWithPlatformNames(EnvSettingsSource):
    """EnvSettingsSource that also reads each group field's upper-case alias (SLACK_BOT_TOKEN, HELPDESK_LLM)."""

    def _load_env_vars(self) -> Mapping[str, str | None]:
        variables = dict(super()._load_env_vars())
        for canonical, other in other_names(self.settings_cls):
            key = other if self.case_sensitive else other.lower()
            if key not in variables:
                continue
            value = variables.pop(key)  # never also read as the group itself (HELPDESK_LLM is not JSON)
            variables.setdefault(canonical if self.case_sensitive else canonical.lower(), value)
        return variables


def other_names(settings_cls: type[BaseSettings]) -> Iterator[tuple[str, str]]:
    """(HELPDESK_<GROUP>_<FIELD>, other accepted variable) for every group field with an upper-case alias."""
    prefix = str(settings_cls.model_config.get("env_prefix", ""))
    for group, info in settings_cls.model_fields.items():
        model = group_model(info.annotation)
        if model is None:
            continue
        for name, field in model.model_fields.items():
            alias = field.validation_alias
            for choice in alias.choices if isinstance(alias, AliasChoices) else ():
                if isinstance(choice, str) and choice.isupper():
                    yield f"{prefix}{group}_{name}".upper(), choice


def group_model(annotation: object) -> type[BaseModel] | None:
    """The BaseModel behind `Model` or `Model | None`, else None (a plain value, or a container of models)."""
    candidates = [member for member in union_members(annotation) if member is not type(None)]
    if len(candidates) == 1 and isinstance(candidates[0], type) and issubclass(candidates[0], BaseModel):
        return candidates[0]
    return None


def union_members(annotation: object) -> tuple[object, ...]:
    """The members of `A | B` (or `Optional[A]`), else the annotation alone."""
    return get_args(annotation) if get_origin(annotation) in (Union, types.UnionType) else (annotation,)
