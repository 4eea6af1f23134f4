"""Every HELPDESK_ variable the code, the manifests or the docs mention is in the generated configuration reference."""

from __future__ import annotations

import re
from pathlib import Path

from bot.settings import Settings
from bot.settings.reference import settings_reference

ROOT = Path(__file__).resolve().parents[3]
SCANNED = ["bot", "knowledge", "manifests", "docs", "Dockerfile", "README.md"]
GENERATED_PAGE = ROOT / "docs" / "reference" / "configuration.md"
NAME = re.compile(r"HELPDESK_[A-Z0-9_]+")
TEXT_SUFFIXES = {".py", ".md", ".yml", ".yaml", ".json", ".txt", ".toml", ".cfg", ".ini", ".sh", ".html", ".js", ""}

# Names that are not settings, with the reason. HELPDESK_TEST_* (servers the tests use) are skipped by pattern.
NOT_SETTINGS: dict[str, str] = {}


def scanned_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        candidates = [path] if path.is_file() else sorted(p for p in path.rglob("*") if p.is_file())
        files += [
            p for p in candidates if p.suffix in TEXT_SUFFIXES and p != GENERATED_PAGE and "__pycache__" not in p.parts
        ]
    return files


def mentioned_names() -> dict[str, set[str]]:
    """Each HELPDESK_ name and the files (relative paths) that mention it."""
    mentions: dict[str, set[str]] = {}
    for path in scanned_files():
        for name in NAME.findall(path.read_text(encoding="utf-8", errors="replace")):
            mentions.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return mentions


def test_every_mentioned_variable_is_in_the_reference() -> None:
    documented = {name for entry in settings_reference(Settings) for name in (entry.name, *entry.other_names)}

    def known(name: str) -> bool:
        if name.startswith("HELPDESK_TEST_") or name in NOT_SETTINGS:
            return True
        if name.endswith("_"):  # a family, as in "the HELPDESK_LDAP_* variables"
            return any(documented_name.startswith(name) for documented_name in documented)
        return name in documented

    unknown = {name: sorted(files) for name, files in mentioned_names().items() if not known(name)}

    assert unknown == {}


def test_the_scan_reads_the_places_that_name_variables() -> None:
    mentions = mentioned_names()

    assert "HELPDESK_DATA_DIR" in mentions
    assert any(file.startswith("manifests/") for file in mentions["HELPDESK_DATA_DIR"])
    assert "Dockerfile" in mentions["HELPDESK_DATA_DIR"]
