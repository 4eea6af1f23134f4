"""The ports the core talks through. Each has a real implementation outside `bot/core`."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from bot.core.choices import Matcher
from bot.core.directory import DirectoryAccount
from bot.core.flows import ActionFlow, Flow
from bot.core.itsm import MirrorTicket
from bot.core.model import (
    Answer,
    ConversationRef,
    ConversationState,
    HandoffPacket,
    HandoffReceipt,
    Inbound,
    IntentMatch,
    KnownIssue,
    Language,
    Reply,
    Retrieval,
    Turn,
    UserRef,
)
from bot.core.tickets import ResolverGroup, StaffMember, Ticket, TicketEvent
from bot.core.triage import Person, TriageResult


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

    async def record_feedback(
        self, *, conversation: ConversationRef, reply_seq: int, user: UserRef, helpful: bool
    ) -> bool: ...

    async def unhelpful_answers(self, conversation: ConversationRef) -> int:
        """How many answers in the conversation the person marked "not helpful"."""
        ...

    async def is_ready(self) -> bool: ...


class HandoffQueue(Protocol):
    """Where conversations go when a human has to take over."""

    async def open(self, packet: HandoffPacket) -> HandoffReceipt: ...


class IncidentWatch(Protocol):
    """Watches problem reports for surges of the same problem from different people (suspected incidents)."""

    async def report(self, *, conversation: ConversationRef, user: UserRef, text: str) -> KnownIssue | None:
        """Record a problem report; the confirmed incident it belongs to, if any (the person is told so)."""
        ...


class TicketRelay(Protocol):
    """The person's side of an open ticket: while IT has the conversation, the bot relays instead of answering."""

    async def relay_from_person(self, ticket_id: str, *, user: UserRef, text: str) -> str | None:
        """Add the message to the ticket; the ticket's status, or None when it is no longer open."""
        ...

    async def cancel_by_person(self, ticket_id: str, *, user: UserRef) -> bool:
        """Close the ticket at the person's request; False when it was already closed."""
        ...

    async def rate(self, ticket_id: str, *, user: UserRef, rating: int) -> bool:
        """Record the person's 1-5 rating of a resolved ticket; False when it is not theirs or not resolved."""
        ...


class IncidentReporters(Protocol):
    """How many people reported what a conversation is about: a ticket's impact rises with it."""

    async def reporters_of(self, conversation: ConversationRef) -> int:
        """How many people reported the open incident `conversation` is linked to (0: none)."""
        ...


class TicketTriage(Protocol):
    """Category, resolver group and priority for a new ticket."""

    async def triage(
        self,
        question: str,
        *,
        conversation: str | None = None,
        intent: str | None = None,
        person: Person | None = None,
        reporters: int = 1,
    ) -> TriageResult:
        """Triage one problem: the category from `question`; urgency and impact words anywhere in
        `conversation`; `reporters`: how many people reported it (raises impact)."""
        ...


class Summarizer(Protocol):
    """Writes the one-paragraph summary on every ticket."""

    async def summarize(self, packet: HandoffPacket, *, requester: str) -> str: ...


class StaffOperations(Protocol):
    """What IT staff do to a ticket from a chat channel. Every method raises StaffError (bot/core/tickets.py)
    with a message for the staff member when the request cannot be done."""

    async def claim(self, staff: StaffMember, ticket_id: str) -> Ticket: ...

    async def post(
        self, staff: StaffMember, ticket_id: str, *, text: str, internal: bool, origin: str | None = None
    ) -> TicketEvent:
        """A message to the person, or an internal note. `origin`: the platform it was written on, which
        already shows it."""
        ...

    async def resolve(self, staff: StaffMember, ticket_id: str, *, note: str) -> Ticket: ...

    async def return_to_bot(self, staff: StaffMember, ticket_id: str) -> Ticket: ...


class TicketCardStore(Protocol):
    """Where each ticket's cards were posted on a chat platform, so later changes reach them."""

    async def add_card(self, *, address: str, ticket_id: str, platform: str, meta: dict[str, Any]) -> None:
        """Remember a card: `address` identifies its thread; `meta` is what the platform needs to reach it."""
        ...

    async def ticket_of_card(self, address: str) -> str | None:
        """The ticket whose card lives at `address` (a staff thread), or None."""
        ...

    async def cards(self, ticket_id: str, *, platform: str) -> list[dict[str, Any]]:
        """The `meta` of every card of the ticket on `platform`."""
        ...


class TicketCardChannel(Protocol):
    """One chat platform's ticket cards in the staff channels. Each method may raise; TicketCards logs and
    carries on."""

    platform: str  # "slack" or "teams"

    async def publish(self, ticket: Ticket, group: ResolverGroup, transcript: Sequence[Turn]) -> None:
        """Post the ticket's card in the group's channel, and the transcript under it."""
        ...

    async def refresh(self, ticket: Ticket, group: ResolverGroup) -> None:
        """Update the card after a change of status or assignee."""
        ...

    async def relay(self, ticket: Ticket, *, author: str, text: str, internal: bool) -> None:
        """Post a message into the card's thread (the person's words, or what staff wrote elsewhere)."""
        ...

    async def alert(self, ticket: Ticket, group: ResolverGroup, text: str) -> None:
        """An SLA reminder or escalation, in the card's thread."""
        ...

    async def announce(self, group: ResolverGroup, text: str) -> None:
        """A message for the whole group, not about one ticket (a suspected incident): a new post in its channel."""
        ...


