"""The architecture's boundaries hold: the core sees only its own types; knowledge never imports the bot."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
CORE_FORBIDDEN = ("slack_sdk", "slack_bolt", "botbuilder", "microsoft_agents", "aiohttp", "sqlalchemy",
                  "chromadb", "knowledge", "bot.channels", "bot.store", "bot.handoff", "bot.app")


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("path", sorted((ROOT / "bot" / "core").glob("*.py")), ids=lambda p: p.name)
def test_the_core_imports_no_platform_or_infrastructure_code(path: Path) -> None:
    offending = {m for m in imported_modules(path) if m.startswith(CORE_FORBIDDEN)}
    assert not offending, f"{path.name} imports {sorted(offending)}"


@pytest.mark.parametrize("path", sorted((ROOT / "knowledge").glob("*.py")), ids=lambda p: p.name)
def test_the_knowledge_library_never_imports_the_bot(path: Path) -> None:
    assert not {m for m in imported_modules(path) if m == "bot" or m.startswith("bot.")}
