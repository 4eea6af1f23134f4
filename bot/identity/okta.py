"""The `Directory` port over Okta's Management API v1 (users, groups, factors), authenticated with an SSWS token."""

from __future__ import annotations

import math
import time
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import structlog
from multidict import CIMultiDictProxy
from yarl import URL

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, PasswordRejected
from bot.core.json_api import decode_json as _decode
from bot.core.json_api import json_objects
from bot.core.json_api import path_segment as _segment
from bot.core.json_api import text_or_none as _text

log = structlog.get_logger(__name__)

LOCKED_OUT = "LOCKED_OUT"
DISABLED_STATUSES = frozenset({"SUSPENDED", "DEPROVISIONED"})
SEARCH_PAGE_SIZE = 200  # the most Okta returns per page of a user search
VALIDATION_FAILED = "E0000001"
PASSWORD_CODES = frozenset({VALIDATION_FAILED, "E0000014", "E0000080"})  # validation, credentials, complexity
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

# What the API token's administrator needs, named in the error when Okta answers 403.
READ_ROLE = (
    "read access to these users and their groups (Read-Only Administrator or above; "
    "OAuth scopes okta.users.read and okta.groups.read)"
)
USER_ROLE = (
    "an admin role over these users that may set passwords and run lifecycle operations (Group/User "
    "Administrator or above; Help Desk Administrator suffices for unlock and factor resets; "
    "OAuth scope okta.users.manage)"
)
GROUP_ROLE = "the Group Membership Administrator role (or above) for this group; OAuth scope okta.groups.manage"


@dataclass(frozen=True)
class _HttpReply:
    """An Okta HTTP response."""

    status: int
    body: Any  # the decoded JSON, or None when the body was empty or not JSON
    headers: CIMultiDictProxy[str]
    next_url: URL | None  # the Link rel="next" page, when Okta sent one


