"""Load Markdown articles with YAML front matter, reporting every problem with its file and line."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge.model import Article

ALLOWED_ACTIONS = ("reset_password", "unlock_account", "reset_mfa", "request_access", "request_software")
REQUIRED_FIELDS = ("id", "title", "summary", "tags", "owner", "last_reviewed")
OPTIONAL_FIELDS = ("url", "actions")
_KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_FENCE = "---"


@dataclass(frozen=True, kw_only=True)
class ArticleError:
    """Why one article file was rejected; `line` is 1-based."""

    path: Path
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


@dataclass(frozen=True, kw_only=True)
class LoadReport:
    """The articles that loaded and the problems of those that did not."""

    articles: tuple[Article, ...]
    errors: tuple[ArticleError, ...]


class _FrontMatterLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as strings, so '2026-13-01' gets our message instead of a crash."""


_FrontMatterLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_articles(*, directory: Path) -> LoadReport:
    """Parse every `*.md` file in `directory` (sorted by name); a bad file is reported and skipped.

    Raises:
        FileNotFoundError: `directory` does not exist.
    """
    if not directory.is_dir():
        raise FileNotFoundError(f"articles directory not found: {directory}")
    articles: list[Article] = []
    errors: list[ArticleError] = []
    first_seen: dict[str, Path] = {}
    for path in sorted(p for p in directory.glob("*.md") if p.is_file()):
        parsed = _parse_file(path)
        if isinstance(parsed, list):
            errors.extend(parsed)
            continue
        article, id_line = parsed
        if article.id in first_seen:
            reason = f"duplicate id '{article.id}' (first defined in {first_seen[article.id].name})"
            errors.append(ArticleError(path=path, line=id_line, reason=reason))
            continue
        first_seen[article.id] = path
        articles.append(article)
    return LoadReport(articles=tuple(articles), errors=tuple(errors))


def _parse_file(path: Path) -> tuple[Article, int] | list[ArticleError]:
    """The article and the line of its `id`, or the reasons it was rejected."""
    raw = path.read_bytes()
    split = _split_front_matter(path, raw)
    if isinstance(split, list):
        return split
    lines, close = split
    front = _front_matter(path, lines[1:close])
    if isinstance(front, list):
        return front
    data, key_lines, duplicates = front

    def line_of(key: str) -> int:
        return key_lines.get(key, 1)

    fields, errors = _checked_fields(path, data, line_of=line_of, duplicates=duplicates)
    body = "\n".join(lines[close + 1 :]).strip()
    if not body:
        errors.append(ArticleError(path=path, line=min(close + 2, len(lines)), reason="article body is empty"))
    if errors:
        return errors
    article = Article(
        id=fields["id"],
        title=fields["title"],
        summary=fields["summary"],
        tags=fields["tags"],
        owner=fields["owner"],
        last_reviewed=fields["last_reviewed"],
        body=body,
        path=path,
        content_hash=hashlib.sha256(raw).hexdigest(),
        url=fields.get("url"),
        actions=fields.get("actions", ()),
    )
    return article, line_of("id")


def _split_front_matter(path: Path, raw: bytes) -> tuple[list[str], int] | list[ArticleError]:
    """The file's lines and the index of the line closing the front matter, or why it has none."""

    def error(line: int, reason: str) -> list[ArticleError]:
        return [ArticleError(path=path, line=line, reason=reason)]

    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # editors on Windows like to add a BOM
    except UnicodeDecodeError as problem:
        return error(raw[: problem.start].count(b"\n") + 1, "file is not valid UTF-8")

    lines = [line.rstrip("\r") for line in text.split("\n")]
    if lines[0].rstrip() != _FENCE:
        return error(1, "no front matter (file must start with '---')")
    close = next((i for i in range(1, len(lines)) if lines[i].rstrip() == _FENCE), None)
    if close is None:
        return error(1, "front matter is not closed (no second '---' line)")
    return lines, close


