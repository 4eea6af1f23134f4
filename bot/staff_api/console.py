"""The staff console (/staff) and its JSON API (/api/staff/…): the queue, a ticket, and the staff actions.

Who is calling: the bearer token HELPDESK_STAFF_TOKEN (local use and integrations: every queue), or the
authenticating proxy's headers (HELPDESK_WEB_AUTH=header: the person, limited to the groups they work).
"""

from __future__ import annotations

import hmac
import json
from typing import Any, TypeVar

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.channels.runtime.http import describe_validation, error_response, read_json
from bot.channels.web.channel import STATIC_DIR
from bot.channels.web.identity import IdentityError, WebIdentity
from bot.core.tickets import StaffError, StaffMember, Ticket, TicketEvent, TicketStatus
from bot.handoff.operations import TicketOperations

log = structlog.get_logger(__name__)

ModelT = TypeVar("ModelT", bound=BaseModel)


class MessageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    text: str = Field(max_length=20_000)  # TicketOperations enforces the real limit with a clear message
    internal: bool = False


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: str = Field(max_length=20_000)


class StaffAuth:
    """Turns a request into a StaffMember, or refuses it (401) before anything is read."""

    def __init__(self, *, token: str | None, token_name: str, identity: WebIdentity | None) -> None:
        self._token = token
        self._token_name = token_name
        self._identity = identity if identity is not None and identity.mode == "header" else None

    @property
    def configured(self) -> bool:
        return self._token is not None or self._identity is not None

    def staff_of(self, request: web.Request) -> StaffMember:
        authorization = request.headers.get("Authorization", "")
        if authorization:
            scheme, _, presented = authorization.partition(" ")
            if (
                scheme.lower() == "bearer"
                and self._token is not None
                and hmac.compare_digest(presented.strip().encode(), self._token.encode())
            ):
                return StaffMember.token_holder(self._token_name)
            raise IdentityError(status=401, code="unauthenticated", message="invalid staff token")
        if self._identity is None:
            raise IdentityError(
                status=401,
                code="unauthenticated",
                message="staff access needs a bearer token (HELPDESK_STAFF_TOKEN) or the "
                "authenticating proxy (HELPDESK_WEB_AUTH=header)",
            )
        user = self._identity.resolve(request, None)
        if not user.email:
            raise IdentityError(
                status=401, code="unauthenticated", message="the proxy did not send the person's e-mail address"
            )
        return StaffMember(id=user.email.lower(), name=user.name or user.email, email=user.email.lower())


