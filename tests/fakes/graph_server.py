"""A local stand-in for Entra ID's token service and the Microsoft Graph v1.0 calls the Entra directory makes.

Token side (served over HTTPS, because MSAL accepts only https:// authorities): `GET /{tenant}/v2.0/.well-known/
openid-configuration` and `POST /{tenant}/oauth2/v2.0/token` for the client-credentials grant, answering errors the
way Entra does (`{"error", "error_description": "AADSTSnnn: …", "error_codes", …}`): an unknown tenant is 400
invalid_tenant (AADSTS90002), an unknown client id 400 unauthorized_client (AADSTS700016), a wrong secret 401
invalid_client (AADSTS7000215), a scope other than Graph's `.default` 400 invalid_scope. The certificate is
self-signed for 127.0.0.1 and written to `ca_file`; point `REQUESTS_CA_BUNDLE` (which MSAL's requests session reads)
at it.

Graph side (plain HTTP on loopback): users (list with `$filter`, manager, memberOf, PATCH passwordProfile,
revokeSignInSessions, authentication methods), groups (read, members/$ref add and remove). Every call needs
`Authorization: Bearer <a token issued here>`, else 401 InvalidAuthenticationToken; errors are Graph's
`{"error": {"code", "message", "innerError"}}`. `$filter` is accepted only in the exact shape the provider sends
(`mail eq '…' or userPrincipalName eq '…'`, quotes doubled inside the literals); other shapes are 400. The password
policy is Entra's default: 8 to 256 characters, at least three of lower case, upper case, digits and symbols. Lists
come in pages of `page_size` with an absolute `@odata.nextLink`.

Fault switches (`fail`): 503 with Retry-After, 429 with Retry-After, 403 Authorization_RequestDenied, or hang until
`close()`.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import re
import secrets
import ssl
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote_plus

from aiohttp import web
from aiohttp.test_utils import TestServer
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.fakes.local_server import Handler, LocalServer, RecordedCall, recording_gate

Fault = Literal["unavailable", "throttled", "forbidden", "hang"]

GRAPH_SCOPE = "https://graph.microsoft.com/.default"
PUBLIC_GRAPH = "https://graph.microsoft.com"
PASSWORD_METHOD_ID = "28c10230-6103-485e-b985-444c60001490"  # the same well-known id for everyone in Entra
_LITERAL = r"'((?:[^']|'')*)'"  # an OData string literal: a quote inside is written twice
FILTER = re.compile(rf"mail eq {_LITERAL} or userPrincipalName eq {_LITERAL}")
USER_PROPERTIES = frozenset(
    {
        "id",
        "mail",
        "userPrincipalName",
        "displayName",
        "accountEnabled",
        "otherMails",
        "givenName",
        "surname",
        "jobTitle",
        "department",
        "officeLocation",
    }
)
DEFAULT_USER_PROPERTIES = ("id", "displayName", "givenName", "surname", "jobTitle", "mail", "userPrincipalName")
COMPLEXITY = (
    "The specified password does not comply with password complexity requirements. Please provide a different password."
)
ALREADY_MEMBER = "One or more added object references already exist for the following modified properties: 'members'."
METHOD_TYPES = {  # the collection under /users/{id}/authentication/ that deletes each type
    "#microsoft.graph.phoneAuthenticationMethod": "phoneMethods",
    "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod": "microsoftAuthenticatorMethods",
    "#microsoft.graph.fido2AuthenticationMethod": "fido2Methods",
    "#microsoft.graph.softwareOathAuthenticationMethod": "softwareOathMethods",
    "#microsoft.graph.emailAuthenticationMethod": "emailMethods",
    "#microsoft.graph.windowsHelloForBusinessAuthenticationMethod": "windowsHelloForBusinessMethods",
    "#microsoft.graph.temporaryAccessPassAuthenticationMethod": "temporaryAccessPassMethods",
}


GraphCall = RecordedCall  # one request as it arrived, and the status it was answered with


@dataclass
class GraphUser:
    id: str
    user_principal_name: str
    mail: str | None
    display_name: str
    account_enabled: bool = True
    other_mails: list[str] = field(default_factory=list)
    manager_id: str | None = None
    roles: list[str] = field(default_factory=list)  # directory roles: memberOf lists them beside groups
    password: str = "Initial-Passw0rd"
    force_change_password: bool = False
    sessions_revoked: int = 0
    methods: list[dict[str, Any]] = field(default_factory=list)
    department: str | None = None
    office_location: str | None = None

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "userPrincipalName": self.user_principal_name,
            "mail": self.mail,
            "displayName": self.display_name,
            "accountEnabled": self.account_enabled,
            "otherMails": list(self.other_mails),
            "givenName": self.display_name.split(" ")[0],
            "surname": self.display_name.split(" ")[-1],
            "jobTitle": None,
            "department": self.department,
            "officeLocation": self.office_location,
        }

    @property
    def method_types(self) -> list[str]:
        return [method["@odata.type"].removeprefix("#microsoft.graph.") for method in self.methods]


@dataclass
class GraphGroup:
    id: str
    display_name: str
    members: set[str] = field(default_factory=set)


@dataclass
class FakeGraph:
    tenant_id: str = "72f988bf-0000-4000-8000-00000000c0de"
    client_id: str = "4a1e7c2d-0000-4000-8000-0000000b0a7e"
    client_secret: str = "Fake~Secret.Value_0123456789abcdefghij"
    page_size: int = 100
    users: dict[str, GraphUser] = field(default_factory=dict)
    groups: dict[str, GraphGroup] = field(default_factory=dict)
    calls: list[GraphCall] = field(default_factory=list)  # Graph side only
    token_requests: list[dict[str, str]] = field(default_factory=list)  # the form fields, secret masked
    issued: set[str] = field(default_factory=set)
    _faults: list[tuple[Fault, str | None, str | None]] = field(default_factory=list)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _graph: LocalServer = field(default_factory=LocalServer)
    _login: TestServer | None = None
    _login_url: str = ""
    _tls_dir: tempfile.TemporaryDirectory[str] | None = None

    # ---- lifecycle and test helpers ----------------------------------------------------------------------------

    async def start(self) -> None:
        login = web.Application()
        login.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", self._openid_configuration)
        login.router.add_post("/{tenant}/oauth2/v2.0/token", self._token)
        self._tls_dir = tempfile.TemporaryDirectory(prefix="fake-entra-")
        self._login = TestServer(login, host="127.0.0.1")
        await self._login.start_server(ssl=_tls_context(Path(self._tls_dir.name)))
        self._login_url = f"https://127.0.0.1:{self._login.port}"

        graph = web.Application(middlewares=[recording_gate(self.calls, self._answer)])
        graph.router.add_get("/v1.0/users", self._list_users)
        graph.router.add_patch("/v1.0/users/{uid}", self._update_user)
        graph.router.add_get("/v1.0/users/{uid}/manager", self._manager)
        graph.router.add_get("/v1.0/users/{uid}/memberOf", self._member_of)
        graph.router.add_post("/v1.0/users/{uid}/revokeSignInSessions", self._revoke_sessions)
        graph.router.add_get("/v1.0/users/{uid}/authentication/methods", self._methods)
        graph.router.add_delete("/v1.0/users/{uid}/authentication/{kind}/{mid}", self._delete_method)
        graph.router.add_get("/v1.0/groups/{gid}", self._get_group)
        graph.router.add_post("/v1.0/groups/{gid}/members/$ref", self._add_member)
        graph.router.add_delete("/v1.0/groups/{gid}/members/{uid}/$ref", self._remove_member)
        await self._graph.serve(graph)

    async def close(self) -> None:
        self._release.set()
        await self._graph.close()
        if self._login is not None:
            await self._login.close()
        if self._tls_dir is not None:
            self._tls_dir.cleanup()

    @property
    def authority_url(self) -> str:
        """Where MSAL finds the tenant (the stand-in for https://login.microsoftonline.com)."""
        return self._login_url

    @property
    def graph_url(self) -> str:
        return self._graph.base_url

    @property
    def ca_file(self) -> str:
        """The PEM certificate the token side serves, for REQUESTS_CA_BUNDLE."""
        assert self._tls_dir is not None, "start() first"
        return str(Path(self._tls_dir.name) / "cert.pem")

    def add_user(
        self,
        user_id: str,
        *,
        upn: str,
        mail: str | None,
        display_name: str,
        enabled: bool = True,
        other_mails: tuple[str, ...] = (),
        manager_id: str | None = None,
        roles: tuple[str, ...] = (),
        methods: tuple[str, ...] = (),
        department: str | None = None,
        office_location: str | None = None,
    ) -> GraphUser:
        """A user with a password and the authentication `methods` named by type ("phone", "fido2", …)."""
        user = GraphUser(
            id=user_id,
            user_principal_name=upn,
            mail=mail,
            display_name=display_name,
            account_enabled=enabled,
            other_mails=list(other_mails),
            manager_id=manager_id,
            roles=list(roles),
            department=department,
            office_location=office_location,
        )
        user.methods.append(
            {
                "@odata.type": "#microsoft.graph.passwordAuthenticationMethod",
                "id": PASSWORD_METHOD_ID,
                "password": None,
                "createdDateTime": "2024-01-02T09:00:00Z",
            }
        )
        for kind in methods:
            self.add_method(user_id, kind, user=user)
        self.users[user_id] = user
        return user

    def add_method(self, user_id: str, kind: str, *, user: GraphUser | None = None) -> str:
        """Register a method of type `#microsoft.graph.{kind}AuthenticationMethod` for the user; its id."""
        method_id = str(uuid.uuid4())
        (user or self.users[user_id]).methods.append(
            {"@odata.type": f"#microsoft.graph.{kind}AuthenticationMethod", "id": method_id}
        )
        return method_id

    def add_group(self, group_id: str, *, name: str, members: tuple[str, ...] = ()) -> GraphGroup:
        self.groups[group_id] = group = GraphGroup(id=group_id, display_name=name, members=set(members))
        return group

    def fail(self, fault: Fault, *, method: str | None = None, path: str | None = None) -> None:
        """Answer matching Graph calls (all, or only `method` and/or exactly `path`) with `fault` from now on."""
        self._faults.append((fault, method, path))

    def recover(self) -> None:
        self._faults.clear()

    def forget_tokens(self) -> None:
        """Stop accepting every token issued so far (as after a key rollover or a revoked consent)."""
        self.issued.clear()

    def answered(self, *, method: str | None = None, path_contains: str = "") -> list[GraphCall]:
        """Graph calls that got past authentication, oldest first."""
        return [
            c
            for c in self.calls
            if c.status != 401 and path_contains in c.path and (method is None or c.method == method)
        ]

    # ---- token side --------------------------------------------------------------------------------------------

    async def _openid_configuration(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant != self.tenant_id:
            return _aad_error(
                400,
                "invalid_tenant",
                90002,
                f"Tenant '{tenant}' not found. Check to make sure you "
                "have the correct tenant ID and are signing into the correct cloud.",
            )
        base = f"{self._login_url}/{tenant}"
        return web.json_response(
            {
                "issuer": f"{base}/v2.0",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "jwks_uri": f"{self._login_url}/{tenant}/discovery/v2.0/keys",
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "tenant_region_scope": "EU",
            }
        )

    async def _token(self, request: web.Request) -> web.Response:
        form = {key: str(value) for key, value in (await request.post()).items()}
        client_id, secret = form.get("client_id"), form.get("client_secret")
        basic = request.headers.get("Authorization", "")
        if basic.startswith("Basic "):  # client_secret_basic: both halves form-encoded, then base64
            decoded = base64.b64decode(basic.removeprefix("Basic ")).decode()
            basic_id, _, basic_secret = decoded.partition(":")
            client_id, secret = unquote_plus(basic_id), unquote_plus(basic_secret)
        self.token_requests.append({**form, **({"client_secret": "***"} if "client_secret" in form else {})})
        tenant = request.match_info["tenant"]
        if tenant != self.tenant_id:
            return _aad_error(400, "invalid_request", 90002, f"Tenant '{tenant}' not found.")
        if form.get("grant_type") != "client_credentials":
            return _aad_error(400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type.")
        if not client_id:
            return _aad_error(
                400, "invalid_request", 900144, "The request body must contain the following parameter: 'client_id'."
            )
        if client_id != self.client_id:
            return _aad_error(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{tenant}'.",
            )
        if not secret:
            return _aad_error(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
            )
        if not secrets.compare_digest(secret, self.client_secret):
            return _aad_error(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret "
                "being sent in the request is the client secret value, not the client secret ID, for "
                f"a secret added to app '{client_id}'.",
            )
        if form.get("scope") != GRAPH_SCOPE:
            return _aad_error(
                400,
                "invalid_scope",
                1002012,
                f"The provided value for scope {form.get('scope')} "
                "is not valid. Client credential flows must have a scope value with /.default "
                "suffixed to the resource identifier (application ID URI).",
            )
        token = f"eyJ0eXAiOiJKV1QifQ.fake-graph.{secrets.token_urlsafe(24)}"
        self.issued.add(token)
        return web.json_response(
            {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": token}
        )

    # ---- Graph gate: authentication, recording and faults ------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler, call: GraphCall) -> web.StreamResponse:
        scheme, _, token = (call.authorization or "").partition(" ")
        if scheme != "Bearer" or not token:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token is empty.")
        if token not in self.issued:
            return _graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.")
        for fault, method, path in self._faults:
            if (method is None or method == request.method) and (path is None or path == request.path):
                return await self._fault(fault)
        return await handler(request)

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        if fault == "hang":
            await self._release.wait()
            return web.Response(status=504, text="Gateway Timeout")
        if fault == "throttled":
            return _graph_error(429, "TooManyRequests", "Too many requests.", headers={"Retry-After": "7"})
        if fault == "forbidden":
            return _graph_error(
                403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."
            )
        return _graph_error(503, "serviceNotAvailable", "Service Unavailable", headers={"Retry-After": "10"})

    # ---- users -------------------------------------------------------------------------------------------------

    async def _list_users(self, request: web.Request) -> web.Response:
        unknown = set(request.query) - {"$filter", "$select", "$skiptoken"}
        if unknown:
            return _graph_error(400, "BadRequest", f"Unrecognized query argument specified: '{sorted(unknown)[0]}'.")
        selected = _selection(request, allowed=USER_PROPERTIES)
        if selected is None:
            return _graph_error(
                400, "BadRequest", "Could not find a property named in $select on type 'microsoft.graph.user'."
            )
        users = sorted(self.users.values(), key=lambda user: user.id)
        expression = request.query.get("$filter")
        if expression is not None:
            match = FILTER.fullmatch(expression)
            if match is None:
                return _graph_error(
                    400,
                    "BadRequest",
                    "Invalid filter clause: the stand-in only understands \"mail eq '…' or userPrincipalName eq '…'\".",
                )
            mail, upn = (value.replace("''", "'").casefold() for value in match.groups())
            users = [u for u in users if (u.mail or "").casefold() == mail or u.user_principal_name.casefold() == upn]
        return self._page(
            request, [_pick(u.resource(), selected or DEFAULT_USER_PROPERTIES) for u in users], context="users"
        )

    async def _update_user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        body = await _json_object(request)
        if body is None:
            return _graph_error(
                400,
                "BadRequest",
                "Unable to read JSON request payload. Please ensure Content-Type "
                "header is set and payload is of valid JSON format.",
            )
        if set(body) != {"passwordProfile"}:
            return _graph_error(400, "Request_BadRequest", "The stand-in only updates passwordProfile.")
        profile = body["passwordProfile"]
        password = profile.get("password") if isinstance(profile, dict) else None
        force = profile.get("forceChangePasswordNextSignIn", False) if isinstance(profile, dict) else None
        if not isinstance(password, str) or not isinstance(force, bool):
            return _graph_error(
                400, "Request_BadRequest", "Invalid value specified for property 'passwordProfile' of resource 'User'."
            )
        if not _meets_policy(password):
            return _graph_error(400, "Request_BadRequest", COMPLEXITY)
        user.password, user.force_change_password = password, force
        return web.Response(status=204)

    async def _manager(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        manager = self.users.get(user.manager_id or "")
        if manager is None:
            return _missing("manager")
        selected = _selection(request, allowed=USER_PROPERTIES)
        if selected is None:
            return _graph_error(400, "BadRequest", "Could not find a property named in $select.")
        return web.json_response(
            {
                "@odata.context": f"{self.graph_url}/v1.0/$metadata#directoryObjects/$entity",
                "@odata.type": "#microsoft.graph.user",
                **_pick(manager.resource(), selected or DEFAULT_USER_PROPERTIES),
            }
        )

    async def _member_of(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        items = [
            {"@odata.type": "#microsoft.graph.group", "id": g.id, "displayName": g.display_name}
            for g in sorted(self.groups.values(), key=lambda g: g.id)
            if user.id in g.members
        ]
        items += [
            {"@odata.type": "#microsoft.graph.directoryRole", "id": role, "displayName": role} for role in user.roles
        ]
        selected = _selection(request, allowed=frozenset({"id", "displayName"}))
        if selected is None:
            return _graph_error(400, "BadRequest", "Could not find a property named in $select.")
        if selected:  # Graph keeps @odata.type on each item of a mixed directoryObject collection
            items = [{"@odata.type": item["@odata.type"], **_pick(item, selected)} for item in items]
        return self._page(request, items, context="directoryObjects")

    async def _revoke_sessions(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        user.sessions_revoked += 1
        return web.json_response({"@odata.context": f"{self.graph_url}/v1.0/$metadata#Edm.Boolean", "value": True})

    async def _methods(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        return web.json_response(
            {
                "@odata.context": f"{self.graph_url}/v1.0/$metadata#users('{user.id}')/authentication/methods",
                "value": list(user.methods),
            }
        )

    async def _delete_method(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _missing(request.match_info["uid"])
        kind, method_id = request.match_info["kind"], request.match_info["mid"]
        if kind == "passwordMethods":
            return _graph_error(400, "badRequest", "The password authentication method cannot be deleted.")
        found = next(
            (m for m in user.methods if m["id"] == method_id and METHOD_TYPES.get(m["@odata.type"]) == kind), None
        )
        if found is None:
            return _missing(method_id)
        user.methods.remove(found)
        return web.Response(status=204)

    # ---- groups ------------------------------------------------------------------------------------------------

    async def _get_group(self, request: web.Request) -> web.Response:
        group = self.groups.get(request.match_info["gid"])
        if group is None:
            return _missing(request.match_info["gid"])
        return web.json_response(
            {
                "@odata.context": f"{self.graph_url}/v1.0/$metadata#groups/$entity",
                **_pick(
                    {"id": group.id, "displayName": group.display_name},
                    _selection(request, allowed=frozenset({"id", "displayName"})) or ("id",),
                ),
            }
        )

    async def _add_member(self, request: web.Request) -> web.Response:
        group = self.groups.get(request.match_info["gid"])
        if group is None:
            return _missing(request.match_info["gid"])
        body = await _json_object(request)
        reference = body.get("@odata.id") if body is not None and set(body) == {"@odata.id"} else None
        match = (
            re.fullmatch(r"(.+)/v1\.0/directoryObjects/([^/?#]+)", reference) if isinstance(reference, str) else None
        )
        if match is None or match.group(1) not in (PUBLIC_GRAPH, self.graph_url):
            return _graph_error(400, "Request_BadRequest", "Invalid object identifier in '@odata.id'.")
        member = match.group(2)
        if member not in self.users:
            return _missing(member)
        if member in group.members:
            return _graph_error(400, "Request_BadRequest", ALREADY_MEMBER)
        group.members.add(member)
        return web.Response(status=204)

    async def _remove_member(self, request: web.Request) -> web.Response:
        group, member = self.groups.get(request.match_info["gid"]), request.match_info["uid"]
        if group is None:
            return _missing(request.match_info["gid"])
        if member not in group.members:
            return _missing(member)
        group.members.discard(member)
        return web.Response(status=204)

    # ---- paging ------------------------------------------------------------------------------------------------

    def _page(self, request: web.Request, items: list[dict[str, Any]], *, context: str) -> web.Response:
        """One page from the `$skiptoken` offset, with an absolute @odata.nextLink when more remain."""
        token = request.query.get("$skiptoken", "0")
        if not token.isdigit():
            return _graph_error(400, "BadRequest", "Invalid $skiptoken.")
        start = int(token)
        page = items[start : start + max(1, self.page_size)]
        body: dict[str, Any] = {"@odata.context": f"{self.graph_url}/v1.0/$metadata#{context}", "value": page}
        if start + len(page) < len(items):
            body["@odata.nextLink"] = str(request.url.update_query({"$skiptoken": str(start + len(page))}))
        return web.json_response(body)


def _selection(request: web.Request, *, allowed: frozenset[str]) -> tuple[str, ...] | None:
    """The `$select` properties (empty when absent), or None when it names a property the type lacks."""
    raw = request.query.get("$select")
    if raw is None:
        return ()
    names = tuple(name.strip() for name in raw.split(","))
    return names if names and all(name in allowed for name in names) else None


def _pick(resource: dict[str, Any], names: tuple[str, ...]) -> dict[str, Any]:
    return {name: resource.get(name) for name in names}


def _meets_policy(password: str) -> bool:
    classes = (
        any(c.islower() for c in password),
        any(c.isupper() for c in password),
        any(c.isdigit() for c in password),
        any(not c.isalnum() for c in password),
    )
    return 8 <= len(password) <= 256 and sum(classes) >= 3


async def _json_object(request: web.Request) -> dict[str, Any] | None:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _missing(name: str) -> web.Response:
    return _graph_error(
        404,
        "Request_ResourceNotFound",
        f"Resource '{name}' does not exist or one of its queried reference-property objects are not present.",
    )


def _graph_error(status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> web.Response:
    inner = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": str(uuid.uuid4()),
        "client-request-id": str(uuid.uuid4()),
    }
    return web.json_response(
        {"error": {"code": code, "message": message, "innerError": inner}}, status=status, headers=headers
    )


def _aad_error(status: int, error: str, code: int, description: str) -> web.Response:
    trace, correlation = uuid.uuid4(), uuid.uuid4()
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    return web.json_response(
        {
            "error": error,
            "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
            f"Timestamp: {now}",
            "error_codes": [code],
            "timestamp": now,
            "trace_id": str(trace),
            "correlation_id": str(correlation),
            "error_uri": f"https://login.microsoftonline.com/error?code={code}",
        },
        status=status,
    )


def _tls_context(directory: Path) -> ssl.SSLContext:
    """A server context with a fresh self-signed certificate for 127.0.0.1, its PEM left in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-login.microsoftonline.test")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    return context