def _front_matter(
    path: Path, lines: list[str]
) -> tuple[dict[Any, Any], dict[str, int], list[tuple[str, int]]] | list[ArticleError]:
    """The front matter as a mapping, with the line of each key and the keys given twice; or why it is not one."""

    def error(line: int, reason: str) -> list[ArticleError]:
        return [ArticleError(path=path, line=line, reason=reason)]

    try:
        data, key_lines, duplicates = _read_yaml("\n".join(lines))
    except yaml.YAMLError as problem:
        mark = getattr(problem, "problem_mark", None)
        detail = getattr(problem, "problem", None) or str(problem)
        return error(mark.line + 2 if mark is not None else 1, f"front matter is not valid YAML: {detail}")
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return error(2, "front matter must be a mapping of fields (key: value)")
    return data, key_lines, duplicates


def _checked_fields(
    path: Path, data: dict[Any, Any], *, line_of: Callable[[str], int], duplicates: list[tuple[str, int]]
) -> tuple[dict[str, Any], list[ArticleError]]:
    """The valid fields' values, and an error for each repeated, unknown, missing or invalid field."""

    def error(line: int, reason: str) -> ArticleError:
        return ArticleError(path=path, line=line, reason=reason)

    errors = [error(line, f"field '{key}' appears more than once") for key, line in duplicates]
    allowed = REQUIRED_FIELDS + OPTIONAL_FIELDS
    for key in data:
        if key not in allowed:
            errors.append(error(line_of(str(key)), f"unknown field '{key}' (allowed: {', '.join(allowed)})"))
    for key in REQUIRED_FIELDS:
        if key not in data:
            errors.append(error(1, f"missing required field '{key}'"))

    fields: dict[str, Any] = {}
    for key, check in _CHECKS.items():
        if key in data:
            value, reason = check(data[key])
            if reason is None:
                fields[key] = value
            else:
                errors.append(error(line_of(key), reason))
    return fields, errors


def _read_yaml(front: str) -> tuple[Any, dict[str, int], list[tuple[str, int]]]:
    """The parsed front matter, the file line of each top-level key, and keys given twice."""
    loader = _FrontMatterLoader(front)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    key_lines: dict[str, int] = {}
    duplicates: list[tuple[str, int]] = []
    if isinstance(node, yaml.MappingNode):
        for key_node, _ in node.value:
            line = key_node.start_mark.line + 2  # +1 for 1-based, +1 for the opening '---'
            if key_node.value in key_lines:
                duplicates.append((str(key_node.value), line))  # YAML would silently keep the last one
            else:
                key_lines[str(key_node.value)] = line
    return data, key_lines, duplicates


_Checked = tuple[Any, str | None]


def _text(key: str) -> Callable[[Any], _Checked]:
    def check(value: Any) -> _Checked:
        if isinstance(value, str) and value.strip():
            return value.strip(), None
        return None, f"{key} must be a non-empty string, got {value!r}"

    return check


def _check_id(value: Any) -> _Checked:
    if isinstance(value, str) and _KEBAB.fullmatch(value):
        return value, None
    return None, f"id must be lowercase-kebab (a-z, 0-9 and '-', e.g. 'vpn-connect'), got {value!r}"


def _check_tags(value: Any) -> _Checked:
    if isinstance(value, list) and all(isinstance(tag, str) and tag.strip() for tag in value):
        return tuple(tag.strip() for tag in value), None
    return None, f"tags must be a list of strings, e.g. [vpn, network], got {value!r}"


def _check_date(value: Any) -> _Checked:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value, None
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip()), None
        except ValueError:
            pass
    return None, f"last_reviewed must be an ISO date (YYYY-MM-DD), got {str(value)!r}"


def _check_actions(value: Any) -> _Checked:
    if not isinstance(value, list) or not all(isinstance(action, str) for action in value):
        return None, f"actions must be a list of strings, got {value!r}"
    unknown = [action for action in value if action not in ALLOWED_ACTIONS]
    if unknown:
        return None, f"unknown action {unknown[0]!r} (allowed: {', '.join(ALLOWED_ACTIONS)})"
    return tuple(value), None


_CHECKS = {
    "id": _check_id,
    "title": _text("title"),
    "summary": _text("summary"),
    "tags": _check_tags,
    "owner": _text("owner"),
    "last_reviewed": _check_date,
    "url": _text("url"),
    "actions": _check_actions,
}