class OktaDirectory:
    """People in an Okta org, acted on through the Management API with an API token (`Authorization: SSWS …`).

    The token acts with the roles of the administrator who created it (see the role names in the 403 errors).
    `org_url` is the org's base URL, e.g. https://example.okta.com; plain http is allowed only for loopback
    stand-ins, since the token travels with every request. One aiohttp session is opened on first use; `close()`
    ends it.
    """

    def __init__(self, *, org_url: str, api_token: str, timeout_seconds: float = 10.0) -> None:
        base = URL(org_url.strip())
        if not api_token.strip():
            raise ValueError("an Okta API token is required")
        if not base.host or not (base.scheme == "https" or (base.scheme == "http" and base.host in LOOPBACK_HOSTS)):
            raise ValueError("org_url must be an https:// URL such as https://example.okta.com")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._base = base.origin()
        self._token = api_token.strip()
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        """Every user whose primary e-mail or login is `email` (Okta compares case-insensitively).

        The address is quoted and escaped inside the search expression, so it cannot widen the search. Okta serves
        `search` from an eventually consistent index: a user changed seconds ago may not be found yet.
        """
        value = email.strip()
        if not value:
            return []
        literal = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        search = f"profile.email eq {literal} or profile.login eq {literal}"
        users = await self._all_pages(
            "/api/v1/users",
            params={"search": search, "limit": str(SEARCH_PAGE_SIZE)},
            operation="search users by e-mail",
            role=READ_ROLE,
        )
        accounts = []
        for user in users:
            user_id = _text(user.get("id"))
            if user_id is None:
                raise DirectoryError("Okta answered the user search with a user that has no id")
            groups = await self._all_pages(
                f"/api/v1/users/{_segment(user_id)}/groups", operation=f"list the groups of {user_id}", role=READ_ROLE
            )
            accounts.append(
                _account(
                    user, user_id=user_id, groups=[group_id for group in groups if (group_id := _text(group.get("id")))]
                )
            )
        return accounts

    async def reset_password(self, account: DirectoryAccount, *, new_password: str) -> None:
        """Set `new_password` as a temporary password that must be changed at the next sign-in.

        Two calls: a partial update (POST, not PUT, which would replace the whole profile) that sets the password,
        then `lifecycle/expire_password`. Okta's own `lifecycle/reset_password` is not used: it e-mails the person
        a reset link (or returns a one-time URL), whereas the bot hands out a temporary password in the chat.

        Raises:
            PasswordRejected: Okta's password policy refused it; nothing was changed.
            DirectoryError: also when the password was set but could not be expired (a person must finish).
        """
        user = _segment(account.id)
        operation = f"set the password of {account.id}"
        answer = await self._send(
            "POST",
            f"/api/v1/users/{user}",
            operation=operation,
            role=USER_ROLE,
            body={"credentials": {"password": {"value": new_password}}},
            changes=True,
            allow=(400, 403),
            secrets=(new_password,),
        )
        if answer.status in (400, 403):
            code, causes = _error_code(answer.body), _error_causes(answer.body)
            if code in PASSWORD_CODES and any("password" in cause.lower() for cause in causes):
                log.warning("okta_password_rejected", account=account.id, error_code=code)
                detail = self._scrub("; ".join(causes), (new_password,))
                raise PasswordRejected(f"Okta's password policy refused the new password for {account.id}: {detail}")
            raise self._failure(answer, operation=operation, role=USER_ROLE, secrets=(new_password,))
        try:
            await self._send(
                "POST",
                f"/api/v1/users/{user}/lifecycle/expire_password",
                role=USER_ROLE,
                operation=f"expire the password of {account.id}",
                changes=True,
                secrets=(new_password,),
            )
        except DirectoryError as error:
            log.error("okta_password_set_not_expired", account=account.id)
            raise DirectoryError(
                f"the new password WAS set for {account.id}, but Okta did not mark it expired "
                f"({error}); a person must expire it in the Okta admin console so it has to be "
                "changed at the next sign-in"
            ) from None

    async def is_locked(self, account: DirectoryAccount) -> bool:
        return await self._status(account) == LOCKED_OUT

    async def unlock(self, account: DirectoryAccount) -> bool:
        """Unlock a LOCKED_OUT user; False, with no call to Okta, when the user is not locked out."""
        if not await self.is_locked(account):
            return False
        operation = f"unlock {account.id}"
        answer = await self._send(
            "POST",
            f"/api/v1/users/{_segment(account.id)}/lifecycle/unlock",
            operation=operation,
            role=USER_ROLE,
            changes=True,
            allow=(403,),
        )
        if answer.status == 403:
            # Okta refuses to unlock a user that is not locked out; the lockout may have ended on its own meanwhile.
            if _error_code(answer.body) == VALIDATION_FAILED and not await self.is_locked(account):
                return False
            raise self._failure(answer, operation=operation, role=USER_ROLE)
        return True

    async def add_to_group(self, account: DirectoryAccount, group: str) -> None:
        """Add the user to the group with id `group`; already being a member is fine (Okta's PUT is idempotent)."""
        await self._send(
            "PUT",
            f"/api/v1/groups/{_segment(group)}/users/{_segment(account.id)}",
            changes=True,
            operation=f"add {account.id} to group {group}",
            role=GROUP_ROLE,
        )

    async def remove_from_group(self, account: DirectoryAccount, group: str) -> None:
        """Remove the user from the group with id `group`.

        A 404 is an error only when the group itself does not exist: otherwise the membership (or the user) is
        already gone, which is the state asked for.
        """
        operation = f"remove {account.id} from group {group}"
        answer = await self._send(
            "DELETE",
            f"/api/v1/groups/{_segment(group)}/users/{_segment(account.id)}",
            operation=operation,
            role=GROUP_ROLE,
            changes=True,
            allow=(404,),
        )
        if answer.status == 404:
            lookup = await self._send(
                "GET",
                f"/api/v1/groups/{_segment(group)}",
                operation=f"read group {group}",
                role=READ_ROLE,
                allow=(404,),
            )
            if lookup.status == 404:
                raise DirectoryError(f"Okta has no group {group}")
            log.info("okta_membership_already_absent", account=account.id, group=group)

    async def reset_mfa(self, account: DirectoryAccount) -> int:
        """Reset every enrolled factor so the person enrols again; how many there were."""
        user = _segment(account.id)
        answer = await self._send(
            "GET", f"/api/v1/users/{user}/factors", role=READ_ROLE, operation=f"list the factors of {account.id}"
        )
        factors = json_objects(answer.body, service="Okta", operation=f"list the factors of {account.id}")
        if not factors:
            return 0
        await self._send(
            "POST",
            f"/api/v1/users/{user}/lifecycle/reset_factors",
            changes=True,
            operation=f"reset the factors of {account.id}",
            role=USER_ROLE,
        )
        return len(factors)

    # ---- the HTTP side -----------------------------------------------------------------------------------------

    async def _status(self, account: DirectoryAccount) -> str | None:
        operation = f"read user {account.id}"
        answer = await self._send("GET", f"/api/v1/users/{_segment(account.id)}", operation=operation, role=READ_ROLE)
        if not isinstance(answer.body, dict):
            raise DirectoryError(f"Okta's answer to {operation} was not a user")
        return _text(answer.body.get("status"))

    async def _all_pages(
        self, path: str, *, operation: str, role: str, params: Mapping[str, str] | None = None
    ) -> list[dict[str, Any]]:
        """Every object of a list endpoint, following the Link rel="next" pages."""
        items: list[dict[str, Any]] = []
        target: str | URL = path
        seen: set[URL] = set()
        while True:
            answer = await self._send("GET", target, operation=operation, role=role, params=params)
            items.extend(json_objects(answer.body, service="Okta", operation=operation))
            if answer.next_url is None:
                return items
            if answer.next_url.origin() != self._base:
                # The next link would carry the API token to another host.
                raise DirectoryError(f"Okta's next-page link for {operation} points away from {self._base.host}")
            if answer.next_url in seen:
                raise DirectoryError(f"Okta's next-page links for {operation} go round in a circle")
            seen.add(answer.next_url)
            target, params = answer.next_url, None

    async def _send(
        self,
        method: str,
        target: str | URL,
        *,
        operation: str,
        role: str,
        params: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        changes: bool = False,
        allow: Collection[int] = (),
        secrets: Sequence[str] = (),
    ) -> _HttpReply:
        """One API call; the answer when it succeeded (or its status is in `allow`), else the port's error.

        `changes` marks calls that change something: when Okta stops answering after such a request was sent, the
        change may or may not have happened, so that is a DirectoryError (a person must look), not
        DirectoryUnavailable (which promises that nothing changed).
        """
        url = target if isinstance(target, URL) else URL(f"{self._base}{target}", encoded=True)
        headers = {"Authorization": f"SSWS {self._token}", "Accept": "application/json"}
        try:
            # No redirects: Okta's API does not redirect, and following one could hand the token to another host.
            async with self._open().request(
                method, url, params=params, json=body, headers=headers, allow_redirects=False
            ) as response:
                raw = await response.read()
                next_link = response.links.get("next")
                next_url = next_link.get("url") if next_link is not None else None
                answer = _HttpReply(
                    status=response.status,
                    body=_decode(raw),
                    headers=response.headers,
                    next_url=next_url if isinstance(next_url, URL) else None,
                )
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            log.warning("okta_unreachable", operation=operation, error=type(error).__name__)
            raise DirectoryUnavailable(f"Okta ({self._base.host}) could not be reached to {operation}") from None
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("okta_no_answer", operation=operation, error=type(error).__name__, changes=changes)
            what = f"Okta did not answer the request to {operation} within {self._timeout_seconds:g} s"
            if changes:
                raise DirectoryError(f"{what}; it may or may not have been done") from None
            raise DirectoryUnavailable(what) from None
        if 200 <= answer.status < 300 or answer.status in allow:
            return answer
        raise self._failure(answer, operation=operation, role=role, secrets=secrets)

    def _failure(self, answer: _HttpReply, *, operation: str, role: str, secrets: Sequence[str] = ()) -> DirectoryError:
        """The port's error for an Okta error answer; its text never holds the token or a password."""
        status, code = answer.status, _error_code(answer.body)
        error_id = answer.body.get("errorId") if isinstance(answer.body, dict) else None
        log.warning("okta_request_failed", operation=operation, status=status, error_code=code, error_id=error_id)
        summary = _text(answer.body.get("errorSummary")) if isinstance(answer.body, dict) else None
        detail = self._scrub("; ".join([summary or f"HTTP {status}", *_error_causes(answer.body)]), secrets)
        label = f"{status} {code}" if code else str(status)
        if status == 429:
            wait = _seconds_until(answer.headers.get("X-Rate-Limit-Reset"))
            when = f"; it resets in about {wait} s" if wait is not None else ""
            return DirectoryUnavailable(f"Okta's rate limit stopped the request to {operation}{when}")
        if status >= 500:
            return DirectoryUnavailable(f"Okta could not {operation} right now ({label})")
        if status == 401:
            return DirectoryError(
                f"Okta rejected the API token ({label}: {detail}); it may be wrong, revoked, or "
                "expired after 30 days unused: configure a new one"
            )
        if status == 403 and code != VALIDATION_FAILED:
            return DirectoryError(
                f"Okta did not allow the bot to {operation} ({label}): the API token's administrator needs {role}"
            )
        if status == 404:
            return DirectoryError(f"Okta found nothing to {operation} ({label}: {detail})")
        return DirectoryError(f"Okta refused to {operation} ({label}: {detail})")

    def _scrub(self, text: str, secrets: Sequence[str] = ()) -> str:
        for secret in (self._token, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


def _account(user: dict[str, Any], *, user_id: str, groups: list[str]) -> DirectoryAccount:
    found = user.get("profile")
    profile: dict[str, Any] = found if isinstance(found, dict) else {}
    names = (_text(profile.get("firstName")), _text(profile.get("lastName")))
    return DirectoryAccount(
        id=user_id,
        email=_text(profile.get("email")) or "",
        display_name=_text(profile.get("displayName")) or " ".join(name for name in names if name),
        enabled=user.get("status") not in DISABLED_STATUSES,
        groups=tuple(groups),
        manager_id=_text(profile.get("managerId")),
        alternate_email=_text(profile.get("secondEmail")),
        department=_text(profile.get("department")),
        location=_text(profile.get("city")),
    )


def _error_code(body: Any) -> str | None:
    return _text(body.get("errorCode")) if isinstance(body, dict) else None


def _error_causes(body: Any) -> list[str]:
    causes = body.get("errorCauses") if isinstance(body, dict) else None
    if not isinstance(causes, list):
        return []
    return [text for cause in causes if isinstance(cause, dict) and (text := _text(cause.get("errorSummary")))]


def _seconds_until(reset: str | None) -> int | None:
    """Seconds until Okta's X-Rate-Limit-Reset (a Unix time), at least 1; None when absent or garbled."""
    try:
        return max(1, math.ceil(float(reset or "") - time.time()))
    except ValueError:
        return None
