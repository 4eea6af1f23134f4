"""A local stand-in for the Okta Management API v1: the user, group and factor calls the Okta directory makes.

Like Okta it answers JSON, and errors as `{"errorCode", "errorSummary", "errorLink", "errorId", "errorCauses"}`:
a missing or wrong `Authorization: SSWS <token>` is 401 E0000011 on every call; an unknown user or group is 404
E0000007; a user search of any shape but `profile.email eq "…" or profile.login eq "…"` is 400 E0000031; a password
the policy refuses (at least 8 characters with an upper-case letter, a lower-case letter and a digit) is 400 E0000001
with the reason in `errorCauses`. Lists come in pages of at most `page_size`, with `Link: <…>; rel="next"`.

Okta documents unlock only as "unlocks a user with a LOCKED_OUT status" and lists 403 among its answers without
showing the body; here unlocking anyone else is 403 E0000001 with the cause "Cannot unlock a user that is not locked
out." (the validation error Okta gives for lifecycle calls that do not fit the user's status).

Fault switches (`fail`): answer 503 (a plain-text page, as a proxy would), 429 with Okta's X-Rate-Limit-* headers and
E0000047, 403 E0000006 (a token without the admin role), or hang until `close()`.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from aiohttp import web

from tests.fakes.local_server import Handler, LocalServer, RecordedCall, recording_gate

Fault = Literal["unavailable", "rate_limited", "forbidden", "hang"]

_STRING = r'"((?:[^"\\]|\\.)*)"'  # a quoted value in which only \" and \\ are escapes
SEARCH = re.compile(rf"profile\.email eq {_STRING} or profile\.login eq {_STRING}")
POLICY = "at least 8 characters, a lowercase letter, an uppercase letter, a number"
LOCKABLE = {"ACTIVE", "PASSWORD_EXPIRED", "RECOVERY", "LOCKED_OUT"}


OktaCall = RecordedCall  # one request as it arrived, and the status it was answered with


@dataclass
class OktaUser:
    id: str
    login: str
    email: str
    first_name: str
    last_name: str
    status: str = "ACTIVE"
    display_name: str | None = None
    manager_id: str | None = None
    second_email: str | None = None
    department: str | None = None
    city: str | None = None
    password: str = "Initial-Passw0rd"
    password_expired: bool = False
    factors: list[dict[str, Any]] = field(default_factory=list)

    def resource(self, base_url: str) -> dict[str, Any]:
        profile: dict[str, Any] = {
            "login": self.login,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
        }
        optional = {
            "displayName": self.display_name,
            "managerId": self.manager_id,
            "secondEmail": self.second_email,
            "department": self.department,
            "city": self.city,
        }
        profile.update({name: value for name, value in optional.items() if value is not None})
        return {
            "id": self.id,
            "status": self.status,
            "created": "2024-01-02T09:00:00.000Z",
            "profile": profile,
            "credentials": {"password": {}, "provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": f"{base_url}/api/v1/users/{self.id}"}},
        }


@dataclass
class OktaGroup:
    id: str
    name: str
    members: set[str] = field(default_factory=set)

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "type": "OKTA_GROUP", "profile": {"name": self.name, "description": None}}


@dataclass
class FakeOkta:
    token: str = "00TestTokenForTheFakeOktaOrg-xyz"
    page_size: int = 200
    users: dict[str, OktaUser] = field(default_factory=dict)
    groups: dict[str, OktaGroup] = field(default_factory=dict)
    calls: list[OktaCall] = field(default_factory=list)
    next_link_base: str | None = None  # write next-page links for another origin (a hostile or broken proxy)
    on_request: Callable[[OktaCall], None] | None = None  # runs before a call is answered (to stage races)
    _faults: list[tuple[Fault, str | None, str | None]] = field(default_factory=list)
    _release: asyncio.Event = field(default_factory=asyncio.Event)
    _factor_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: LocalServer = field(default_factory=LocalServer)

    # ---- lifecycle and test helpers ----------------------------------------------------------------------------

    async def start(self) -> str:
        application = web.Application(middlewares=[recording_gate(self.calls, self._answer)])
        application.router.add_get("/api/v1/users", self._list_users)
        application.router.add_get("/api/v1/users/{uid}", self._get_user)
        application.router.add_post("/api/v1/users/{uid}", self._update_user)
        application.router.add_get("/api/v1/users/{uid}/groups", self._user_groups)
        application.router.add_get("/api/v1/users/{uid}/factors", self._factors)
        application.router.add_post("/api/v1/users/{uid}/lifecycle/{operation}", self._lifecycle)
        application.router.add_get("/api/v1/groups/{gid}", self._get_group)
        application.router.add_put("/api/v1/groups/{gid}/users/{uid}", self._add_member)
        application.router.add_delete("/api/v1/groups/{gid}/users/{uid}", self._remove_member)
        return await self._server.serve(application)

    async def close(self) -> None:
        self._release.set()
        await self._server.close()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def add_user(
        self,
        user_id: str,
        *,
        login: str,
        email: str,
        first_name: str,
        last_name: str,
        status: str = "ACTIVE",
        display_name: str | None = None,
        manager_id: str | None = None,
        second_email: str | None = None,
        factors: int = 0,
        department: str | None = None,
        city: str | None = None,
    ) -> OktaUser:
        user = OktaUser(
            id=user_id,
            login=login,
            email=email,
            first_name=first_name,
            last_name=last_name,
            status=status,
            display_name=display_name,
            manager_id=manager_id,
            second_email=second_email,
            department=department,
            city=city,
        )
        for factor_type in ("token:software:totp", "push", "sms", "email")[:factors]:
            user.factors.append(
                {
                    "id": f"mfa{next(self._factor_ids)}",
                    "factorType": factor_type,
                    "provider": "OKTA",
                    "status": "ACTIVE",
                }
            )
        self.users[user_id] = user
        return user

    def add_group(self, group_id: str, *, name: str, members: tuple[str, ...] = ()) -> OktaGroup:
        self.groups[group_id] = group = OktaGroup(id=group_id, name=name, members=set(members))
        return group

    def fail(self, fault: Fault, *, method: str | None = None, path: str | None = None) -> None:
        """Answer matching calls (all, or only `method` and/or exactly `path`) with `fault` from now on."""
        self._faults.append((fault, method, path))

    def recover(self) -> None:
        self._faults.clear()

    def answered(self, *, method: str | None = None, path_contains: str = "") -> list[OktaCall]:
        """Calls that got past authentication, oldest first."""
        return [
            c
            for c in self.calls
            if c.status != 401 and path_contains in c.path and (method is None or c.method == method)
        ]

    # ---- gate: authentication, recording and faults ------------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler, call: OktaCall) -> web.StreamResponse:
        if call.authorization != f"SSWS {self.token}":
            return _error(401, "E0000011", "Invalid token provided")
        if self.on_request is not None:
            self.on_request(call)
        for fault, method, path in self._faults:
            if (method is None or method == request.method) and (path is None or path == request.path):
                return await self._fault(fault)
        return await handler(request)

    async def _fault(self, fault: Fault) -> web.StreamResponse:
        if fault == "hang":
            await self._release.wait()
            return web.Response(status=504, text="Gateway Timeout")
        if fault == "rate_limited":
            reset = int(time.time()) + 30
            response = _error(429, "E0000047", "API call exceeded rate limit due to too many requests.")
            response.headers.update(
                {"X-Rate-Limit-Limit": "600", "X-Rate-Limit-Remaining": "0", "X-Rate-Limit-Reset": str(reset)}
            )
            return response
        if fault == "forbidden":
            return _error(403, "E0000006", "You do not have permission to perform the requested action")
        return web.Response(status=503, text="<html><body>Service Unavailable</body></html>", content_type="text/html")

    # ---- users -------------------------------------------------------------------------------------------------

    async def _list_users(self, request: web.Request) -> web.Response:
        users = sorted(self.users.values(), key=lambda user: user.id)
        search = request.query.get("search")
        if search is not None:
            match = SEARCH.fullmatch(search)
            if match is None:
                return _error(400, "E0000031", "Invalid search criteria.")
            email, login = (_unescape(value).casefold() for value in match.groups())
            users = [u for u in users if u.email.casefold() == email or u.login.casefold() == login]
        try:
            limit = min(self.page_size, int(request.query.get("limit", "200")))
        except ValueError:
            return _error(400, "E0000001", "Api validation failed: limit", ["limit: must be a number"])
        return self._page(request, [u.resource(self.base_url) for u in users], limit=limit)

    async def _get_user(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        return web.json_response(user.resource(self.base_url)) if user else _not_found(request, "User")

    async def _update_user(self, request: web.Request) -> web.Response:
        """Partial update: only what the body names changes (the bot sends just a new password)."""
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _not_found(request, "User")
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "E0000003", "The request body was not well-formed.")
        credentials = body.get("credentials") if isinstance(body, dict) else None
        secret = credentials.get("password") if isinstance(credentials, dict) else None
        password = secret.get("value") if isinstance(secret, dict) else None
        if not isinstance(password, str):
            return _error(400, "E0000001", "Api validation failed: credentials", ["password: A value is required"])
        if not _meets_policy(password):
            return _error(
                400,
                "E0000001",
                "Api validation failed: password",
                [f"password: Password requirements were not met. Password requirements: {POLICY}."],
            )
        user.password, user.password_expired = password, False
        if user.status == "PASSWORD_EXPIRED":
            user.status = "ACTIVE"
        return web.json_response(user.resource(self.base_url))

    async def _lifecycle(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        if user is None:
            return _not_found(request, "User")
        operation = request.match_info["operation"]
        if operation == "unlock":
            if user.status != "LOCKED_OUT":
                return _error(
                    403, "E0000001", "Api validation failed: unlock", ["Cannot unlock a user that is not locked out."]
                )
            user.status = "PASSWORD_EXPIRED" if user.password_expired else "ACTIVE"
            return web.json_response({})
        if operation == "expire_password":
            if user.status not in LOCKABLE:
                return _error(
                    403,
                    "E0000001",
                    "Api validation failed: expire_password",
                    [f"Cannot expire the password of a user in status {user.status}."],
                )
            user.password_expired = True
            if user.status != "LOCKED_OUT":
                user.status = "PASSWORD_EXPIRED"
            return web.json_response(user.resource(self.base_url))
        if operation == "reset_factors":
            user.factors.clear()
            return web.json_response({})
        return _error(404, "E0000022", "The endpoint does not support the provided HTTP method")

    async def _user_groups(self, request: web.Request) -> web.Response:
        user_id = request.match_info["uid"]
        if user_id not in self.users:
            return _not_found(request, "User")
        groups = [g.resource() for g in sorted(self.groups.values(), key=lambda g: g.id) if user_id in g.members]
        return self._page(request, groups, limit=self.page_size)

    async def _factors(self, request: web.Request) -> web.Response:
        user = self.users.get(request.match_info["uid"])
        return web.json_response(user.factors) if user else _not_found(request, "User")

    # ---- groups ------------------------------------------------------------------------------------------------

    async def _get_group(self, request: web.Request) -> web.Response:
        group = self.groups.get(request.match_info["gid"])
        return web.json_response(group.resource()) if group else _not_found(request, "UserGroup", key="gid")

    async def _add_member(self, request: web.Request) -> web.Response:
        group, user_id = self.groups.get(request.match_info["gid"]), request.match_info["uid"]
        if group is None:
            return _not_found(request, "UserGroup", key="gid")
        if user_id not in self.users:
            return _not_found(request, "User")
        group.members.add(user_id)
        return web.Response(status=204)

    async def _remove_member(self, request: web.Request) -> web.Response:
        group, user_id = self.groups.get(request.match_info["gid"]), request.match_info["uid"]
        if group is None:
            return _not_found(request, "UserGroup", key="gid")
        if user_id not in self.users:
            return _not_found(request, "User")
        group.members.discard(user_id)
        return web.Response(status=204)

    # ---- paging ------------------------------------------------------------------------------------------------

    def _page(self, request: web.Request, items: list[dict[str, Any]], *, limit: int) -> web.Response:
        """One page after the `after` cursor (an id), with Okta's self and next Link headers."""
        after = request.query.get("after")
        start = next((i + 1 for i, item in enumerate(items) if item["id"] == after), 0) if after else 0
        page = items[start : start + max(1, limit)]
        base = (self.next_link_base or self.base_url).rstrip("/")
        here = request.rel_url
        links = [f'<{base}{here}>; rel="self"']
        if start + len(page) < len(items):
            links.append(f'<{base}{here.update_query(after=page[-1]["id"])}>; rel="next"')
        response = web.json_response(page)
        for link in links:
            response.headers.add("Link", link)
        return response


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _meets_policy(password: str) -> bool:
    return (
        len(password) >= 8
        and any(c.isupper() for c in password)
        and any(c.islower() for c in password)
        and any(c.isdigit() for c in password)
    )


def _not_found(request: web.Request, kind: str, *, key: str = "uid") -> web.Response:
    return _error(404, "E0000007", f"Not found: Resource not found: {request.match_info[key]} ({kind})")


def _error(status: int, code: str, summary: str, causes: list[str] | None = None) -> web.Response:
    return web.json_response(
        {
            "errorCode": code,
            "errorSummary": summary,
            "errorLink": code,
            "errorId": f"oae{uuid.uuid4().hex[:19]}",
            "errorCauses": [{"errorSummary": cause} for cause in causes or []],
        },
        status=status,
    )
