"""Reaching people outside their own turn (approvers; requesters when a decision comes), on any channel.

A message is stored in the target conversation's transcript first, so the web chat (which polls) always sees
it and nothing is lost if a push fails; channels that can push (Slack, Teams) then deliver it at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace

import structlog

from bot.core.model import ConversationRef, Reply, UserRef
from bot.core.ports import ConversationStore
from bot.store.sql.contacts import SqlContacts

log = structlog.get_logger(__name__)

# Push one stored reply into a conversation, as the bot; `user_id` is the person's id on that channel.
ProactiveSender = Callable[[ConversationRef, str, Reply], Awaitable[None]]


class ConversationNotifier:
    """Implements the Notifier port over the conversation store, the contacts table and the channels' senders."""

    def __init__(self, *, store: ConversationStore, contacts: SqlContacts) -> None:
        self._store = store
        self._contacts = contacts
        self._senders: dict[str, ProactiveSender] = {}

    def register(self, channel: str, sender: ProactiveSender) -> None:
        """Let `channel` push messages (called by the composition root as channels are created)."""
        self._senders[channel] = sender

    async def tell_person(self, *, email: str, reply: Reply) -> bool:
        contact = await self._contacts.newest(email)
        if contact is None:
            return False
        await self.tell_conversation(conversation=contact.conversation, user_id=contact.user_id, reply=reply)
        return True

    async def tell_conversation(
        self, *, conversation: ConversationRef, user_id: str, reply: Reply, role: str = "bot"
    ) -> None:
        seq = await self._store.append(
            conversation=conversation, user=UserRef(id=user_id), role=role, text=reply.text, reply=reply
        )
        sender = self._senders.get(conversation.channel)
        if sender is None:
            return
        try:
            await sender(conversation, user_id, replace(reply, seq=seq))
        except Exception:  # the transcript has it; a push failure must not undo a decision already made
            log.exception("notification_not_pushed", conversation=conversation.key)
