"""THE composition root: builds every service from Settings by explicit constructor injection.

Only this package and bot.cli read Settings; the domain packages receive plain values and small config objects
of their own. `load_encoder` is defined here, before the submodules load, and they call it as
`bot.app.load_encoder` so that tests and commands can swap in an already-loaded model.
"""

from __future__ import annotations

import asyncio

from knowledge.embeddings import Encoder, MiniLMEncoder


async def load_encoder() -> Encoder:
    """Load the offline sentence-embedding model (a few seconds, so off the event loop)."""
    return await asyncio.to_thread(MiniLMEncoder)


from bot.app.services import Services, build_services  # noqa: E402  (they look load_encoder up here)
from bot.app.web import create_web_app  # noqa: E402

__all__ = ["Services", "build_services", "create_web_app", "load_encoder"]
