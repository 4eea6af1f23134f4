"""Delivering replies into the Teams conversation; private replies only ever to the person's 1:1 chat."""

from __future__ import annotations

import structlog
from aiohttp import ClientError, ClientResponseError
from microsoft_agents.activity import Activity, ConversationParameters
from microsoft_agents.hosting.core import TurnContext
from microsoft_agents.hosting.core.connector import ConnectorClientBase

from bot.channels.teams.activities import PERSONAL, TeamsTurn
from bot.channels.teams.cards import reply_message
from bot.core.model import Reply

log = structlog.get_logger(__name__)

DELIVERY_ERRORS = (ClientError, TimeoutError, ValueError, RuntimeError)


class TeamsReplyPort:
    """The ReplyPort for one Teams turn (reactive, or proactive through a stored conversation reference).

    Every reply is already in the transcript before it gets here, so a failed delivery is logged (with the
    activity id) and never raised into the engine: the conversation goes on and nothing is lost.
    """

    def __init__(self, *, context: TurnContext, turn: TeamsTurn | None = None) -> None:
        self._context = context
        self._turn = turn

    async def send(self, reply: Reply) -> None:
        activity = Activity.model_validate(reply_message(reply))
        if reply.private and not self._is_personal():
            if self._turn is None:  # proactive, into a shared conversation: nobody to send it to privately
                log.error("teams_delivery_failed", method="private", error="not a personal chat")
            else:
                await self._send_in_personal_chat(activity, self._turn)
            return
        try:
            await self._context.send_activity(activity)
        except DELIVERY_ERRORS as error:
            self._log_failure("send_activity", error)

    def _is_personal(self) -> bool:
        conversation = self._context.activity.conversation
        return conversation is not None and conversation.conversation_type in (None, PERSONAL)

    async def typing(self) -> None:
        """Teams shows "…is typing" for a few seconds after each of these."""
        try:
            await self._context.send_activity(Activity(type="typing"))
        except DELIVERY_ERRORS as error:
            log.info("teams_typing_failed", error=_describe(error))

    async def _send_in_personal_chat(self, activity: Activity, turn: TeamsTurn) -> None:
        """A reply meant for one person, asked for in a channel or group chat: their 1:1 chat with the bot
        (created if needed). If that fails the reply is dropped, never posted where others can read it."""
        connector = connector_of(self._context)
        incoming = self._context.activity
        if connector is None or incoming.recipient is None:
            log.error("teams_delivery_failed", method="private", error="no connector for this turn")
            return
        parameters = ConversationParameters.model_validate(
            {
                "isGroup": False,
                "bot": {"id": incoming.recipient.id},
                "members": [{"id": turn.teams_user_id}],
                **(
                    {"tenantId": turn.tenant_id, "channelData": {"tenant": {"id": turn.tenant_id}}}
                    if turn.tenant_id
                    else {}
                ),
            }
        )
        try:
            created = await connector.conversations.create_conversation(parameters)
            if not created.id:
                raise ValueError("the connector returned no conversation id")
            await connector.conversations.send_to_conversation(created.id, activity)
        except DELIVERY_ERRORS as error:
            self._log_failure("private_message", error)

    def _log_failure(self, method: str, error: Exception) -> None:
        log.error(
            "teams_delivery_failed",
            method=method,
            error=_describe(error),
            activity_id=self._context.activity.id,
            conversation=self._turn.conversation.key if self._turn is not None else None,
        )


def connector_of(context: TurnContext) -> ConnectorClientBase | None:
    """The connector client the adapter set up for this turn (bound to the activity's serviceUrl)."""
    return context.services.get(ConnectorClientBase)  # type: ignore[type-abstract]


def _describe(error: Exception) -> str:
    if isinstance(error, ClientResponseError):
        return f"HTTP {error.status}"
    return type(error).__name__
