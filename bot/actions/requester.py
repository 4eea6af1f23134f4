"""Who is asking (assurance level 1): the chat platform's authenticated user, mapped to exactly one account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import messages
from bot.actions.policy import ActionPolicy
from bot.core.directory import DirectoryAccount
from bot.core.ports import Directory

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_MENTION = re.compile(r"(?<![\w.])@[A-Za-z][\w.-]*|<@[A-Z0-9]+(?:\|[^>]*)?>|<at>[^<]*</at>")
_POSSESSIVE = re.compile(
    r"\b([A-Za-z]+)['\u2019]s\s+(?:password|account|login|mfa|authenticator|access|laptop|"
    r"mailbox|user(?:name)?)\b",
    re.IGNORECASE,
)
_FOR_SOMEONE = re.compile(
    r"\bfor\s+(?:my\s+)?(?:colleague|co-?worker|boss|manager|team\s?mate|"
    r"someone(?:\s+else)?|another\s+user|a\s+user|him|her|them|new\s+starter)\b",
    re.IGNORECASE,
)
_SELF_WORDS = {"my", "one", "it", "that", "this", "today", "yesterday", "everyone", "company"}


@dataclass(frozen=True, kw_only=True)
class Refusal:
    """Why the bot will not act itself (shown to the person, and the audit and hand-off reason)."""

    why: str  # one of bot/messages.py's WHY_* texts, not yet filled in: translated before `item` goes in
    item: str | None = None

    @property
    def english(self) -> str:
        """The reason filled in, for the audit log and IT staff."""
        return self.why if self.item is None else self.why.replace("{item}", self.item)


def names_someone_else(text: str, *, own_email: str) -> bool:
    """True when the message points at another person's account (an address, a mention, "Bob's password").

    A heuristic to refuse early and honestly; the real guarantee is that the account acted on is only ever
    looked up from the authenticated chat identity, never from the message.
    """
    if any(found.casefold() != own_email.casefold() for found in _EMAIL.findall(text)):
        return True
    if _MENTION.search(_EMAIL.sub(" ", text)):
        return True
    if any(match.group(1).lower() not in _SELF_WORDS for match in _POSSESSIVE.finditer(text)):
        return True
    return bool(_FOR_SOMEONE.search(text))


async def own_account(directory: Directory, *, email: str | None, policy: ActionPolicy) -> DirectoryAccount | Refusal:
    """The one enabled, unprivileged account for `email`, or why there is none.

    Raises:
        DirectoryUnavailable: the directory could not be asked.
    """
    if not email:
        return Refusal(why=messages.WHY_NO_ACCOUNT)
    found = await directory.find_by_email(email)
    if len(found) != 1:  # none, or ambiguous: never guess between two accounts
        return Refusal(why=messages.WHY_NO_ACCOUNT)
    account = found[0]
    if not account.enabled:
        return Refusal(why=messages.WHY_ACCOUNT_DISABLED)
    if policy.is_privileged(account.groups):
        return Refusal(why=messages.WHY_PRIVILEGED)
    return account