class ItsmSystem(Protocol):
    """One ITSM tool's client. Every method raises ItsmError."""

    name: str  # "servicenow" or "jira": the key in the ticket's `external` ids

    async def create(self, ticket: MirrorTicket) -> str:
        """Create the record; its id there (ServiceNow sys_id, Jira issue key)."""
        ...

    async def comment(self, external_id: str, text: str, *, internal: bool) -> None:
        """A message on the record: a work note / internal comment when `internal`, else a public comment."""
        ...

    async def set_status(self, external_id: str, status: str) -> None:
        """Follow our status (claimed, waiting_on_user) where the tool has a matching state."""
        ...

    async def resolve(self, external_id: str, note: str) -> None:
        """Close the record as resolved with the resolution note."""
        ...

    async def close(self) -> None: ...


class SharedStateUnavailable(Exception):
    """The shared state (Redis) cannot be reached; callers decide what is still safe to do without it."""


class SharedState(Protocol):
    """Short-lived state every replica sees: de-duplication, locks and rate limits (design §5).

    Every method may raise SharedStateUnavailable.
    """

    async def claim(self, key: str, *, ttl_seconds: float) -> bool:
        """True for the first caller of `key` within `ttl_seconds`, False for every later one."""
        ...

    async def count(self, key: str, *, window_seconds: float) -> int:
        """Count one more event for `key` in the current fixed window; the count including this one."""
        ...

    async def release(self, key: str) -> None:
        """Forget a claim early (a lock given back)."""
        ...


class TurnOrder(Protocol):
    """Turns of one conversation run one at a time, in the order they arrived, on every replica (design §5)."""

    def turn(self, conversation_key: str) -> AbstractAsyncContextManager[None]:
        """Hold the conversation for one turn; waits while an earlier turn of it runs anywhere.

        Never raises SharedStateUnavailable: without the shared state, order is kept within this replica only
        (answers matter more than cross-replica order; actions are refused by their own locks).
        """
        ...


class Wakeups(Protocol):
    """Signals that a reply was stored in a conversation, to whoever waits for it on any replica."""

    def notify(self, conversation_key: str) -> None:
        """Wake every watcher of the conversation (never blocks, never raises)."""
        ...

    def watch(self, conversation_key: str) -> AbstractContextManager[asyncio.Event]:
        """An event set by the next wake-up of the conversation. Watch first, then read the transcript, then
        wait: a reply stored in between still sets the event."""
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


class Contacts(Protocol):
    """Remembers each person's newest conversation, so approvals and outcomes can reach them later."""

    async def remember(self, *, email: str, conversation: ConversationRef, user_id: str) -> None: ...


class Notifier(Protocol):
    """Reaches people outside the turn in progress: approvers, and requesters when a decision comes."""

    async def tell_person(self, *, email: str, reply: Reply) -> bool:
        """Post into the person's newest conversation with the bot; False when they have none."""
        ...

    async def tell_conversation(
        self, *, conversation: ConversationRef, user_id: str, reply: Reply, role: str = "bot"
    ) -> None:
        """Post into a known conversation (stored in its transcript first, then pushed where the channel can).

        Args:
            role: "staff" for what a person from IT wrote, relayed by the bot.
        """
        ...


class FlowTurn(Protocol):
    """One turn as a flow outside the core (the self-service actions) sees it: the message, the flow in progress,
    and how to answer. Implemented by the engine's turn in progress."""

    @property
    def inbound(self) -> Inbound: ...

    @property
    def flow(self) -> Flow | None: ...

    def local(self, text: str) -> str:
        """`text` (one of bot/messages.py's, before it is filled in) in the conversation's language."""
        ...

    def action_label(self, intent: str) -> str:
        """What a self-service action is called in a sentence, in the conversation's language."""
        ...

    async def send(self, reply: Reply) -> None: ...

    async def send_secret(self, reply: Reply, *, transcript_text: str) -> None:
        """Deliver `reply` to the person only; the transcript keeps `transcript_text` in its place."""
        ...

    async def set_flow(self, flow: ActionFlow | None) -> None:
        """Remember the flow's state for the next turn (None ends the flow)."""
        ...

    async def hand_off(self, *, reason: str, intent: str | None, confidence: float | None, template: str) -> None:
        """Open a ticket for IT staff and tell the person (`template` has a {ticket} placeholder)."""
        ...


class SelfService(Protocol):
    """The verified self-service actions (bot/actions): the engine hands it action intents and flow turns."""

    @property
    def choices(self) -> tuple[Matcher, ...]:
        """The buttons it answers (action flows and approvals), declared for the engine's choice router."""
        ...

    def can_run(self, intent: str) -> bool:
        """False when this installation cannot carry out `intent` for anyone (no directory connected): the engine
        then points to the articles on doing it yourself instead. (An action IT turned off still starts, and goes
        to a person: that is what IT chose.)"""
        ...

    def answers_step(self, flow: ActionFlow, text: str) -> bool:
        """True when `text` is a plain answer to the open step ("yes", "ja bitte", "cancel"): the engine then does not
        read it as anything else, such as a call for a person."""
        ...

    async def start(self, turn: FlowTurn, *, intent: str, confidence: float) -> None: ...

    async def resume(self, turn: FlowTurn, flow: ActionFlow) -> None:
        """A message while an action flow is open in this conversation."""
        ...

    async def choose(self, turn: FlowTurn) -> None:
        """One of its buttons (confirm, cancel, approve, deny), in any conversation."""
        ...


class LanguageDetector(Protocol):
    """Which language typed text is in (knowledge.language.detect_language): `default` when it does not say."""

    def __call__(self, text: str, *, default: Language) -> Language: ...


class Clock(Protocol):
    """The time as the code sees it, so expiries and timers can be tested without waiting."""

    def now(self) -> datetime:
        """The current time, timezone-aware in UTC (for instants that are stored, compared or shown)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back (for intervals, never for stored instants)."""
        ...