class StaffApi:
    """Routes for the console page and the staff API."""

    def __init__(self, *, operations: TicketOperations, auth: StaffAuth) -> None:
        self._operations = operations
        self._auth = auth

    def register(self, app: web.Application) -> None:
        app.router.add_get("/staff", self.page)
        app.router.add_get("/api/staff/tickets", self.list_tickets)
        app.router.add_get("/api/staff/tickets/{ticket}", self.show_ticket)
        app.router.add_post("/api/staff/tickets/{ticket}/claim", self.claim)
        app.router.add_post("/api/staff/tickets/{ticket}/messages", self.post_message)
        app.router.add_post("/api/staff/tickets/{ticket}/resolve", self.resolve)
        app.router.add_post("/api/staff/tickets/{ticket}/return", self.return_to_bot)

    async def page(self, _request: web.Request) -> web.FileResponse:
        # The page holds no data: everything it shows comes from the API, which checks who is asking.
        return web.FileResponse(STATIC_DIR / "staff.html", headers={"Cache-Control": "no-cache"})

    async def list_tickets(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        wanted = request.query.get("status", "active")
        try:
            statuses = _statuses(wanted)
        except ValueError as error:
            return error_response(status=400, code="invalid_request", message=str(error))
        tickets = await self._operations.queue(staff, statuses=statuses, group=request.query.get("group") or None)
        return web.json_response({"tickets": [_ticket_json(ticket) for ticket in tickets]})

    async def show_ticket(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        ticket, packet, events = await self._operations.view(staff, request.match_info["ticket"])
        return web.json_response(
            {"ticket": _ticket_json(ticket), "packet": packet, "events": [_event_json(event) for event in events]}
        )

    async def claim(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        ticket = await self._operations.claim(staff, request.match_info["ticket"])
        return web.json_response({"ticket": _ticket_json(ticket)})

    async def post_message(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        body = parse_body(MessageRequest, await read_json(request))
        event = await self._operations.post(staff, request.match_info["ticket"], text=body.text, internal=body.internal)
        return web.json_response({"event": _event_json(event)}, status=201)

    async def resolve(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        body = parse_body(ResolveRequest, await read_json(request))
        ticket = await self._operations.resolve(staff, request.match_info["ticket"], note=body.note)
        return web.json_response({"ticket": _ticket_json(ticket)})

    async def return_to_bot(self, request: web.Request) -> web.Response:
        staff = self._staff(request)
        ticket = await self._operations.return_to_bot(staff, request.match_info["ticket"])
        return web.json_response({"ticket": _ticket_json(ticket)})

    def _staff(self, request: web.Request) -> StaffMember:
        return refuse(self._auth, request)


def refuse(auth: StaffAuth, request: web.Request) -> StaffMember:
    """The staff member making the request; a 401 response (raised) for anyone else."""
    try:
        return auth.staff_of(request)
    except IdentityError as error:
        log.warning("staff_request_refused", reason=error.message, path=request.path)
        raise _http_error(error.status, error.code, error.message) from error


@web.middleware
async def staff_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """StaffError → its HTTP status with the usual JSON error body."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except StaffError as error:
        return error_response(status=error.status, code=error.code, message=str(error))


def _statuses(wanted: str) -> list[TicketStatus] | None:
    if wanted == "all":
        return None
    if wanted == "active":
        return [TicketStatus.OPEN, TicketStatus.CLAIMED, TicketStatus.WAITING_ON_USER]
    try:
        return [TicketStatus(name.strip()) for name in wanted.split(",")]
    except ValueError:
        known = ", ".join(["active", "all", *(status.value for status in TicketStatus)])
        raise ValueError(f"unknown status {wanted!r}; use one of {known} (comma-separated)") from None


def parse_body(model: type[ModelT], payload: Any) -> ModelT:
    """The request body as `model`, or a 422 response (raised) that says what is wrong."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        raise _http_error(422, "invalid_request", describe_validation(error)) from error


def _http_error(status: int, code: str, message: str) -> web.HTTPException:
    error_class = {401: web.HTTPUnauthorized, 403: web.HTTPForbidden}.get(status, web.HTTPUnprocessableEntity)
    return error_class(text=json.dumps({"error": {"code": code, "message": message}}), content_type="application/json")


def _ticket_json(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.id,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "category": ticket.category,
        "group": ticket.group,
        "summary": ticket.summary,
        "reason": ticket.reason,
        "requester": ticket.requester.to_dict(),
        "channel": ticket.conversation.channel,
        "conversation": ticket.conversation.key,
        "assignee": ticket.assignee,
        "assignee_name": ticket.assignee_name,
        "created_at": ticket.created_at.isoformat(),
        "first_response_at": iso_or_none(ticket.first_response_at),
        "resolved_at": iso_or_none(ticket.resolved_at),
        "resolution": ticket.resolution,
        "rating": ticket.rating,
        "external": ticket.external,
    }


def _event_json(event: TicketEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "at": event.at.isoformat(),
        "actor": event.actor,
        "actor_name": event.actor_name,
        "kind": event.kind.value,
        "text": event.text,
        "internal": event.internal,
    }


def iso_or_none(value: Any) -> str | None:
    """A timestamp for JSON, or None."""
    return None if value is None else str(value.isoformat())
