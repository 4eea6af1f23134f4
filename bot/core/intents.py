"""Intent detection: nearest neighbour over example utterances in sentence-embedding space."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import yaml

from bot.core.model import IntentMatch
from bot.core.ports import Embedder

ACTION_INTENTS = frozenset({"reset_password", "unlock_account", "reset_mfa", "request_access", "request_software"})
SMALL_TALK_INTENTS = frozenset({"greeting", "help", "thanks"})
# Examples listed under "none" are near misses: knowledge questions that sound like requests ("how do I
# set up MFA for the first time" vs "reset my MFA"). Being nearest to one of them means "no intent".
NO_INTENT = "none"
KNOWN_INTENTS = ACTION_INTENTS | SMALL_TALK_INTENTS | {"human", NO_INTENT}

# "Hi, my VPN drops every hour" is nearest to a greeting but is a VPN question: small talk only counts
# for short messages, so anything with substance goes on to intent-free retrieval.
SMALL_TALK_MAX_WORDS = 6

DEFAULT_EXAMPLES_PATH = Path(__file__).with_name("intent_examples.yml")


@dataclass(frozen=True, kw_only=True)
class IntentExamples:
    """The example utterances per intent and the out-of-scope threshold."""

    threshold: float
    utterances: tuple[str, ...]
    labels: tuple[str, ...]

    @classmethod
    def load(cls, path: Path) -> IntentExamples:
        """Read and validate the YAML file of examples."""
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or not isinstance(data.get("intents"), dict):
            raise ValueError(f"{path}: expected a mapping with 'threshold' and 'intents'")
        unknown = set(data["intents"]) - KNOWN_INTENTS
        if unknown:
            raise ValueError(f"{path}: unknown intents {sorted(unknown)}")
        utterances: list[str] = []
        labels: list[str] = []
        for intent, examples in data["intents"].items():
            for example in examples or []:
                utterances.append(str(example))
                labels.append(str(intent))
        if not utterances:
            raise ValueError(f"{path}: no example utterances")
        return cls(threshold=float(data.get("threshold", 0.6)), utterances=tuple(utterances), labels=tuple(labels))


class NearestExampleIntentDetector:
    """Labels a message with the intent of its most similar example, if similar enough."""

    def __init__(self, *, embedder: Embedder, examples: IntentExamples, threshold: float | None = None) -> None:
        self._embedder = embedder
        self._examples = examples
        self._threshold = examples.threshold if threshold is None else threshold
        self._matrix: npt.NDArray[np.float32] | None = None

    @property
    def threshold(self) -> float:
        return self._threshold

    async def warm_up(self) -> None:
        """Embed the examples once, at start-up, so the first message is not slow."""
        await self._example_matrix()

    async def _example_matrix(self) -> npt.NDArray[np.float32]:
        if self._matrix is None:
            self._matrix = await self._embedder.embed(list(self._examples.utterances))
        return self._matrix

    async def nearest(self, text: str) -> tuple[str, float, str]:
        """The nearest example's intent, its similarity and the example itself (ignores the threshold)."""
        matrix = await self._example_matrix()
        query = (await self._embedder.embed([text]))[0]
        similarities = matrix @ query
        best = int(np.argmax(similarities))
        return self._examples.labels[best], float(similarities[best]), self._examples.utterances[best]

    async def detect(self, text: str) -> IntentMatch:
        """Return the intent of `text`, or no intent when nothing is above the threshold."""
        intent, similarity, example = await self.nearest(text)
        return self._match(text, intent, similarity, example)

    async def detect_embedded(self, texts: Sequence[str], vectors: npt.NDArray[np.float32]) -> list[IntentMatch]:
        """`detect` for many texts whose embeddings are already computed (batch triage embeds once)."""
        matrix = await self._example_matrix()
        similarities = vectors @ matrix.T
        best = similarities.argmax(axis=1)
        return [
            self._match(
                text, self._examples.labels[column], float(similarities[row, column]), self._examples.utterances[column]
            )
            for row, (text, column) in enumerate(zip(texts, best, strict=True))
        ]

    def _match(self, text: str, intent: str, similarity: float, example: str) -> IntentMatch:
        return IntentMatch(
            intent=decide_intent(text=text, nearest=intent, similarity=similarity, threshold=self._threshold),
            confidence=max(0.0, min(1.0, similarity)),
            nearest_example=example,
        )


def decide_intent(*, text: str, nearest: str, similarity: float, threshold: float) -> str | None:
    """The detection rule, shared by the detector and the threshold calibration."""
    if similarity < threshold or nearest == NO_INTENT:
        return None
    if nearest in SMALL_TALK_INTENTS and len(text.split()) > SMALL_TALK_MAX_WORDS:
        return None
    return nearest
