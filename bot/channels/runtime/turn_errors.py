"""The turn-level error handler every channel uses (design §7.4): log with the correlation id, apologise, offer a
human. Each channel catches its own expected errors first (a conversation that is not yours, a refused tenant);
whatever else escapes a turn ends here."""

from __future__ import annotations

import structlog

from bot import messages
from bot.core.model import Reply, ReplyKind
from bot.core.ports import ReplyPort

log = structlog.get_logger(__name__)


async def apologise(port: ReplyPort, *, reference: str | None, **context: object) -> None:
    """Call from `except Exception:` around a turn: logs the error (with `context`) and tells the person.

    Args:
        reference: the correlation id the person can quote to IT (an event or activity id, a request id).
    """
    log.exception("turn_failed", **context)
    await port.send(Reply(kind=ReplyKind.ERROR, text=messages.TURN_FAILED.format(reference=reference or "n/a")))
