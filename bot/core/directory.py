"""The directory contract: what the self-service actions may read and change about a person's account."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class DirectoryAccount:
    """One account as the directory describes it.

    `id` is the provider's stable handle for later calls (LDAP: the DN; Entra: the object id; Okta: the user id).
    `groups` are the names (LDAP: DNs) of the groups the account is a direct member of.
    """

    id: str
    email: str
    display_name: str = ""
    enabled: bool = True
    groups: tuple[str, ...] = ()
    manager_id: str | None = None
    manager_email: str | None = None  # who approves requests that need the manager
    alternate_email: str | None = None  # where one-time codes may be sent
    department: str | None = None  # shown to IT staff on hand-off tickets
    location: str | None = None


class DirectoryError(Exception):
    """The directory refused or failed an operation; the message is safe to show staff and to log."""


class DirectoryUnavailable(DirectoryError):
    """The directory could not be reached or timed out; nothing was changed."""


class PasswordRejected(DirectoryError):
    """The directory's password policy refused the new password; nothing was changed."""


class NotSupported(DirectoryError):
    """This provider cannot do the operation (e.g. MFA methods in plain LDAP)."""


def group_name(group: str) -> str:
    """`Domain Admins` from `CN=Domain Admins,CN=Users,DC=corp,DC=example` (the group itself when not a DN)."""
    first = group.split(",", 1)[0]
    return first.split("=", 1)[1].strip() if "=" in first else group


def names_group(groups: tuple[str, ...], wanted: str) -> bool:
    """True when one of `groups` (names or DNs) is `wanted` (a name or a DN), ignoring case."""
    names = {wanted.casefold(), group_name(wanted).casefold()}
    return any(group.casefold() in names or group_name(group).casefold() in names for group in groups)
