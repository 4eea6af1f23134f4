"""The embedded store's state files, kept in the index directory beside Chroma's own:

    manifest.json   {article_id: content_hash} of what is indexed, for incremental syncs
    chunks.json     every chunk, so BM25, citations and answers need no Chroma round-trip

A Chroma server keeps this state in its records instead (see knowledge/chroma_store.py).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import structlog

from knowledge.chroma_store import IndexState
from knowledge.model import Chunk

log = structlog.get_logger(__name__)


def read_state(directory: Path, *, state_format: int, dimension: int) -> IndexState:
    """The state files in `directory`; unreadable or foreign files give an empty state that forces a rebuild."""
    manifest_path, chunks_path = directory / "manifest.json", directory / "chunks.json"
    if not manifest_path.exists() and not chunks_path.exists():
        return IndexState(manifest={}, chunks=[])
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        state = json.loads(chunks_path.read_text(encoding="utf-8"))
        if state.get("format") != state_format:
            raise ValueError(f"chunks.json format {state.get('format')!r}, expected {state_format}")
        if state.get("dimension") != dimension:
            raise ValueError(f"vectors of dimension {state.get('dimension')}, the encoder makes {dimension}")
        chunks = [Chunk(**item) for item in state["chunks"]]
        return IndexState(manifest={str(k): str(v) for k, v in manifest.items()}, chunks=chunks)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        log.warning("knowledge_index_state_unreadable", directory=str(directory), error=str(error))
        return IndexState(manifest={}, chunks=[], consistent=False)


def write_state(
    directory: Path, *, state_format: int, dimension: int, manifest: dict[str, str], chunks: Sequence[Chunk]
) -> None:
    """Write both files, each replaced whole."""
    _write_json(
        directory / "chunks.json",
        {"format": state_format, "dimension": dimension, "chunks": [asdict(chunk) for chunk in chunks]},
    )
    _write_json(directory / "manifest.json", manifest)


def _write_json(path: Path, payload: Any) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    os.replace(temporary, path)
