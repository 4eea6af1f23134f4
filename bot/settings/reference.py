"""The configuration reference, generated from `Settings`: one entry per environment variable.

The docs site renders it at build time (docs/hooks/configuration_reference.py), so the reference cannot drift from the
code and every variable's full name is on the page for search. Nested groups follow pydantic-settings'
`env_nested_delimiter="_"`: a field `ldap: LdapSettings` with a field `bind_dn` is `HELPDESK_LDAP_BIND_DN`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

from pydantic import AliasChoices, AliasPath, BaseModel, SecretBytes, SecretStr
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from bot.settings.sources import group_model, union_members

GENERAL = "general"


@dataclass(frozen=True, kw_only=True)
class EnvVar:
    """One environment variable the bot reads."""

    name: str  # the full name, e.g. HELPDESK_SMTP_PORT
    other_names: tuple[str, ...]  # also accepted, e.g. SLACK_BOT_TOKEN
    field_path: str  # where it lands in Settings, e.g. "smtp.port" or "smtp_port"
    section: str  # the nested group it belongs to ("general" for top-level settings)
    section_title: str
    type: str  # readable, e.g. "integer", "one of: none, ldap, entra, okta"
    default: str  # readable; never a secret's value
    description: str
    described: bool  # False while the description is derived from the field's name
    secret: bool


def settings_reference(model: type[BaseModel]) -> list[EnvVar]:
    """Every environment variable `model` (the bot's Settings) reads, in declaration order.

    Fields whose type is a pydantic model (or an optional one) are walked into, one level per "_" in the name.
    The model is passed in, not imported, so this module depends on pydantic only.
    """
    prefix = str(model.model_config.get("env_prefix", "")).upper()
    return list(_walk(model, prefix=prefix, path="", section=GENERAL, section_title="General", top=True))


def _walk(
    model: type[BaseModel], *, prefix: str, path: str, section: str, section_title: str, top: bool
) -> Iterator[EnvVar]:
    for field_name, field in model.model_fields.items():
        nested = group_model(field.annotation)
        env_name = f"{prefix}{field_name.upper()}"
        if nested is not None:
            yield from _walk(
                nested,
                prefix=f"{env_name}_",
                path=f"{path}{field_name}.",
                section=field_name if top else section,
                section_title=_section_title(field_name, field, nested) if top else section_title,
                top=False,
            )
            continue
        names = _accepted_names(field, env_name=env_name, prefix=prefix, top=top)
        primary = env_name if env_name in names else names[0]
        secret = _is_secret(field.annotation)
        yield EnvVar(
            name=primary,
            other_names=tuple(name for name in names if name != primary),
            field_path=f"{path}{field_name}",
            section=section,
            section_title=section_title,
            type=_describe_type(field.annotation),
            default=_describe_default(field, secret=secret),
            description=field.description or _from_name(field_name),
            described=bool(field.description),
            secret=secret,
        )


def _accepted_names(field: FieldInfo, *, env_name: str, prefix: str, top: bool) -> list[str]:
    """The names pydantic-settings reads the field from.

    A top-level alias is a complete variable name (the prefix is not added to aliases). In a nested model the
    field keeps its HELPDESK_<GROUP>_<FIELD> name (bot/settings/sources.py renames the other names to it); an alias
    written in capitals is another complete name, a lower-case one a key under the group's prefix.
    """
    alias = field.validation_alias
    if alias is None:
        return [env_name]
    choices = alias.choices if isinstance(alias, AliasChoices) else [alias]
    names: list[str] = [] if top else [env_name]
    for choice in choices:
        key = choice.path[0] if isinstance(choice, AliasPath) else choice
        if not isinstance(key, str):
            continue
        name = key.upper() if top or key.isupper() else f"{prefix}{key.upper()}"
        if name not in names:
            names.append(name)
    return names or [env_name]


def _is_secret(annotation: Any) -> bool:
    return any(arg in (SecretStr, SecretBytes) for arg in union_members(annotation))


_TYPE_NAMES: dict[Any, str] = {
    str: "string",
    int: "integer",
    float: "number",
    bool: "true / false",
    Path: "path",
    SecretStr: "string",
    SecretBytes: "bytes",
}


def _describe_type(annotation: Any) -> str:
    members = union_members(annotation)
    optional = type(None) in members
    parts = []
    for member in members:
        if member is type(None):
            continue
        if get_origin(member) is Literal:
            parts.append("one of: " + ", ".join(str(value) for value in get_args(member)))
        elif isinstance(member, type) and issubclass(member, enum.Enum):
            parts.append("one of: " + ", ".join(str(item.value) for item in member))
        else:
            parts.append(_TYPE_NAMES.get(member, getattr(member, "__name__", str(member))))
    text = " or ".join(parts)
    return f"{text} (optional)" if optional else text


def _describe_default(field: FieldInfo, *, secret: bool) -> str:
    if field.default_factory is not None:
        return _describe_factory(field.default_factory)
    value = field.default
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "unset"
    if secret:
        return "set (not shown)"
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _describe_factory(factory: Callable[..., Any]) -> str:
    """A computed default, said in words: the factory's docstring summary, else its name."""
    summary = (factory.__doc__ or "").strip().splitlines()
    if summary:
        return "computed: " + summary[0].rstrip(".")
    return f"computed by {getattr(factory, '__qualname__', repr(factory))}()"


def _section_title(field_name: str, field: FieldInfo, model: type[BaseModel]) -> str:
    """The group's title: its field description, else its model's docstring summary, else its name."""
    if field.description:
        return field.description.rstrip(".")
    doc = (model.__doc__ or "").strip().splitlines()
    if doc and not doc[0].startswith(("A base class", "Usage docs")):
        return doc[0].rstrip(".")
    return field_name.replace("_", " ").capitalize()


def _from_name(field_name: str) -> str:
    return field_name.replace("_", " ").capitalize() + "."


def sections(entries: list[EnvVar]) -> dict[str, list[EnvVar]]:
    """Entries by section, sections in order of first appearance, "general" first."""
    by_section: dict[str, list[EnvVar]] = {GENERAL: []}
    for entry in entries:
        by_section.setdefault(entry.section, []).append(entry)
    return {name: group for name, group in by_section.items() if group}


def render_markdown(entries: list[EnvVar]) -> str:
    """The reference as Markdown: one table per section, every variable's full name written out."""
    lines: list[str] = []
    for group in sections(entries).values():
        lines += [f"## {group[0].section_title}", "", "| variable | description |", "|---|---|"]
        for entry in group:
            cell = [f"`{entry.name}`"]
            if entry.other_names:
                cell.append("also " + ", ".join(f"`{other}`" for other in entry.other_names))
            cell.append(
                f"{_cell(entry.type)} · default {_cell(entry.default, code=True)} · "
                f"secret: {'yes' if entry.secret else 'no'}"
            )
            lines.append(f"| {'<br>'.join(cell)} | {_cell(entry.description)} |")
        lines.append("")
    return "\n".join(lines)


def _cell(text: str, *, code: bool = False) -> str:
    """One table cell; a literal value as code (where a pipe needs no escape), prose with its pipes escaped."""
    text = text.replace("\n", " ")
    if code and text not in ("unset", "required", "set (not shown)") and not text.startswith("computed"):
        return f"`{text}`"
    return text.replace("|", "\\|")
