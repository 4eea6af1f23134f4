"""The `Directory` port over Microsoft Graph v1.0 for Entra ID: finding people, passwords, groups and MFA methods.

The Graph calls themselves (requests, paging, errors) are in `entra_graph`, the app-only token in `entra_token`.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import structlog
from yarl import URL

from bot.core.directory import DirectoryAccount, DirectoryError, NotSupported, PasswordRejected
from bot.core.json_api import json_objects
from bot.core.json_api import path_segment as _segment
from bot.core.json_api import text_or_none as _text
from bot.identity.entra_graph import GraphClient, graph_error
from bot.identity.entra_token import AppTokens

log = structlog.get_logger(__name__)

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

# The Microsoft Graph application permissions (with admin consent) each call needs, named in 403 errors.
READ = "User.Read.All"
PASSWORD = (
    "User.ReadWrite.All, and the app must hold an Entra role that may reset this person's password "
    "(User Administrator; Privileged Authentication Administrator for administrators)"
)
REVOKE = "User.RevokeSessions.All (or User.ReadWrite.All)"
GROUPS = "GroupMember.ReadWrite.All"
METHODS = "UserAuthenticationMethod.ReadWrite.All"


class EntraDirectory:
    """People in an Entra ID tenant, acted on through Microsoft Graph with an app registration's client secret.

    The access token comes from MSAL's client-credentials flow (`AppTokens`), the calls go through `GraphClient`.
    `authority_url` must be https (MSAL refuses anything else); `graph_url` too, except on loopback, for stand-ins.
    Nothing is fetched until the first call; `close()` ends the HTTP sessions.
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
        tokens = AppTokens(
            tenant=tenant,
            client_id=client,
            client_secret=client_secret,
            authority=f"{authority.origin()}/{quote(tenant, safe='')}",
            timeout_seconds=timeout_seconds,
        )
        self._graph = GraphClient(origin=graph.origin(), tokens=tokens, timeout_seconds=timeout_seconds)

    async def close(self) -> None:
        await self._graph.close()

    async def find_by_email(self, email: str) -> list[DirectoryAccount]:
        """Every user whose mail or userPrincipalName is `email` (Graph compares them case-insensitively).

        The address becomes an OData string literal with its quotes doubled, so it cannot widen the filter.
        """
        value = email.strip()
        if not value:
            return []
        literal = "'" + value.replace("'", "''") + "'"
        query = {"$filter": f"mail eq {literal} or userPrincipalName eq {literal}", "$select": USER_FIELDS}
        users = await self._graph.all_pages(
            "/v1.0/users", query=query, operation="search users by e-mail", permission=READ
        )
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
        answer = await self._graph.send(
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
            code, message = graph_error(answer.body)
            if PASSWORD_POLICY.search(message):
                log.warning("entra_password_rejected", account=account.id, error_code=code)
                detail = self._graph.scrub(message, secrets)
                raise PasswordRejected(f"Entra's password policy refused the new password for {account.id}: {detail}")
            raise self._graph.failure(answer, operation=operation, permission=PASSWORD, secrets=secrets)
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
        reference = {"@odata.id": f"{self._graph.origin}/v1.0/directoryObjects/{_segment(account.id)}"}
        answer = await self._graph.send(
            "POST",
            f"/v1.0/groups/{_segment(group)}/members/$ref",
            operation=operation,
            permission=GROUPS,
            body=reference,
            changes=True,
            allow=(400,),
        )
        if answer.status == 400:
            if not ALREADY_MEMBER.search(graph_error(answer.body)[1]):
                raise self._graph.failure(answer, operation=operation, permission=GROUPS)
            log.info("entra_membership_already_present", account=account.id, group=group)

    async def remove_from_group(self, account: DirectoryAccount, group: str) -> None:
        """Remove the user from the group with object id `group`.

        Graph answers 404 both when the user is not a member and when the group does not exist; only the second is
        an error, so a 404 is followed by a look at the group.
        """
        operation = f"remove {account.id} from group {group}"
        answer = await self._graph.send(
            "DELETE",
            f"/v1.0/groups/{_segment(group)}/members/{_segment(account.id)}/$ref",
            operation=operation,
            permission=GROUPS,
            changes=True,
            allow=(404,),
        )
        if answer.status == 404:
            lookup = await self._graph.send(
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
        listing = await self._graph.send(
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
                await self._graph.send(
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

    # ---- shared by the operations -----------------------------------------------------------------------------

    async def _manager(self, user_id: str) -> dict[str, Any] | None:
        """The manager's id and addresses, or None when the user has none (Graph answers 404)."""
        answer = await self._graph.send(
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
        members = await self._graph.all_pages(
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
        await self._graph.send(
            "POST",
            f"/v1.0/users/{_segment(account.id)}/revokeSignInSessions",
            permission=REVOKE,
            operation=f"revoke the sign-in sessions of {account.id}",
            changes=True,
        )


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
