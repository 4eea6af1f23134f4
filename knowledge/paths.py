"""Default locations of the articles and the index, shared by the `kb` commands and the bot's settings."""

from __future__ import annotations

import os
from pathlib import Path

ARTICLES_ENV = "HELPDESK_ARTICLES_DIR"
DATA_DIR_ENV = "HELPDESK_DATA_DIR"


def packaged_articles_dir() -> Path:
    """The starter articles shipped inside the `knowledge` package."""
    return Path(__file__).resolve().parent / "articles"


def default_articles_dir() -> Path:
    """$HELPDESK_ARTICLES_DIR if set, else the packaged starter articles."""
    configured = os.environ.get(ARTICLES_ENV)
    return Path(configured) if configured else packaged_articles_dir()


def default_data_dir() -> Path:
    """$HELPDESK_DATA_DIR if set, else ./var (relative to the working directory)."""
    return Path(os.environ.get(DATA_DIR_ENV) or "var")


def index_dir(data_dir: Path) -> Path:
    """Where the knowledge index lives inside a data directory."""
    return data_dir / "kb"


def packaged_eval_dir() -> Path:
    """The held-out evaluation sets shipped inside the `knowledge` package (questions, intents)."""
    return Path(__file__).resolve().parent / "eval"
