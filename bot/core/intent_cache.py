"""A trained intent model kept on disk, keyed by everything it was trained from, so a restart need not retrain."""

from __future__ import annotations

import hashlib
import json
import pickle
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
import sklearn

from bot.core import intent_model
from bot.core.intent_model import IntentModel

# Embedded to tell one encoder from another: a different model (or version) gives a different vector.
PROBE = "reset my password"


def cache_key(
    *, texts: Sequence[str], inputs: Sequence[str], labels: Sequence[str], probe: npt.NDArray[np.float32]
) -> str:
    """A digest of the examples, what the encoder read, the encoder itself and the model's settings."""
    recipe = {
        "texts": list(texts),
        "inputs": list(inputs),
        "labels": list(labels),
        "probe": np.round(probe.astype(np.float64), 4).tolist(),
        "model": [intent_model.EMBEDDING_WEIGHT, intent_model.REGULARISATION, sklearn.__version__],
    }
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode("utf-8")).hexdigest()[:32]


def load(path: Path) -> IntentModel | None:
    """The model stored at `path`, or None when there is none (or it cannot be read: it is retrained then)."""
    try:
        with path.open("rb") as file:
            # The bot's own data directory, written by `store` below; nobody else writes there.
            model = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None
    return model if isinstance(model, IntentModel) else None


def store(path: Path, model: IntentModel) -> None:
    """Write the model next to where `load` finds it, atomically (a crash leaves no half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    with partial.open("wb") as file:
        pickle.dump(model, file)
    partial.replace(path)
