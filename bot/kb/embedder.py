"""Adapts the knowledge library's blocking sentence encoder to the core's async Embedder port."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from knowledge.embeddings import Encoder


class EncoderEmbedder:
    """Runs the (torch, CPU-bound) encoder in a worker thread so the event loop keeps serving."""

    def __init__(self, *, encoder: Encoder) -> None:
        self._encoder = encoder

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        return await asyncio.to_thread(self._encoder.encode, list(texts))
