"""The core's own message types: what comes in from a channel and what goes back out."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Literal

from bot.core.flows import Flow

Expects = Literal["text", "code", "choice"]
Language = Literal["en", "de"]  # the languages the bot's own messages are written in (bot/messages*.py)


class ReplyKind(StrEnum):
    """What a reply is for; channels style each kind differently."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    HANDOFF = "handoff"
    ACTION = "action"
    INFO = "info"
    ERROR = "error"
    STAFF = "staff"  # written by a person from IT, relayed by the bot


@dataclass(frozen=True, kw_only=True)
class UserRef:
    """The person on the other side, as the channel authenticated them."""

    id: str
    email: str | None = None
    name: str | None = None


@dataclass(frozen=True, kw_only=True)
class ConversationRef:
    """A conversation is identified by its channel and the channel's own id for it."""

    channel: str
    id: str

    @property
    def key(self) -> str:
        """A single string that is unique across channels."""
        return f"{self.channel}:{self.id}"


@dataclass(frozen=True, kw_only=True)
class Inbound:
    """One message (typed text or a clicked choice) from a person, already verified by the channel."""

    conversation: ConversationRef
    user: UserRef
    text: str = ""
    choice: str | None = None
    in_reply_to: int | None = None  # the reply (its `seq`) whose button was clicked, for feedback
    # Set when the channel could not establish who this is (e.g. no e-mail readable): the engine then hands off
    # instead of guessing.
    identity_problem: str | None = None
    correlation_id: str = ""


@dataclass(frozen=True, kw_only=True)
class Citation:
    """A knowledge article an answer is based on."""

    article_id: str
    title: str
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class Choice:
    """A button the person can press instead of typing."""

    id: str
    label: str


@dataclass(frozen=True, kw_only=True)
class Reply:
    """One message from the bot (or, relayed, from IT staff) to the person."""

    kind: ReplyKind
    text: str
    confidence: float | None = None
    intent: str | None = None
    citations: tuple[Citation, ...] = ()
    choices: tuple[Choice, ...] = ()
    expects: Expects | None = None
    private: bool = False
    handoff_id: str | None = None
    author: str | None = None  # who from IT wrote it (STAFF replies)
    seq: int | None = None  # its place in the transcript, set once stored; feedback refers to it

    def to_dict(self) -> dict[str, Any]:
        """The wire form every channel API shares (see README, "Web chat API")."""
        return {
            "kind": self.kind.value,
            "text": self.text,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "intent": self.intent,
            "citations": [{"article_id": c.article_id, "title": c.title, "url": c.url} for c in self.citations],
            "choices": [{"id": c.id, "label": c.label} for c in self.choices],
            "expects": self.expects,
            "private": self.private,
            "handoff_id": self.handoff_id,
            "author": self.author,
            "seq": self.seq,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """Inverse of `to_dict`, used when replaying stored replies."""
        return cls(
            kind=ReplyKind(data["kind"]),
            text=data["text"],
            confidence=data.get("confidence"),
            intent=data.get("intent"),
            citations=tuple(Citation(**c) for c in data.get("citations", [])),
            choices=tuple(Choice(**c) for c in data.get("choices", [])),
            expects=data.get("expects"),
            private=bool(data.get("private", False)),
            handoff_id=data.get("handoff_id"),
            author=data.get("author"),
            seq=data.get("seq"),
        )


@dataclass(frozen=True, kw_only=True)
class IntentMatch:
    """The intent detector's verdict for one message."""

    intent: str | None  # None: no intent (out of scope, or below the threshold)
    confidence: float  # the intent's class probability (for no intent: the out-of-scope probability), in [0, 1]
    nearest_example: str = ""  # what decided: the clause asking for a person, or the message as read


@dataclass(frozen=True, kw_only=True)
class KnowledgeHit:
    """An article section the knowledge base returned for a question."""

    article_id: str
    title: str
    heading: str
    url: str | None
    score: float


@dataclass(frozen=True, kw_only=True)
class Retrieval:
    """Ranked knowledge hits for one question, with a calibrated confidence that the top article answers it."""

    question: str
    hits: tuple[KnowledgeHit, ...]
    confidence: float

    def top_articles(self, limit: int) -> list[KnowledgeHit]:
        """The best hit of each distinct article, best first."""
        seen: dict[str, KnowledgeHit] = {}
        for hit in self.hits:
            seen.setdefault(hit.article_id, hit)
        return list(seen.values())[:limit]


@dataclass(frozen=True, kw_only=True)
class Answer:
    """A composed answer and the articles it cites."""

    text: str
    citations: tuple[Citation, ...]
    generated: bool = False  # True when an LLM wrote it, False for the extractive answer


@dataclass(frozen=True, kw_only=True)
class Turn:
    """One stored transcript entry."""

    seq: int
    role: Literal["user", "bot", "staff", "system"]
    text: str
    reply: Reply | None = None
    created_at: str = ""


@dataclass(frozen=True, kw_only=True)
class ConversationState:
    """What the engine remembers between turns: who owns the conversation and any flow in progress."""

    owner_id: str
    flow: Flow | None = None
    open_handoff: str | None = None  # the ticket this conversation is with, if any
    # The language of the bot's own messages: the one the person last typed in; kept for their buttons and
    # one-word replies, which say nothing about it.
    language: Language = "en"


@dataclass(frozen=True, kw_only=True)
class HandoffPacket:
    """Everything a human needs to pick up a conversation without asking the person to repeat themselves."""

    conversation: ConversationRef
    user: UserRef
    reason: str
    question: str
    intent: str | None
    confidence: float | None
    retrieval: tuple[KnowledgeHit, ...]
    transcript: tuple[Turn, ...]


@dataclass(frozen=True, kw_only=True)
class HandoffReceipt:
    """What the person is told when a ticket opens: its number and how soon IT usually answers."""

    ticket: str
    first_response_minutes: float | None = None


@dataclass(frozen=True, kw_only=True)
class KnownIssue:
    """A confirmed incident that a new report matches: the person is told IT is on it, not handed off again."""

    incident: str
    title: str | None  # what staff called it; never another reporter's words


@dataclass(frozen=True, kw_only=True)
class TurnResult:
    """What a channel learns back from the engine after a turn."""

    seq: int  # cursor of the last stored entry of this turn, for polling later events
