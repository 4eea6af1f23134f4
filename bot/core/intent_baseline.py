"""The previous intent rule, kept as the baseline the classifier is measured against: the nearest example's intent."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from bot.core.intents import NO_INTENT, SMALL_TALK_INTENTS, SMALL_TALK_MAX_WORDS, IntentExamples
from bot.core.model import IntentMatch
from bot.core.ports import Embedder

# The threshold this rule was calibrated to on knowledge/eval/intents.jsonl (cosine similarity).
NEAREST_EXAMPLE_THRESHOLD = 0.59


class NearestExampleIntentDetector:
    """Labels a message with the intent of its most similar example, if similar enough."""

    def __init__(self, *, embedder: Embedder, examples: IntentExamples, threshold: float | None = None) -> None:
        self._embedder = embedder
        self._examples = examples
        self._threshold = NEAREST_EXAMPLE_THRESHOLD if threshold is None else threshold
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
