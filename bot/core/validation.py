"""Readable pydantic validation errors: one "where: what" per problem, for configuration files and API bodies."""

from __future__ import annotations

from pydantic import ValidationError


def problems(error: ValidationError, *, whole: str, limit: int | None = None) -> list[str]:
    """ "field.path: message" for each problem (at most `limit`); `whole` names a problem with the input itself."""
    return [f"{'.'.join(str(part) for part in item['loc']) or whole}: {item['msg']}" for item in error.errors()[:limit]]
