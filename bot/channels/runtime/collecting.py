"""A ReplyPort that keeps a turn's replies, for channels that answer in the response (web, terminal)."""

from __future__ import annotations

from bot.core.model import Reply


class CollectingReplyPort:
    """Collects replies in order instead of pushing them anywhere."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []

    async def send(self, reply: Reply) -> None:
        self.replies.append(reply)
