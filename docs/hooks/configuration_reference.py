"""MkDocs hook: fill reference/configuration.md with the reference generated from Settings at build time."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PAGE = "reference/configuration.md"
START, END = "<!-- settings-reference:start -->", "<!-- settings-reference:end -->"


def on_page_markdown(markdown: str, *, page: Any, config: Any, files: Any) -> str:
    """Replace the block between the markers on the configuration page; leave every other page alone."""
    if page.file.src_uri != PAGE:
        return markdown
    before, start, rest = markdown.partition(START)
    _, end, after = rest.partition(END)
    if not (start and end):
        raise ValueError(f"{PAGE} lost its {START} … {END} block: the generated reference has nowhere to go")
    if str(ROOT) not in sys.path:  # the bot is imported from this checkout, installed or not
        sys.path.insert(0, str(ROOT))
    from bot.settings import Settings
    from bot.settings.reference import render_markdown, settings_reference

    return before + render_markdown(settings_reference(Settings)) + after
