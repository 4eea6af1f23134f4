"""The docs hook puts the generated reference into the configuration page, and only there."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from bot.settings import Settings
from bot.settings.reference import settings_reference

ROOT = Path(__file__).resolve().parents[3]
PAGE_SOURCE = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")


def load_hook() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "configuration_hook", ROOT / "docs" / "hooks" / "configuration_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def render(src_uri: str, markdown: str) -> str:
    page = SimpleNamespace(file=SimpleNamespace(src_uri=src_uri))
    result: str = load_hook().on_page_markdown(markdown, page=page, config=None, files=None)
    return result


def test_the_configuration_page_gets_every_variable_by_its_full_name() -> None:
    page = render("reference/configuration.md", PAGE_SOURCE)

    assert "HELPDESK_SMTP_PORT" in page
    assert all(entry.name in page for entry in settings_reference(Settings))
    assert "make docs" not in page  # the placeholder for readers of the source is replaced


def test_other_pages_are_left_alone() -> None:
    assert render("how-to/slack.md", "# Install in Slack\n") == "# Install in Slack\n"


def test_a_page_that_lost_its_markers_fails_the_build() -> None:
    with pytest.raises(ValueError, match="nowhere to go"):
        render("reference/configuration.md", "# Configuration\n")
