"""Small helpers every JSON-over-HTTP client (Entra, Okta, ServiceNow, Jira) shares for reading answers safely."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from bot.core.directory import DirectoryError


def path_segment(value: str) -> str:
    """`value` as one path segment: an id can never reach another endpoint ("../", "?")."""
    return quote(value, safe="")


def decode_json(raw: bytes) -> Any:
    """The parsed body, or None when empty or not JSON (an HTML error page from a gateway, say)."""
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        return None


def json_objects(value: Any, *, service: str, operation: str) -> list[dict[str, Any]]:
    """The objects of a JSON list answer; anything else is the service misbehaving."""
    if not isinstance(value, list):
        raise DirectoryError(f"{service}'s answer to {operation} was not a list")
    return [item for item in value if isinstance(item, dict)]


def text_or_none(value: Any) -> str | None:
    """A non-blank string, stripped; None for anything else."""
    return (value.strip() or None) if isinstance(value, str) else None
