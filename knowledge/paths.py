"""Where the knowledge package keeps its files, and where an index lives inside a data directory.

A library: callers pass the paths they configured (the bot reads them from its settings); nothing here reads
the environment.
"""

from __future__ import annotations

from pathlib import Path


def packaged_articles_dir() -> Path:
    """The starter articles shipped inside the `knowledge` package."""
    return Path(__file__).resolve().parent / "articles"


def index_dir(data_dir: Path) -> Path:
    """Where the knowledge index lives inside a data directory."""
    return data_dir / "kb"


def packaged_eval_dir() -> Path:
    """The held-out evaluation sets shipped inside the `knowledge` package (questions, intents)."""
    return Path(__file__).resolve().parent / "eval"
