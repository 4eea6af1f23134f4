"""The trained intent model is kept between starts and retrained only when what it came from changes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from bot.core.intents import ClassifierIntentDetector, IntentExamples
from bot.kb.embedder import EncoderEmbedder
from knowledge.embeddings import MiniLMEncoder

pytestmark = pytest.mark.asyncio

EXAMPLES = """threshold: 0.5
intents:
  human: [talk to a person, I want a human, get me someone from IT]
  reset_password: [reset my password, I forgot my password, password expired]
  none: [what are the password rules, my printer is broken, the wifi is slow]
"""


class CountingEmbedder:
    """The real embedder, counting how many texts it was asked to embed."""

    def __init__(self, encoder: MiniLMEncoder) -> None:
        self._inner = EncoderEmbedder(encoder=encoder)
        self.texts = 0

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        self.texts += len(texts)
        return await self._inner.embed(texts)


def examples_file(tmp_path: Path, text: str = EXAMPLES) -> IntentExamples:
    path = tmp_path / "examples.yml"
    path.write_text(text, encoding="utf-8")
    return IntentExamples.load(path)


async def test_a_restart_loads_the_trained_model_instead_of_training_again(
    tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    examples, cache = examples_file(tmp_path), tmp_path / "cache"
    first_embedder, second_embedder = CountingEmbedder(encoder), CountingEmbedder(encoder)
    first = ClassifierIntentDetector(embedder=first_embedder, examples=examples, cache_dir=cache)
    await first.warm_up()
    assert first_embedder.texts == 1 + 9  # the encoder probe and the examples
    assert len(list(cache.glob("intent-model-*.pickle"))) == 1

    second = ClassifierIntentDetector(embedder=second_embedder, examples=examples, cache_dir=cache)
    await second.warm_up()
    assert second_embedder.texts == 1  # only the probe: the examples were not embedded again
    for text in ("please reset my password", "can I talk to someone"):
        assert await second.detect(text) == await first.detect(text)


async def test_changed_examples_are_trained_on_and_kept_beside_the_old_model(
    tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    cache = tmp_path / "cache"
    await ClassifierIntentDetector(
        embedder=EncoderEmbedder(encoder=encoder), examples=examples_file(tmp_path), cache_dir=cache
    ).warm_up()
    changed = examples_file(tmp_path, EXAMPLES.replace("password expired", "my password has expired"))
    embedder = CountingEmbedder(encoder)
    await ClassifierIntentDetector(embedder=embedder, examples=changed, cache_dir=cache).warm_up()
    assert embedder.texts == 1 + 9
    assert len(list(cache.glob("intent-model-*.pickle"))) == 2


async def test_an_unreadable_cache_file_is_trained_over(tmp_path: Path, encoder: MiniLMEncoder) -> None:
    examples, cache = examples_file(tmp_path), tmp_path / "cache"
    await ClassifierIntentDetector(
        embedder=EncoderEmbedder(encoder=encoder), examples=examples, cache_dir=cache
    ).warm_up()
    [stored] = cache.glob("intent-model-*.pickle")
    stored.write_bytes(b"not a model")
    detector = ClassifierIntentDetector(embedder=EncoderEmbedder(encoder=encoder), examples=examples, cache_dir=cache)
    assert (await detector.detect("I forgot my password")).intent == "reset_password"
