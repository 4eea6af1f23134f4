"""The `Directory` port over LDAP: OpenLDAP (with the ppolicy overlay) and Active Directory, through ldap3."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Collection, Sequence
from contextlib import suppress
from typing import Any, Literal, TypeVar

import structlog
from ldap3 import BASE, MODIFY_ADD, MODIFY_DELETE, MODIFY_REPLACE, NONE, SUBTREE, Connection, Server
from ldap3.core.exceptions import (
    LDAPException,
    LDAPMaximumRetriesError,
    LDAPResponseTimeoutError,
    LDAPServerPoolExhaustedError,
    LDAPSessionTerminatedByServerError,
    LDAPSocketOpenError,
    LDAPSocketReceiveError,
    LDAPSocketSendError,
)
from ldap3.utils.conv import escape_filter_chars

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, NotSupported, PasswordRejected

log = structlog.get_logger(__name__)

T = TypeVar("T")
Flavor = Literal["openldap", "ad"]

UNREACHABLE = (
    LDAPSocketOpenError,
    LDAPSocketReceiveError,
    LDAPSocketSendError,
    LDAPSessionTerminatedByServerError,
    LDAPResponseTimeoutError,
    LDAPServerPoolExhaustedError,
    LDAPMaximumRetriesError,
    OSError,
)
SUCCESS, NO_SUCH_ATTRIBUTE, CONSTRAINT_VIOLATION, ATTRIBUTE_OR_VALUE_EXISTS = 0, 16, 19, 20
UNWILLING_TO_PERFORM, ENTRY_ALREADY_EXISTS = 53, 68
AD_MEMBER_IN_GROUP, AD_MEMBER_NOT_IN_GROUP = "00000562", "00000561"  # Windows error codes in AD's diagnostic text
PERMANENTLY_LOCKED = "000001010000Z"  # ppolicy: an administrator disabled the account, no lockout expiry
AD_ACCOUNTDISABLE = 0x2


PROFILE_ATTRIBUTES = ("department", "departmentNumber", "ou", "physicalDeliveryOfficeName", "l")  # for tickets


class LdapDirectory:
    """Accounts in an LDAP directory, acted on with a service account; one fresh connection per call.

    `flavor` picks the dialect: "openldap" (ppolicy: pwdAccountLockedTime, pwdReset; groupOfNames) or "ad"
    (userAccountControl, lockoutTime, unicodePwd over LDAPS; memberOf). `user_filter` finds people, `{email}` being
    replaced by the escaped address (for AD e.g. "(|(mail={email})(userPrincipalName={email}))").
    `alternate_email_attribute` holds the address one-time codes may go to: AD's `otherMailbox` by default; in
    OpenLDAP the same cosine.schema attribute, which an inetOrgPerson entry may carry once it also has the
    `extensibleObject` class (that is how the tests' directory stores it).
    """

    def __init__(
        self,
        *,
        url: str,
        bind_dn: str,
        bind_password: str,
        base_dn: str,
        flavor: Flavor,
        user_filter: str = "(mail={email})",
        alternate_email_attribute: str = "otherMailbox",
        timeout_seconds: float = 10.0,
    ) -> None:
        if flavor not in ("openldap", "ad"):
            raise ValueError(f"unknown LDAP flavor {flavor!r}: use 'openldap' or 'ad'")
        if "{email}" not in user_filter:
            raise ValueError("user_filter must contain {email}")
        self._url = url
        self._bind_dn = bind_dn
        self._bind_password = bind_password
        self._base_dn = base_dn
        self._flavor = flavor
        self._user_filter = user_filter
        self._alternate = alternate_email_attribute
        self._timeout = timeout_seconds

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        """Every account the user filter matches for `email` (escaped, so it cannot widen the filter)."""
        if not email.strip():
            return []
        search_filter = self._user_filter.replace("{email}", escape_filter_chars(email.strip()))

        def work(conn: Any) -> list[DirectoryAccount]:
            attributes = ["mail", "displayName", "cn", "manager", "memberOf", self._alternate, *PROFILE_ATTRIBUTES]
            attributes += ["userAccountControl"] if self._flavor == "ad" else ["pwdAccountLockedTime"]
            conn.search(self._base_dn, search_filter, search_scope=SUBTREE, attributes=attributes)
            self._check(conn, operation="search", dn=self._base_dn)
            entries = [
                (entry["dn"], _decode(entry["raw_attributes"]))
                for entry in conn.response
                if entry.get("type") == "searchResEntry"
            ]
            return [self._account(conn, dn=dn, attributes=values, email=email) for dn, values in entries]

        return await self._call(work)

    async def reset_password(self, account: DirectoryAccount, *, new_password: str) -> None:
        """A temporary password the person must change at the next sign-in (ppolicy pwdReset / AD pwdLastSet=0)."""
        if self._flavor == "ad" and not self._url.lower().startswith("ldaps://"):
            raise DirectoryError("Active Directory only accepts password resets over LDAPS: use an ldaps:// URL")

        def work(conn: Any) -> None:
            secrets = (new_password,)
            if self._flavor == "ad":
                quoted = f'"{new_password}"'.encode("utf-16-le")
                conn.modify(
                    account.id, {"unicodePwd": [(MODIFY_REPLACE, [quoted])], "pwdLastSet": [(MODIFY_REPLACE, ["0"])]}
                )
                self._check(conn, operation="reset_password", dn=account.id, secrets=secrets)
                return
            conn.extend.standard.modify_password(user=account.id, new_password=new_password)
            self._check(conn, operation="reset_password", dn=account.id, secrets=secrets)
            conn.modify(account.id, {"pwdReset": [(MODIFY_REPLACE, ["TRUE"])]})
            self._check(conn, operation="force_password_change", dn=account.id, secrets=secrets)

        await self._call(work)

    async def is_locked(self, account: DirectoryAccount) -> bool:
        return await self._call(lambda conn: self._locked(conn, account.id))

    async def unlock(self, account: DirectoryAccount) -> bool:
        """Clear the lockout; False, with no change, when the account was not locked."""

        def work(conn: Any) -> bool:
            if not self._locked(conn, account.id):
                return False
            if self._flavor == "ad":
                conn.modify(account.id, {"lockoutTime": [(MODIFY_REPLACE, ["0"])]})
            else:  # ppolicy removes pwdFailureTime itself, and refuses to let anyone else touch it
                conn.modify(account.id, {"pwdAccountLockedTime": [(MODIFY_DELETE, [])]})
            self._check(conn, operation="unlock", dn=account.id, done={NO_SUCH_ATTRIBUTE})
            return True

        return await self._call(work)

    async def add_to_group(self, account: DirectoryAccount, group: str) -> None:
        """Add the account to the group `group` (a DN); already being a member is fine."""
        await self._change_member(
            account=account,
            group=group,
            operation=MODIFY_ADD,
            done={ATTRIBUTE_OR_VALUE_EXISTS},
            ad_done=(ENTRY_ALREADY_EXISTS, AD_MEMBER_IN_GROUP),
        )

    async def remove_from_group(self, account: DirectoryAccount, group: str) -> None:
        """Remove the account from the group `group` (a DN); not being a member is fine."""
        await self._change_member(
            account=account,
            group=group,
            operation=MODIFY_DELETE,
            done={NO_SUCH_ATTRIBUTE},
            ad_done=(UNWILLING_TO_PERFORM, AD_MEMBER_NOT_IN_GROUP),
        )

    async def reset_mfa(self, account: DirectoryAccount) -> int:
        raise NotSupported("an LDAP directory holds no second factors to reset")

    async def _change_member(
        self, *, account: DirectoryAccount, group: str, operation: str, done: set[int], ad_done: tuple[int, str]
    ) -> None:
        def work(conn: Any) -> None:
            conn.modify(group, {"member": [(operation, [account.id])]})
            code, message = conn.result.get("result"), conn.result.get("message") or ""
            if self._flavor == "ad" and (code, message[:8]) == ad_done:
                return
            self._check(conn, operation=f"group_{operation.lower()}", dn=group, done=done)

        await self._call(work)

    def _account(self, conn: Any, *, dn: str, attributes: dict[str, list[str]], email: str) -> DirectoryAccount:
        mails = _values(attributes, "mail")
        primary = next((mail for mail in mails if mail.casefold() == email.strip().casefold()), None)
        if self._flavor == "ad":
            control = _first(attributes, "userAccountControl") or "0"
            enabled = not (int(control) & AD_ACCOUNTDISABLE) if control.isdigit() else True
        else:
            enabled = _first(attributes, "pwdAccountLockedTime") != PERMANENTLY_LOCKED
        groups = _values(attributes, "memberOf") or (self._groups_of(conn, dn) if self._flavor == "openldap" else [])
        manager = _first(attributes, "manager")
        return DirectoryAccount(
            id=dn,
            email=primary or (mails[0] if mails else email.strip()),
            display_name=_first(attributes, "displayName") or _first(attributes, "cn") or "",
            enabled=enabled,
            groups=tuple(groups),
            manager_id=manager,
            manager_email=self._mail_of(conn, manager) if manager else None,
            alternate_email=_first(attributes, self._alternate),
            # AD's `department`, else inetOrgPerson's `departmentNumber` / `ou`; `l` is the locality (office).
            department=_first(attributes, "department")
            or _first(attributes, "departmentNumber")
            or _first(attributes, "ou"),
            location=_first(attributes, "physicalDeliveryOfficeName") or _first(attributes, "l"),
        )

    def _groups_of(self, conn: Any, dn: str) -> list[str]:
        member_filter = f"(&(objectClass=groupOfNames)(member={escape_filter_chars(dn)}))"
        conn.search(self._base_dn, member_filter, search_scope=SUBTREE, attributes=["1.1"])
        self._check(conn, operation="search_groups", dn=dn)
        return [str(entry["dn"]) for entry in conn.response if entry.get("type") == "searchResEntry"]

    def _mail_of(self, conn: Any, dn: str) -> str | None:
        """The e-mail of the entry `dn` (a manager), or None when it has none or is gone."""
        conn.search(dn, "(objectClass=*)", search_scope=BASE, attributes=["mail"])
        if conn.result.get("result") != SUCCESS:
            return None  # a dangling manager reference is not worth failing the lookup for
        entries = [entry for entry in conn.response if entry.get("type") == "searchResEntry"]
        return _first(_decode(entries[0]["raw_attributes"]), "mail") if entries else None

    def _locked(self, conn: Any, dn: str) -> bool:
        attribute = "lockoutTime" if self._flavor == "ad" else "pwdAccountLockedTime"
        conn.search(dn, "(objectClass=*)", search_scope=BASE, attributes=[attribute])
        self._check(conn, operation="read_lockout", dn=dn)
        entries = [entry for entry in conn.response if entry.get("type") == "searchResEntry"]
        if not entries:
            raise DirectoryError(f"no account {dn} in the directory")
        value = _first(_decode(entries[0]["raw_attributes"]), attribute)
        if self._flavor == "ad":
            return value is not None and value.isdigit() and int(value) > 0
        return value is not None and value != PERMANENTLY_LOCKED

    def _check(
        self, conn: Any, *, operation: str, dn: str, done: Collection[int] = (), secrets: Sequence[str] = ()
    ) -> None:
        """Raise the port's error for the last result on `conn` unless it succeeded (or is in `done`)."""
        code = conn.result.get("result")
        if code == SUCCESS or code in done:
            return
        log.warning("ldap_operation_failed", operation=operation, dn=dn, result=code)
        description = conn.result.get("description") or f"result {code}"
        message = self._scrub(str(conn.result.get("message") or ""), secrets)
        detail = f"LDAP {operation} on {dn} failed: {description}" + (f" ({message})" if message else "")
        if operation == "reset_password" and code in (CONSTRAINT_VIOLATION, UNWILLING_TO_PERFORM):
            raise PasswordRejected(detail)
        raise DirectoryError(detail)

    def _scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        for secret in (self._bind_password, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    async def _call(self, work: Callable[[Any], T]) -> T:
        return await asyncio.to_thread(self._session, work)

    def _session(self, work: Callable[[Any], T]) -> T:
        """Run `work` on a freshly bound connection (in a worker thread), mapping ldap3's failures to the port's."""
        server = Server(self._url, connect_timeout=self._timeout, get_info=NONE)
        conn = Connection(
            server,
            user=self._bind_dn,
            password=self._bind_password,
            raise_exceptions=False,
            receive_timeout=max(1, math.ceil(self._timeout)),  # ldap3 packs it as whole seconds
            auto_referrals=False,
        )
        try:
            conn.open()
            if not conn.bind():
                code, description = conn.result.get("result"), conn.result.get("description")
                log.warning("ldap_bind_failed", dn=self._bind_dn, result=code)
                raise DirectoryError(f"the service account could not bind to the directory ({description})")
            return work(conn)
        except UNREACHABLE as error:
            log.warning("ldap_unreachable", url=self._url, error=type(error).__name__)
            raise DirectoryUnavailable(f"LDAP server unreachable: {self._url}: {self._scrub(str(error))}") from None
        except LDAPException as error:
            log.warning("ldap_operation_failed", error=type(error).__name__)
            raise DirectoryError(f"LDAP error: {self._scrub(str(error))}") from None
        finally:
            with suppress(LDAPException, OSError):
                conn.unbind()


def _decode(raw: dict[str, list[bytes]]) -> dict[str, list[str]]:
    """Attribute values as text, keyed by lower-cased name (attribute names are case-insensitive)."""
    return {name.lower(): [value.decode("utf-8", errors="replace") for value in values] for name, values in raw.items()}


def _values(attributes: dict[str, list[str]], name: str) -> list[str]:
    return attributes.get(name.lower(), [])


def _first(attributes: dict[str, list[str]], name: str) -> str | None:
    values = _values(attributes, name)
    return values[0] if values else None
