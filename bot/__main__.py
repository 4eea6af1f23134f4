"""Command line: `helpdesk-bot run | chat | ask | kb | intents | triage | incidents | teams | audit | identity | db`."""

from __future__ import annotations

import os

# Before any import that may load onnxruntime or huggingface_hub: nothing may phone home or download.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")  # no model-loading progress bars in the terminal
os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")

from bot.cli.main import app

__all__ = ["app", "main"]


def main() -> None:
    app()


if __name__ == "__main__":
    main()
