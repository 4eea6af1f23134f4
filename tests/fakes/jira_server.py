"""A local stand-in for Jira Service Management Cloud: the request, comment and transition calls the client makes.

The service desk API (`/rest/servicedeskapi/…`) answers errors as `{"errorMessage", "i18nErrorMessage"}`, the
platform API (`/rest/api/2/…`) as `{"errorMessages": […], "errors": {field: message}}`:

- missing or wrong basic auth (e-mail and API token): 401 in the platform shape, on every path;
- a request without a summary, for another service desk or request type, or on behalf of an unknown customer: 400;
- a comment without a body or without a boolean `public`: 400;
- an unknown issue key: 404;
- a transition the issue's status does not offer: 400; one whose screen holds a resolution, without a valid
  resolution: 400 with `errors.resolution`.

Transitions follow `workflow` (status → transitions); the default mirrors the IT service desk template, where
only "Resolve this issue" has a screen (asking for the resolution). Atlassian documents `raiseOnBehalfOf` as an
account id; this stand-in accepts the e-mail of a known customer and refuses any other value, so both of the
client's paths can be exercised.

Fault switches: `fail_next(n, status=503)` and `stall_next(n)`, as in the ServiceNow stand-in.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.fakes.local_server import Handler, LocalServer, Outages, RecordedCall, recording_gate
from tests.fakes.servicenow_server import basic_credentials

RESOLUTIONS = ("Done", "Won't Do", "Duplicate", "Cannot Reproduce")
NOT_FOUND = "Issue does not exist or you do not have permission to see it."


@dataclass(frozen=True)
class Transition:
    id: str
    name: str
    to: str
    asks_resolution: bool = False


RESOLVE = Transition("31", "Resolve this issue", "Resolved", asks_resolution=True)
DEFAULT_WORKFLOW: dict[str, list[Transition]] = {
    "Waiting for support": [
        Transition("11", "Start progress", "In Progress"),
        Transition("21", "Pending", "Pending"),
        RESOLVE,
    ],
    "In Progress": [
        Transition("41", "Respond to customer", "Waiting for customer"),
        Transition("21", "Pending", "Pending"),
        RESOLVE,
    ],
    "Waiting for customer": [Transition("51", "Respond to support", "Waiting for support"), RESOLVE],
    "Pending": [Transition("11", "Start progress", "In Progress"), RESOLVE],
    "Resolved": [Transition("61", "Reopen", "Waiting for support")],
}


@dataclass
class JiraComment:
    body: str
    public: bool


@dataclass
class JiraRequest:
    key: str
    summary: str
    description: str
    reporter: str  # the customer's e-mail, or the agent account that raised it
    status: str = "Waiting for support"
    resolution: str | None = None
    comments: list[JiraComment] = field(default_factory=list)


JiraCall = RecordedCall


@dataclass
class FakeJira:
    email: str = "helpdesk-bot@example.org"
    api_token: str = "ATATT3xFfGF0-fake-jira-api-token-123"
    service_desk_id: str = "4"
    request_type_id: str = "17"
    project: str = "IT"
    customers: set[str] = field(default_factory=set)
    workflow: dict[str, list[Transition]] = field(
        default_factory=lambda: {status: list(transitions) for status, transitions in DEFAULT_WORKFLOW.items()}
    )
    requests: dict[str, JiraRequest] = field(default_factory=dict)
    calls: list[JiraCall] = field(default_factory=list)
    outages: Outages = field(default_factory=Outages)
    _numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _server: LocalServer = field(default_factory=LocalServer)

    async def start(self) -> str:
        application = web.Application(middlewares=[recording_gate(self.calls, self._answer)])
        application.router.add_post("/rest/servicedeskapi/request", self._create)
        application.router.add_post("/rest/servicedeskapi/request/{key}/comment", self._comment)
        application.router.add_get("/rest/api/2/issue/{key}/transitions", self._transitions)
        application.router.add_post("/rest/api/2/issue/{key}/transitions", self._transition)
        return await self._server.serve(application)

    async def close(self) -> None:
        self.outages.release()
        await self._server.close()

    @property
    def base_url(self) -> str:
        return self._server.base_url

    def fail_next(self, times: int, *, status: int = 503) -> None:
        self.outages.fail_next(times, status=status)

    def stall_next(self, times: int) -> None:
        self.outages.stall_next(times)

    def answered(self, method: str | None = None) -> list[JiraCall]:
        return [c for c in self.calls if c.handled and (method is None or c.method == method)]

    # ---- gate: authentication, recording and faults ------------------------------------------------------------

    async def _answer(self, request: web.Request, handler: Handler, call: JiraCall) -> web.StreamResponse:
        if not self._authenticated(call.authorization):
            return _platform_error(
                401, ["You are not authenticated. Authentication required to perform this operation."]
            )
        if (outage := await self.outages.response()) is not None:
            return outage
        if request.method == "POST" and not isinstance(call.body, dict):
            return _desk_error(400, "The request body is not valid JSON.")
        call.handled = True
        return await handler(request)

    def _authenticated(self, header: str | None) -> bool:
        return basic_credentials(header) == (self.email, self.api_token)

    # ---- the service desk API ----------------------------------------------------------------------------------

    async def _create(self, request: web.Request) -> web.Response:
        body: dict[str, Any] = await request.json()
        if body.get("serviceDeskId") != self.service_desk_id or body.get("requestTypeId") != self.request_type_id:
            return _desk_error(
                400, "The request type you are trying to use does not exist or is not part of the service desk."
            )
        values = body.get("requestFieldValues")
        summary = values.get("summary") if isinstance(values, dict) else None
        if not isinstance(summary, str) or not summary.strip() or "\n" in summary or len(summary) > 255:
            return _desk_error(
                400, "Summary: You must specify a summary of the issue (one line, at most 255 characters)."
            )
        on_behalf = body.get("raiseOnBehalfOf")
        if on_behalf is not None and on_behalf not in self.customers:
            return _desk_error(400, f"The user '{on_behalf}' does not exist or cannot raise requests here.")
        description = values.get("description") if isinstance(values, dict) else None
        key = f"{self.project}-{next(self._numbers)}"
        self.requests[key] = JiraRequest(
            key=key, summary=summary, description=str(description or ""), reporter=on_behalf or self.email
        )
        return web.json_response(
            {
                "issueId": str(10000 + len(self.requests)),
                "issueKey": key,
                "requestTypeId": self.request_type_id,
                "serviceDeskId": self.service_desk_id,
                "currentStatus": {"status": "Waiting for support"},
            },
            status=201,
        )

    async def _comment(self, request: web.Request) -> web.Response:
        issue = self.requests.get(request.match_info["key"])
        if issue is None:
            return _desk_error(404, NOT_FOUND)
        body: dict[str, Any] = await request.json()
        text, public = body.get("body"), body.get("public")
        if not isinstance(text, str) or not text.strip() or not isinstance(public, bool):
            return _desk_error(400, "A comment needs a body and whether it is public.")
        issue.comments.append(JiraComment(body=text, public=public))
        return web.json_response({"id": str(len(issue.comments)), "body": text, "public": public}, status=201)

    # ---- the platform API: transitions -------------------------------------------------------------------------

    async def _transitions(self, request: web.Request) -> web.Response:
        issue = self.requests.get(request.match_info["key"])
        if issue is None:
            return _platform_error(404, [NOT_FOUND])
        with_fields = "transitions.fields" in request.query.get("expand", "")
        listed = []
        for transition in self.workflow.get(issue.status, []):
            item: dict[str, Any] = {
                "id": transition.id,
                "name": transition.name,
                "to": {"name": transition.to},
                "hasScreen": transition.asks_resolution,
            }
            if with_fields:
                item["fields"] = (
                    {
                        "resolution": {
                            "required": True,
                            "name": "Resolution",
                            "allowedValues": [{"name": r} for r in RESOLUTIONS],
                        }
                    }
                    if transition.asks_resolution
                    else {}
                )
            listed.append(item)
        return web.json_response({"expand": "transitions", "transitions": listed})

    async def _transition(self, request: web.Request) -> web.Response:
        issue = self.requests.get(request.match_info["key"])
        if issue is None:
            return _platform_error(404, [NOT_FOUND])
        body: dict[str, Any] = await request.json()
        wanted = body.get("transition")
        wanted_id = wanted.get("id") if isinstance(wanted, dict) else None
        chosen = next((t for t in self.workflow.get(issue.status, []) if t.id == wanted_id), None)
        if chosen is None:
            return _platform_error(400, [f"Transition id '{wanted_id}' is not valid for this issue."])
        fields: dict[str, Any] = body["fields"] if isinstance(body.get("fields"), dict) else {}
        resolution = fields.get("resolution")
        name = resolution.get("name") if isinstance(resolution, dict) else None
        if chosen.asks_resolution and name not in RESOLUTIONS:
            return _platform_error(400, [], {"resolution": "Resolution is required."})
        if not chosen.asks_resolution and "resolution" in fields:
            return _platform_error(
                400,
                [],
                {"resolution": "Field 'resolution' cannot be set. It is not on the appropriate screen, or unknown."},
            )
        update: dict[str, Any] = body["update"] if isinstance(body.get("update"), dict) else {}
        for change in update.get("comment", []):
            text = change.get("add", {}).get("body") if isinstance(change, dict) else None
            if isinstance(text, str):
                issue.comments.append(JiraComment(body=text, public=True))  # platform API comments are public
        issue.status, issue.resolution = chosen.to, name if chosen.asks_resolution else issue.resolution
        return web.Response(status=204)


def _desk_error(status: int, message: str) -> web.Response:
    return web.json_response(
        {"errorMessage": message, "i18nErrorMessage": {"i18nKey": "sd.error", "parameters": []}}, status=status
    )


def _platform_error(status: int, messages: list[str], errors: dict[str, str] | None = None) -> web.Response:
    return web.json_response({"errorMessages": messages, "errors": errors or {}}, status=status)
