"""Versioned triage models on disk, and the default model trained from the packaged example tickets.

Layout: `<root>/<target>/v<N>/` holding the classifier's arrays and `meta.json` (what it was trained on and
when). `triage train` adds the next version; the bot loads the newest. Rolling back is deleting a folder.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from bot.triage.classifier import TicketClassifier
from bot.triage.labelled import read_labelled
from knowledge.embeddings import Encoder

Target = Literal["category", "group"]
TARGETS: tuple[Target, ...] = ("category", "group")
DEFAULT_TICKETS = Path(__file__).with_name("default_tickets.csv")
_VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True, kw_only=True)
class ModelInfo:
    """What `meta.json` records about one saved model."""

    target: str
    version: int
    trained_at: str
    source: str
    rows: int
    labels: list[str]


@dataclass(frozen=True, kw_only=True)
class LoadedModel:
    classifier: TicketClassifier
    info: ModelInfo


class ModelVersions:
    """The saved models under one folder (HELPDESK_TRIAGE_MODELS, default `<data dir>/triage`)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def versions(self, target: Target) -> list[int]:
        folder = self._root / target
        found = (_VERSION.match(child.name) for child in folder.iterdir()) if folder.is_dir() else iter(())
        return sorted(int(match.group(1)) for match in found if match)

    def save(self, target: Target, classifier: TicketClassifier, *, source: str, rows: int) -> ModelInfo:
        """Store `classifier` as the next version of `target` (written aside, then renamed into place)."""
        version = max(self.versions(target), default=0) + 1
        info = ModelInfo(
            target=target,
            version=version,
            trained_at=datetime.now(UTC).isoformat(timespec="seconds"),
            source=source,
            rows=rows,
            labels=list(classifier.labels),
        )
        final = self._root / target / f"v{version}"
        staging = self._root / target / f".v{version}.partial"
        classifier.save(staging)
        (staging / "meta.json").write_text(json.dumps(asdict(info), indent=2), encoding="utf-8")
        staging.rename(final)
        return info

    def latest(self, target: Target) -> LoadedModel | None:
        """The newest saved version of `target`, or None when none was trained."""
        versions = self.versions(target)
        if not versions:
            return None
        folder = self._root / target / f"v{versions[-1]}"
        try:
            info = ModelInfo(**json.loads((folder / "meta.json").read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError) as error:
            raise ValueError(f"{folder}: unreadable meta.json ({error})") from error
        return LoadedModel(classifier=TicketClassifier.load(folder), info=info)


_defaults: dict[tuple[int, Target], LoadedModel] = {}
_defaults_lock = threading.Lock()


def default_model(encoder: Encoder, target: Target) -> LoadedModel:
    """The model trained on the packaged example tickets (about 2 s; trained once per process and encoder)."""
    key = (id(encoder), target)
    with _defaults_lock:
        if key not in _defaults:
            column = "category" if target == "category" else "group"
            examples = read_labelled(DEFAULT_TICKETS, text_column="text", label_column=column)
            vectors = encoder.encode(list(examples.texts))
            classifier = TicketClassifier.fit(texts=examples.texts, vectors=vectors, labels=examples.labels)
            info = ModelInfo(
                target=target,
                version=0,
                trained_at="packaged",
                source=DEFAULT_TICKETS.name,
                rows=len(examples.texts),
                labels=list(classifier.labels),
            )
            _defaults[key] = LoadedModel(classifier=classifier, info=info)
        return _defaults[key]
