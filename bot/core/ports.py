"""The ports the core talks through. Each has a real implementation outside `bot/core`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

from bot.core.directory import DirectoryAccount
from bot.core.model import (
    Answer,
    ConversationRef,
    ConversationState,
    HandoffPacket,
    IntentMatch,
    Reply,
    Retrieval,
    Turn,
    UserRef,
)


class ReplyPort(Protocol):
    """Delivers a reply to the conversation a turn came from."""

    async def send(self, reply: Reply) -> None: ...


class Embedder(Protocol):
    """Turns texts into L2-normalised vectors."""

    async def embed(self, texts: Sequence[str]) -> npt.NDArray[np.float32]: ...


class IntentDetector(Protocol):
    """Names the intent of a message, or none."""

    async def detect(self, text: str) -> IntentMatch: ...


class KnowledgeBase(Protocol):
    """Finds and composes answers from the knowledge articles."""

    async def retrieve(self, question: str) -> Retrieval: ...

    async def answer(self, *, question: str, retrieval: Retrieval, article_id: str | None = None) -> Answer: ...

    async def is_ready(self) -> bool: ...


class ConversationStore(Protocol):
    """Durable conversations: state and the full transcript."""

    async def load_state(self, conversation: ConversationRef) -> ConversationState | None: ...

    async def save_state(self, *, conversation: ConversationRef, state: ConversationState) -> None: ...

    async def append(
        self, *, conversation: ConversationRef, user: UserRef, role: str, text: str, reply: Reply | None = None
    ) -> int: ...

    async def transcript(self, conversation: ConversationRef) -> list[Turn]: ...

    async def replies_after(self, *, conversation: ConversationRef, after: int) -> tuple[list[Reply], int]: ...

    async def record_feedback(self, *, conversation: ConversationRef, reply_seq: int, user: UserRef,
                              helpful: bool) -> bool: ...

    async def is_ready(self) -> bool: ...


class HandoffQueue(Protocol):
    """Where conversations go when a human has to take over."""

    async def open(self, packet: HandoffPacket) -> str: ...


class SharedState(Protocol):
    """Short-lived state every replica sees: de-duplication now, locks and rate limits later (design §5)."""

    async def claim(self, key: str, *, ttl_seconds: float) -> bool:
        """True for the first caller of `key` within `ttl_seconds`, False for every later one."""
        ...


class Directory(Protocol):
    """The company directory (LDAP / Active Directory, Entra ID, Okta) the self-service actions act on.

    Every method raises DirectoryUnavailable when the directory cannot be reached and DirectoryError when it
    refuses; none of them leaves a half-done change behind.
    """

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        """Every account whose e-mail (or UPN) is `email`, case-insensitively: callers act only on exactly one."""
        ...

    async def reset_password(self, account: DirectoryAccount, *, new_password: str) -> None:
        """Set a temporary password that must be changed at the next sign-in.

        Raises:
            PasswordRejected: the directory's policy refused it.
        """
        ...

    async def is_locked(self, account: DirectoryAccount) -> bool: ...

    async def unlock(self, account: DirectoryAccount) -> bool:
        """Clear a lockout; False (and no change) when the account was not locked."""
        ...

    async def add_to_group(self, account: DirectoryAccount, group: str) -> None: ...

    async def remove_from_group(self, account: DirectoryAccount, group: str) -> None: ...

    async def reset_mfa(self, account: DirectoryAccount) -> int:
        """Remove the registered second factors so the person re-enrols; how many were removed.

        Raises:
            NotSupported: the directory holds no second factors (plain LDAP).
        """
        ...
