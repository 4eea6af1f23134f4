"""The encoder on ONNX Runtime gives the vectors torch gives, and falls back to torch for models it cannot run."""

from __future__ import annotations

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer
from sentence_transformers.sentence_transformer.modules import Normalize, Pooling

from knowledge.embeddings import MiniLMEncoder, _onnx_runner
from knowledge.onnx_encoder import OnnxSentenceEncoder, UnsupportedModel

TEXTS = [
    "my vpn keeps dropping",
    "",
    "Outlook   won't open\n\nat all",
    "é ü 漢字 🙂",
    "printer " * 400,
    "how do I reset my password?",
]


def test_onnx_runtime_vectors_are_the_torch_vectors(encoder: MiniLMEncoder) -> None:
    torch_only = MiniLMEncoder(runtime="torch")
    assert torch_only._onnx is None
    assert encoder._onnx is not None
    onnx_vectors, torch_vectors = encoder.encode(TEXTS), torch_only.encode(TEXTS)
    assert onnx_vectors.shape == torch_vectors.shape == (len(TEXTS), 384)
    assert onnx_vectors.dtype == np.float32
    assert np.all(np.sum(onnx_vectors * torch_vectors, axis=1) > 0.99999)
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)


def test_a_model_that_is_not_mean_pooled_is_left_to_torch(encoder: MiniLMEncoder) -> None:
    model = encoder._model
    cls_pooled = SentenceTransformer(modules=[model[0], Pooling(384, pooling_mode="cls"), Normalize()])
    with pytest.raises(UnsupportedModel, match="mean Pooling"):
        OnnxSentenceEncoder(cls_pooled, threads=1)
    assert _onnx_runner(cls_pooled) is None
