"""The `Directory` port over Microsoft Graph v1.0 for Entra ID, with an app-only token from MSAL (client secret)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import msal
import requests
import structlog
from multidict import CIMultiDictProxy
from yarl import URL

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, NotSupported, PasswordRejected
from bot.core.json_api import decode_json as _decode
from bot.core.json_api import json_objects
from bot.core.json_api import path_segment as _segment
from bot.core.json_api import text_or_none as _text

log = structlog.get_logger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
USER_FIELDS = "id,mail,userPrincipalName,displayName,accountEnabled,otherMails,department,officeLocation"
GROUP_TYPE = "#microsoft.graph.group"
PASSWORD_METHOD = "#microsoft.graph.passwordAuthenticationMethod"
METHOD_COLLECTIONS = {  # each method type is deleted through its own collection under /users/{id}/authentication/
    "#microsoft.graph.phoneAuthenticationMethod": "phoneMethods",
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorMethods",
    "#microsoft.graph.fido2AuthenticationMethod": "fido2Methods",
    "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOathMethods",
    "#microsoft.graph.emailAuthenticationMethod": "emailMethods",
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusinessMethods",
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPassMethods",
}
# Graph answers a refused password with the generic 400 Request_BadRequest; only the message tells it apart.
PASSWORD_POLICY = re.compile(r"password.*\b(complexity|policy|requirements?|banned)\b", re.IGNORECASE | re.DOTALL)
ALREADY_MEMBER = re.compile(r"added object references already exist", re.IGNORECASE)
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_PAGES = 1000  # a guard against a next link that never ends, far beyond any real membership list

# The Microsoft Graph application permissions (with admin consent) each call needs, named in 403 errors.
READ = "User.Read.All"
PASSWORD = (
    "User.ReadWrite.All, and the app must hold an Entra role that may reset this person's password "
    "(User Administrator; Privileged Authentication Administrator for administrators)"
)
REVOKE = "User.RevokeSessions.All (or User.ReadWrite.All)"
GROUPS = "GroupMember.ReadWrite.All"
METHODS = "UserAuthenticationMethod.ReadWrite.All"


@dataclass(frozen=True)
class _HttpReply:
    """A Microsoft Graph HTTP response."""

    status: int
    body: Any  # the decoded JSON, or None when the body was empty or not JSON
    headers: CIMultiDictProxy[str]


class EntraDirectory:
    """People in an Entra ID tenant, acted on through Microsoft Graph with an app registration's client secret.

    The access token comes from MSAL's client-credentials flow (scope `https://graph.microsoft.com/.default`); MSAL
    caches it and fetches a new one shortly before it expires. MSAL's calls block, so they run in a worker thread.
    `authority_url` must be https (MSAL refuses anything else); `graph_url` too, except on loopback, for stand-ins.
    One aiohttp session is opened on first use; `close()` ends it.
    """

    def __init__(
        self,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        graph_url: str = "https://graph.microsoft.com",
        authority_url: str = "https://login.microsoftonline.com",
        timeout_seconds: float = 10.0,
    ) -> None:
        tenant, client = tenant_id.strip(), client_id.strip()
        if not tenant or "/" in tenant or not client or not client_secret:
            raise ValueError("an Entra tenant id, client id and client secret are required")
        graph, authority = URL(graph_url.strip()), URL(authority_url.strip())
        if not graph.host or not (graph.scheme == "https" or (graph.scheme == "http" and graph.host in LOOPBACK_HOSTS)):
            raise ValueError("graph_url must be an https:// URL such as https://graph.microsoft.com")
        if not authority.host or authority.scheme != "https":
            raise ValueError("authority_url must be an https:// URL such as https://login.microsoftonline.com")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        self._tenant = tenant
        self._client_id = client
        self._secret = client_secret
        self._graph = graph.origin()
        self._authority = f"{authority.origin()}/{quote(tenant, safe='')}"
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds, connect=timeout_seconds)
        self._timeout_seconds = timeout_seconds
        self._app: msal.ConfidentialClientApplication | None = None
        self._app_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._app is not None:
            self._app.http_client.close()
            self._app = None

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        """Every user whose mail or userPrincipalName is `email` (Graph compares them case-insensitively).

        The address becomes an OData string literal with its quotes doubled, so it cannot widen the filter.
        """
        value = email.strip()
        if not value:
            return []
        literal = "'" + value.replace("'", "''") + "'"
        query = {"$filter": f"mail eq {literal} or userPrincipalName eq {literal}", "$select": USER_FIELDS}
        users = await self._all_pages("/v1.0/users", query=query, operation="search users by e-mail", permission=READ)
        accounts = []
        for user in users:
            user_id = _text(user.get("id"))
            if user_id is None:
                raise DirectoryError("Microsoft Graph answered the user search with a user that has no id")
            accounts.append(
                _account(
                    user, user_id=user_id, manager=await self._manager(user_id), groups=await self._groups(user_id)
                )
            )
        return accounts

    async def reset_password(self, account: DirectoryAccount, *, new_password: str) -> None:
        """Set a temporary password that must be changed at the next sign-in, then end the person's sessions.

        Revoking the sessions makes every device sign in again, so whoever held the old password is shut out.

        Raises:
            PasswordRejected: Entra's password policy refused it; nothing was changed.
            DirectoryError: also when the password was set but the sessions could not be revoked.
        """
        user, secrets = _segment(account.id), (new_password,)
        operation = f"set the password of {account.id}"
        answer = await self._send(
            "PATCH",
            f"/v1.0/users/{user}",
            operation=operation,
            permission=PASSWORD,
            body={"passwordProfile": {"password": new_password, "forceChangePasswordNextSignIn": True}},
            changes=True,
            allow=(400,),
            secrets=secrets,
        )
        if answer.status == 400:
            code, message = _error(answer.body)
            if PASSWORD_POLICY.search(message):
                log.warning("entra_password_rejected", account=account.id, error_code=code)
                detail = self._scrub(message, secrets)
                raise PasswordRejected(f"Entra's password policy refused the new password for {account.id}: {detail}")
            raise self._failure(answer, operation=operation, permission=PASSWORD, secrets=secrets)
        try:
            await self._revoke_sessions(account)
        except DirectoryError as error:
            log.error("entra_password_set_sessions_not_revoked", account=account.id)
            raise DirectoryError(
                f"the new password WAS set for {account.id} (to be changed at the next sign-in), "
                f"but Entra did not revoke the sign-in sessions ({error}); a person must revoke "
                "them in the Entra admin center (Users → the user → Revoke sessions)"
            ) from None

    async def is_locked(self, account: DirectoryAccount) -> bool:
        raise NotSupported(_NO_LOCKOUT)

    async def unlock(self, account: DirectoryAccount) -> bool:
        raise NotSupported(_NO_LOCKOUT)

    async def add_to_group(self, account: DirectoryAccount, group: str) -> None:
        """Add the user to the group with object id `group`; already being a member is fine."""
        operation = f"add {account.id} to group {group}"
        reference = {"@odata.id": f"{self._graph}/v1.0/directoryObjects/{_segment(account.id)}"}
        answer = await self._send(
            "POST",
            f"/v1.0/groups/{_segment(group)}/members/$ref",
            operation=operation,
            permission=GROUPS,
            body=reference,
            changes=True,
            allow=(400,),
        )
        if answer.status == 400:
            if not ALREADY_MEMBER.search(_error(answer.body)[1]):
                raise self._failure(answer, operation=operation, permission=GROUPS)
            log.info("entra_membership_already_present", account=account.id, group=group)

    async def remove_from_group(self, account: DirectoryAccount, group: str) -> None:
        """Remove the user from the group with object id `group`.

        Graph answers 404 both when the user is not a member and when the group does not exist; only the second is
        an error, so a 404 is followed by a look at the group.
        """
        operation = f"remove {account.id} from group {group}"
        answer = await self._send(
            "DELETE",
            f"/v1.0/groups/{_segment(group)}/members/{_segment(account.id)}/$ref",
            operation=operation,
            permission=GROUPS,
            changes=True,
            allow=(404,),
        )
        if answer.status == 404:
            lookup = await self._send(
                "GET",
                f"/v1.0/groups/{_segment(group)}",
                query={"$select": "id"},
                operation=f"read group {group}",
                permission=GROUPS,
                allow=(404,),
            )
            if lookup.status == 404:
                raise DirectoryError(f"Entra has no group {group}")
            log.info("entra_membership_already_absent", account=account.id, group=group)

    async def reset_mfa(self, account: DirectoryAccount) -> int:
        """Delete every registered authentication method but the password, then end the person's sessions.

        Returns:
            How many methods were removed.

        Raises:
            DirectoryError: a method of a type this provider cannot delete (after the others were deleted), or a
                failure part-way, saying how many were removed by then.
        """
        user = _segment(account.id)
        listing = await self._send(
            "GET",
            f"/v1.0/users/{user}/authentication/methods",
            permission=METHODS,
            operation=f"list the authentication methods of {account.id}",
        )
        body = listing.body if isinstance(listing.body, dict) else {}
        methods = json_objects(
            body.get("value"), service="Microsoft Graph", operation=f"list the authentication methods of {account.id}"
        )
        removable = [m for m in methods if m.get("@odata.type") != PASSWORD_METHOD]
        unknown = sorted({kind for m in removable if (kind := str(m.get("@odata.type"))) not in METHOD_COLLECTIONS})
        removed = 0
        try:
            for method in removable:
                collection, method_id = METHOD_COLLECTIONS.get(str(method.get("@odata.type"))), _text(method.get("id"))
                if collection is None or method_id is None:
                    continue
                await self._send(
                    "DELETE",
                    f"/v1.0/users/{user}/authentication/{collection}/{_segment(method_id)}",
                    operation=f"delete a {collection} method of {account.id}",
                    permission=METHODS,
                    changes=True,
                )
                removed += 1
            if removed:
                await self._revoke_sessions(account)
        except DirectoryError as error:
            if not removed:
                raise
            log.error("entra_mfa_reset_incomplete", account=account.id, removed=removed)
            raise DirectoryError(
                f"resetting the MFA of {account.id} stopped part-way: {removed} authentication "
                f"method(s) WERE removed, then: {error}; a person must finish in the Entra admin "
                "center (Users → the user → Authentication methods, and Revoke sessions)"
            ) from None
        if unknown:
            log.error("entra_unknown_authentication_methods", account=account.id, types=unknown, removed=removed)
            raise DirectoryError(
                f"{account.id} has authentication methods this bot cannot delete "
                f"({', '.join(unknown)}); {removed} other method(s) WERE removed"
                f"{' and the sessions revoked' if removed else ''}: a person must remove the rest "
                "in the Entra admin center"
            )
        return removed

    # ---- reading ----------------------------------------------------------------------------------------------

    async def _manager(self, user_id: str) -> dict[str, Any] | None:
        """The manager's id and addresses, or None when the user has none (Graph answers 404)."""
        answer = await self._send(
            "GET",
            f"/v1.0/users/{_segment(user_id)}/manager",
            permission=READ,
            query={"$select": "id,mail,userPrincipalName"},
            operation=f"read the manager of {user_id}",
            allow=(404,),
        )
        return answer.body if answer.status != 404 and isinstance(answer.body, dict) else None

    async def _groups(self, user_id: str) -> list[str]:
        """Object ids of the groups the user is a direct member of (memberOf also lists roles and units)."""
        members = await self._all_pages(
            f"/v1.0/users/{_segment(user_id)}/memberOf",
            query={"$select": "id"},
            operation=f"list the groups of {user_id}",
            permission=READ,
        )
        return [
            group_id
            for item in members
            if item.get("@odata.type") == GROUP_TYPE and (group_id := _text(item.get("id")))
        ]

    async def _revoke_sessions(self, account: DirectoryAccount) -> None:
        await self._send(
            "POST",
            f"/v1.0/users/{_segment(account.id)}/revokeSignInSessions",
            permission=REVOKE,
            operation=f"revoke the sign-in sessions of {account.id}",
            changes=True,
        )

    async def _all_pages(
        self, path: str, *, query: Mapping[str, str], operation: str, permission: str
    ) -> list[dict[str, Any]]:
        """Every object of a collection, following `@odata.nextLink`."""
        items: list[dict[str, Any]] = []
        target: str | URL = path
        params: Mapping[str, str] | None = query
        seen: set[URL] = set()
        for _ in range(MAX_PAGES):
            answer = await self._send("GET", target, query=params, operation=operation, permission=permission)
            body = answer.body if isinstance(answer.body, dict) else {}
            items.extend(json_objects(body.get("value"), service="Microsoft Graph", operation=operation))
            link = body.get("@odata.nextLink")
            if not isinstance(link, str):
                return items
            next_url = URL(link, encoded=True)
            if next_url.origin() != self._graph:
                # The next link would carry the access token to another host.
                raise DirectoryError(
                    f"Microsoft Graph's next-page link for {operation} points away from {self._graph.host}"
                )
            if next_url in seen:
                raise DirectoryError(f"Microsoft Graph's next-page links for {operation} go round in a circle")
            seen.add(next_url)
            target, params = next_url, None
        raise DirectoryError(f"Microsoft Graph sent more than {MAX_PAGES} pages to {operation}")

    # ---- the HTTP side ------------------------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        target: str | URL,
        *,
        operation: str,
        permission: str,
        query: Mapping[str, str] | None = None,
        body: dict[str, Any] | None = None,
        changes: bool = False,
        allow: Collection[int] = (),
        secrets: Sequence[str] = (),
    ) -> _HttpReply:
        """One Graph call; the answer when it succeeded (or its status is in `allow`), else the port's error.

        A 401 is retried once with a freshly fetched token: MSAL's cached one may have been revoked early. `changes`
        marks calls that change something: when Graph stops answering after such a request was sent, the change may
        or may not have happened, so that is a DirectoryError (a person must look), not DirectoryUnavailable (which
        promises that nothing changed).
        """
        url = target if isinstance(target, URL) else URL(f"{self._graph}{target}{_query(query)}", encoded=True)
        answer = await self._request(method, url, operation=operation, body=body, changes=changes)
        if answer.status == 401:
            log.info("entra_token_refused_by_graph", operation=operation, error_code=_error(answer.body)[0])
            app = await self._application()
            await asyncio.to_thread(app.remove_tokens_for_client)
            answer = await self._request(method, url, operation=operation, body=body, changes=changes)
        if 200 <= answer.status < 300 or answer.status in allow:
            return answer
        raise self._failure(answer, operation=operation, permission=permission, secrets=secrets)

    async def _request(
        self, method: str, url: URL, *, operation: str, body: dict[str, Any] | None, changes: bool
    ) -> _HttpReply:
        headers = {"Authorization": f"Bearer {await self._token()}", "Accept": "application/json"}
        try:
            # No redirects: Graph's API calls do not redirect, and following one could hand the token elsewhere.
            async with self._open().request(method, url, json=body, headers=headers, allow_redirects=False) as response:
                return _HttpReply(status=response.status, body=_decode(await response.read()), headers=response.headers)
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as error:
            log.warning("entra_unreachable", operation=operation, error=type(error).__name__)
            raise DirectoryUnavailable(
                f"Microsoft Graph ({self._graph.host}) could not be reached to {operation}"
            ) from None
        except (aiohttp.ClientError, TimeoutError) as error:
            log.warning("entra_no_answer", operation=operation, error=type(error).__name__, changes=changes)
            what = f"Microsoft Graph did not answer the request to {operation} within {self._timeout_seconds:g} s"
            if changes:
                raise DirectoryError(f"{what}; it may or may not have been done") from None
            raise DirectoryUnavailable(what) from None

    def _failure(
        self, answer: _HttpReply, *, operation: str, permission: str, secrets: Sequence[str] = ()
    ) -> DirectoryError:
        """The port's error for a Graph error answer; its text never holds the secret, a token or a password."""
        status, (code, message) = answer.status, _error(answer.body)
        log.warning(
            "entra_request_failed",
            operation=operation,
            status=status,
            error_code=code,
            request_id=answer.headers.get("request-id"),
        )
        label = f"{status} {code}" if code else str(status)
        detail = self._scrub(message or f"HTTP {status}", secrets)
        if status == 429 or status >= 500:
            wait = answer.headers.get("Retry-After", "")
            when = f"; Graph asks to retry after {wait} s" if wait.isdigit() else ""
            return DirectoryUnavailable(f"Microsoft Graph could not {operation} right now ({label}){when}")
        if status == 401:
            return DirectoryError(f"Microsoft Graph rejected the app's access token ({label}: {detail})")
        if status == 403:
            return DirectoryError(
                f"Microsoft Graph did not allow the bot to {operation} ({label}): the app "
                f"registration lacks permission; it needs {permission}"
            )
        if status == 404:
            return DirectoryError(f"Microsoft Graph found nothing to {operation} ({label}: {detail})")
        return DirectoryError(f"Microsoft Graph refused to {operation} ({label}: {detail})")

    # ---- the token ----------------------------------------------------------------------------------------------

    async def _token(self) -> str:
        """An app-only Graph token: MSAL's cached one while it is fresh, else a new one from Entra."""
        app = await self._application()
        try:
            result: dict[str, Any] = await asyncio.to_thread(app.acquire_token_for_client, scopes=[GRAPH_SCOPE])
        except requests.RequestException as error:  # connection failures, timeouts, and 5xx from the token endpoint
            log.warning("entra_token_unreachable", authority=self._authority, error=type(error).__name__)
            raise DirectoryUnavailable(f"Entra's token service ({self._authority}) could not be reached") from None
        except ValueError:  # the token endpoint answered something that is not JSON
            log.warning("entra_token_garbled", authority=self._authority)
            raise DirectoryError(
                f"Entra's token service ({self._authority}) answered with something other than a token"
            ) from None
        token = result.get("access_token")
        if isinstance(token, str) and token:
            return token
        code, description = str(result.get("error") or "no token"), str(result.get("error_description") or "")
        log.warning(
            "entra_token_refused",
            error=code,
            error_codes=result.get("error_codes"),
            trace_id=result.get("trace_id"),
            correlation_id=result.get("correlation_id"),
        )
        # Entra appends trace and correlation ids and a timestamp: they are logged above, not repeated.
        summary = self._scrub(description.split(" Trace ID:")[0].strip(), ())
        hint = (
            " (check the client id and secret; secrets expire)"
            if code in ("invalid_client", "unauthorized_client")
            else ""
        )
        raise DirectoryError(
            f"Entra refused the app's client credentials for tenant {self._tenant}{hint}: "
            f"{code}" + (f": {summary}" if summary else "")
        )

    async def _application(self) -> msal.ConfidentialClientApplication:
        """The MSAL client, built once: building it fetches the tenant's OpenID configuration (blocking I/O)."""
        async with self._app_lock:
            if self._app is None:
                try:
                    self._app = await asyncio.to_thread(self._build_application)
                except requests.RequestException as error:
                    log.warning("entra_authority_unreachable", authority=self._authority, error=type(error).__name__)
                    raise DirectoryUnavailable(
                        f"Entra's sign-in service ({self._authority}) could not be reached"
                    ) from None
                except ValueError:  # MSAL's answer to a 4xx from the OpenID configuration: no such tenant
                    log.warning("entra_tenant_unknown", authority=self._authority)
                    raise DirectoryError(
                        f"Entra has no tenant {self._tenant} (no OpenID configuration under "
                        f"{self._authority}): check the tenant id"
                    ) from None
            return self._app

    def _build_application(self) -> msal.ConfidentialClientApplication:
        # Our own requests session, so it can be closed when MSAL fails half-way through building (an unknown
        # tenant): MSAL's own would be left holding a connection.
        http = _TimedSession(timeout_seconds=self._timeout_seconds)
        try:
            # instance_discovery=False: no call to Microsoft's instance-discovery endpoint, so the authority is used
            # as given (sovereign clouds and stand-ins alike); MSAL still reads the tenant's OpenID configuration.
            return msal.ConfidentialClientApplication(
                self._client_id,
                client_credential=self._secret,
                authority=self._authority,
                http_client=http,
                validate_authority=False,
                instance_discovery=False,
            )
        except BaseException:
            http.close()
            raise

    def _scrub(self, text: str, secrets: Sequence[str]) -> str:
        for secret in (self._secret, *secrets):
            if secret:
                text = text.replace(secret, "***")
        return text

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session


