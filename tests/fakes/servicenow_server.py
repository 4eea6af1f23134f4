"""A local stand-in for the ServiceNow Table API: the incident and sys_user calls the ServiceNow client makes.

Like ServiceNow it answers JSON, one record as `{"result": {…}}` and lists as `{"result": […]}`, and errors as
`{"error": {"message", "detail"}, "status": "failure"}`:

- missing or wrong basic auth: 401 "User Not Authenticated" / "Required to provide Auth information";
- a body that is not a JSON object: 400 "Exception while reading request";
- an unknown sys_id: 404 "No Record found";
- a write breaking a data policy: 403 "Operation Failed" / "Data Policy Exception" (ServiceNow answers data
  policy violations with 403). The policies modelled: an incident needs a short description; On Hold needs an
  on-hold reason; Resolved and Closed need a resolution code and resolution notes.

A reference field given something other than a user's sys_id is matched against user *names* (the display
value), and left empty when nothing matches, as ServiceNow does. Priority follows the default impact-by-urgency
lookup. Work notes and comments go to `journal`, as ServiceNow keeps them in its journal rather than the record.

Fault switches: `fail_next(n, status=503)` answers the next n authenticated calls with that status (a plain
text page, as a proxy would); `stall_next(n)` holds them until the client gives up (released by `close()`).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import Handler, LocalServer, Outages, RecordedCall, recording_gate

# The default priority lookup: (impact, urgency) → priority.
PRIORITY = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("2", "1"): "2",
    ("1", "3"): "3",
    ("3", "1"): "3",
    ("2", "2"): "3",
    ("2", "3"): "4",
    ("3", "2"): "4",
    ("3", "3"): "5",
}
JOURNAL_FIELDS = ("work_notes", "comments")


ServiceNowCall = RecordedCall


@dataclass(frozen=True)
class JournalEntry:
    sys_id: str
    field: str  # work_notes (staff only) or comments (the caller sees them)
    text: str


@dataclass
class FakeServiceNow:
    user: str = "helpdesk.integration"
    password: str = "Sn0w-Integration-Passw0rd!"
    incidents: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, dict[str, str]] = field(default_factory=dict)
    journal: list[JournalEntry] = field(default_factory=list)
    calls: list[ServiceNowCall] = field(default_factory=list)
    outages: Outages = field(default_factory=Outages)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(10001))
    _server: LocalServer = field(default_factory=LocalServer)

    async def start(self) -> str:
        application = web.Application(middlewares=[recording_gate(self.calls, self._answer)])
        application.router.add_get("/api/now/table/{table}", self._list)
        application.router.add_post("/api/now/table/incident", self._create)
        application.router.add_patch("/api/now/table/incident/{sys_id}", self._update)
        return await self._server.serve(application)

    async def close(self) -> None:
        self.outages.release()
        await self._server.close()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def add_user(self, *, name: str, email: str, active: bool = True) -> str:
        sys_id = uuid.uuid4().hex
        self.users[sys_id] = {"sys_id": sys_id, "name": name, "email": email, "active": str(active).lower()}
        return sys_id

    def fail_next(self, times: int, *, status: int = 503) -> None:
        self.outages.fail_next(times, status=status)

    def stall_next(self, times: int) -> None:
        self.outages.stall_next(times)

    def notes(self, sys_id: str, field_name: str) -> list[str]:
        return [entry.text for entry in self.journal if entry.sys_id == sys_id and entry.field == field_name]

    def answered(self, method: str | None = None) -> list[ServiceNowCall]:
        """Calls that reached the table API, oldest first."""
        return [c for c in self.calls if c.handled and (method is None or c.method == method)]

    # ---- gate: authentication, recording and faults ------------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler, call: ServiceNowCall) -> web.StreamResponse:
        if not self._authenticated(call.authorization):
            return _error(401, "User Not Authenticated", "Required to provide Auth information")
        if (outage := await self.outages.response()) is not None:
            return outage
        if call.body == "<not JSON>" or (request.method in ("POST", "PATCH") and not isinstance(call.body, dict)):
            return _error(400, "Exception while reading request", "The payload is not valid JSON.")
        call.handled = True
        return await handler(request)

    def _authenticated(self, header: str | None) -> bool:
        return basic_credentials(header) == (self.user, self.password)

    # ---- the table API -----------------------------------------------------------------------------------------

    async def _list(self, request: web.Request) -> web.Response:
        tables = {"incident": self.incidents, "sys_user": self.users}
        table = tables.get(request.match_info["table"])
        if table is None:
            return _error(400, f"Invalid table {request.match_info['table']}", None)
        terms: list[tuple[str, str]] = []
        for term in filter(None, request.query.get("sysparm_query", "").split("^")):
            name, equals, value = term.partition("=")
            if not equals or not name.isidentifier():
                return _error(400, "Invalid query", f"this stand-in understands only field=value terms: {term}")
            terms.append((name, value))
        found = [
            record
            for record in table.values()
            if all(record.get(name, "").casefold() == value.casefold() for name, value in terms)
        ]
        limit = int(request.query.get("sysparm_limit", "10000"))
        return web.json_response({"result": [_fields(record, request) for record in found[:limit]]})

    async def _create(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        record = {name: str(value) for name, value in body.items() if name not in JOURNAL_FIELDS}
        if not record.get("short_description", "").strip():
            return _policy("Short description")
        sys_id = uuid.uuid4().hex
        record.update(sys_id=sys_id, number=f"INC00{next(self._numbers)}", state="1")
        record.setdefault("impact", "3")
        record.setdefault("urgency", "3")
        self._resolve_references(record)
        self.incidents[sys_id] = record
        self._journal(sys_id, body)
        return web.json_response({"result": _fields(record, request)}, status=201)

    async def _update(self, request: web.Request) -> web.Response:
        record = self.incidents.get(request.match_info["sys_id"])
        if record is None:
            return _error(404, "No Record found", "Record doesn't exist or ACL restricts the record retrieval")
        body: dict[str, Any] = await request.json()
        changed = {**record, **{name: str(value) for name, value in body.items() if name not in JOURNAL_FIELDS}}
        if changed.get("state") == "3" and not changed.get("hold_reason"):
            return _policy("On hold reason")
        if changed.get("state") in ("6", "7"):
            missing = [
                label
                for name, label in (("close_code", "Resolution code"), ("close_notes", "Resolution notes"))
                if not changed.get(name, "").strip()
            ]
            if missing:
                return _policy(", ".join(missing))
        self._resolve_references(changed)
        record.update(changed)
        self._journal(record["sys_id"], body)
        return web.json_response({"result": _fields(record, request)})

    def _resolve_references(self, record: dict[str, str]) -> None:
        record["priority"] = PRIORITY.get((record.get("impact", ""), record.get("urgency", "")), "5")
        caller = record.get("caller_id")
        if caller and caller not in self.users:
            by_name = [user["sys_id"] for user in self.users.values() if user["name"] == caller]
            record["caller_id"] = by_name[0] if by_name else ""

    def _journal(self, sys_id: str, body: dict[str, Any]) -> None:
        for name in JOURNAL_FIELDS:
            if isinstance(body.get(name), str) and body[name].strip():
                self.journal.append(JournalEntry(sys_id=sys_id, field=name, text=body[name]))


def basic_credentials(header: str | None) -> tuple[str, str] | None:
    """(login, password) from an `Authorization: Basic …` header; None when absent or garbled."""
    scheme, _, encoded = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        login, colon, password = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (login, password) if colon else None


def _fields(record: dict[str, str], request: web.Request) -> dict[str, str]:
    wanted = [name for name in request.query.get("sysparm_fields", "").split(",") if name]
    return {name: record.get(name, "") for name in wanted} if wanted else dict(record)


def _policy(fields: str) -> web.Response:
    return _error(403, "Operation Failed", f"Data Policy Exception: \n\tThe following fields are mandatory: {fields}")


def _error(status: int, message: str, detail: str | None) -> web.Response:
    return web.json_response({"error": {"message": message, "detail": detail}, "status": "failure"}, status=status)
