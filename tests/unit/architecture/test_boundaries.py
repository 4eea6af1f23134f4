"""The architecture's boundaries hold. Which package may import which is checked by import-linter's contracts
(pyproject.toml, run by `make test`); what they cannot express is checked here."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PORTS = ROOT / "bot" / "core" / "ports.py"


def protocols_in(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(
            isinstance(base, ast.Name | ast.Attribute) and ast.unparse(base).endswith("Protocol") for base in node.bases
        )
    ]


def test_every_port_is_declared_in_the_core() -> None:
    elsewhere = {
        f"{path.relative_to(ROOT)}: {name}"
        for path in (ROOT / "bot").rglob("*.py")
        if path != PORTS
        for name in protocols_in(path)
    }
    assert not elsewhere, "Protocols belong in bot/core/ports.py"
    assert {"ReplyPort", "TicketCardChannel", "StaffOperations", "Wakeups", "ItsmSystem"} <= set(protocols_in(PORTS))


def test_make_test_checks_the_import_contracts() -> None:
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    assert {contract["id"] for contract in contracts["contracts"]} >= {
        "layers",
        "core-platform-free",
        "knowledge-is-a-library",
        "one-composition-root",
    }
    test_target = (ROOT / "Makefile").read_text(encoding="utf-8").split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "lint-imports" in test_target