class _TimedSession(requests.Session):
    """A requests session with a default timeout on every request (requests has no session-wide one)."""

    def __init__(self, *, timeout_seconds: float) -> None:
        super().__init__()
        self._timeout_seconds = timeout_seconds

    def request(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", self._timeout_seconds)
        return super().request(*args, **kwargs)


_NO_LOCKOUT = (
    "Entra ID's smart lockout cannot be read or cleared through Microsoft Graph; it ends on its own after "
    "the lockout period, or an administrator can reset the password"
)


def _account(
    user: dict[str, Any], *, user_id: str, manager: dict[str, Any] | None, groups: list[str]
) -> DirectoryAccount:
    other_mails = user.get("otherMails")
    alternates = [mail for item in other_mails if (mail := _text(item))] if isinstance(other_mails, list) else []
    return DirectoryAccount(
        id=user_id,
        email=_text(user.get("mail")) or _text(user.get("userPrincipalName")) or "",
        display_name=_text(user.get("displayName")) or "",
        enabled=user.get("accountEnabled") is not False,
        groups=tuple(groups),
        manager_id=_text(manager.get("id")) if manager else None,
        manager_email=(_text(manager.get("mail")) or _text(manager.get("userPrincipalName"))) if manager else None,
        alternate_email=alternates[0] if alternates else None,
        department=_text(user.get("department")),
        location=_text(user.get("officeLocation")),
    )


def _query(params: Mapping[str, str] | None) -> str:
    """A query string with spaces as %20 (the form Graph's documentation uses) and `+` as %2B."""
    if not params:
        return ""
    return "?" + "&".join(f"{quote(key, safe='$')}={quote(value, safe=',')}" for key, value in params.items())


def _error(body: Any) -> tuple[str | None, str]:
    """Graph's error code and message from `{"error": {"code", "message"}}`."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None, ""
    return _text(error.get("code")), _text(error.get("message")) or ""
