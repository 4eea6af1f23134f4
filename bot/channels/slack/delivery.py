"""Delivering replies into the conversation's Slack thread; private replies only ever to the person."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

import structlog
from slack_sdk.web.async_client import AsyncWebClient

from bot import messages
from bot.channels.slack.errors import WEB_API_ERRORS, error_code
from bot.channels.slack.render import SlackMessage, render_reply
from bot.channels.slack.threads import SlackThread
from bot.core.model import Reply

log = structlog.get_logger(__name__)

# The bot cannot reach the channel; the person still gets the reply, by direct message.
UNREACHABLE_CHANNEL = {"channel_not_found", "not_in_channel", "is_archived", "user_not_in_channel"}


class SlackReplyPort:
    """The ReplyPort for one Slack turn.

    Every reply is already in the transcript before it gets here, so a failed delivery is logged (with the
    event id) and never raised into the engine: the conversation goes on and nothing is lost.
    """

    def __init__(self, *, client: AsyncWebClient, thread: SlackThread, user_id: str, delivery_id: str) -> None:
        self._client = client
        self._thread = thread
        self._user_id = user_id
        self._delivery_id = delivery_id

    async def send(self, reply: Reply) -> None:
        message = render_reply(reply, conversation_id=self._thread.conversation.id)
        if reply.private and not self._thread.is_direct:
            await self._post_ephemeral(message)
        else:
            await self._post_in_thread(message)

    async def _post_in_thread(self, message: SlackMessage) -> None:
        error = await self._attempt(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=self._thread.channel_id,
                thread_ts=self._thread.thread_ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        if error in UNREACHABLE_CHANNEL and not self._thread.is_direct:
            await self._direct_message(message, note=messages.SLACK_CHANNEL_UNREACHABLE)

    async def _post_ephemeral(self, message: SlackMessage) -> None:
        """Visible only to the person, in the thread; by direct message when that is impossible."""
        error = await self._attempt(
            "chat.postEphemeral",
            self._client.chat_postEphemeral(
                channel=self._thread.channel_id,
                user=self._user_id,
                thread_ts=self._thread.thread_ts,
                text=message.text,
                blocks=message.blocks,
            ),
        )
        if error is not None and error != "invalid_auth":
            await self._direct_message(message, note=messages.SLACK_PRIVATE_BY_DM)

    async def _direct_message(self, message: SlackMessage, *, note: str) -> None:
        try:
            opened = await self._client.conversations_open(users=self._user_id)
        except WEB_API_ERRORS as error:
            self._log_failure("conversations.open", error)
            return
        blocks = [{"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}, *message.blocks]
        await self._attempt(
            "chat.postMessage",
            self._client.chat_postMessage(
                channel=opened["channel"]["id"],
                text=f"{note}\n{message.text}",
                blocks=blocks,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )

    async def _attempt(self, method: str, call: Awaitable[Any]) -> str | None:
        """Await one Web API call; the Slack error code on failure, None on success."""
        try:
            await call
        except WEB_API_ERRORS as error:
            return self._log_failure(method, error)
        return None

    def _log_failure(self, method: str, error: Exception) -> str:
        code = error_code(error)
        log.error(
            "slack_delivery_failed",
            method=method,
            error=code,
            event_id=self._delivery_id,
            conversation=self._thread.conversation.key,
        )
        return code
