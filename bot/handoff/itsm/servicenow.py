"""Tickets mirrored as ServiceNow incidents, through the Table API with a basic-auth integration user."""

from __future__ import annotations

from typing import Any

import structlog

from bot.core.itsm import ItsmError, MirrorTicket
from bot.core.json_api import path_segment, text_or_none
from bot.handoff.itsm.http import JsonClient

log = structlog.get_logger(__name__)

INCIDENTS = "/api/now/table/incident"
USERS = "/api/now/table/sys_user"
SHORT_DESCRIPTION_LIMIT = 160  # the incident field's length
CORRELATION_DISPLAY = "helpdesk-bot"  # tells ServiceNow admins which integration wrote `correlation_id`

# Impact and urgency (1 high … 3 low) that the default priority lookup turns back into the same priority:
# 1/1 → 1 Critical, 2/1 → 2 High, 2/2 → 3 Moderate, 3/2 → 4 Low. (3/3 would be 5 Planning, which no ticket is.)
# P2 is "a team blocked urgently" (impact 2, urgency 1), the commoner of the two ways our triage reaches P2.
IMPACT_URGENCY = {"P1": ("1", "1"), "P2": ("2", "1"), "P3": ("2", "2"), "P4": ("3", "2")}
# The out-of-the-box incident categories; ours that have no counterpart go to "inquiry" (Inquiry / Help).
CATEGORIES = {"network": "network", "hardware": "hardware", "software": "software", "email": "software"}

STATE_IN_PROGRESS, STATE_ON_HOLD, STATE_RESOLVED = "2", "3", "6"
HOLD_AWAITING_CALLER = "1"
# The current out-of-the-box resolution code for "staff fixed it"; instances from before Utah use
# "Solved (Permanently)". "Resolved by caller" would claim the person fixed it themselves.
DEFAULT_CLOSE_CODE = "Solution provided"


class ServiceNowIncidents:
    """Creates and follows one incident per ticket; `correlation_id` holds our ticket id.

    The integration user needs the `itil` role (create and update incidents, read users). The requester is
    linked as the caller by looking up the `sys_user` whose e-mail matches and sending its sys_id: a plain
    e-mail in the `caller_id` reference would be matched against user *names* and silently dropped. When no
    user matches, the requester is written into the description instead.
    """

    name = "servicenow"

    def __init__(
        self,
        *,
        instance_url: str,
        user: str,
        password: str,
        timeout_seconds: float = 10.0,
        close_code: str = DEFAULT_CLOSE_CODE,
    ) -> None:
        self._api = JsonClient(
            service="ServiceNow",
            base_url=instance_url,
            user=user,
            secret=password,
            timeout_seconds=timeout_seconds,
            error_detail=_error_detail,
        )
        self._close_code = close_code

    async def close(self) -> None:
        await self._api.close()

    async def create(self, ticket: MirrorTicket) -> str:
        """The incident's sys_id; an incident already carrying this ticket's id is reused, not duplicated.

        The look-up first makes a retry safe after a create whose answer was lost on the way back.
        """
        existing = await self._find_one(
            INCIDENTS, {"correlation_id": ticket.id}, operation=f"look for the incident of {ticket.id}"
        )
        if existing is not None:
            log.info("servicenow_incident_reused", ticket=ticket.id, sys_id=existing)
            return existing
        caller = await self._caller(ticket.requester_email)
        impact, urgency = IMPACT_URGENCY.get(ticket.priority, IMPACT_URGENCY["P3"])
        requester = _requester(ticket)
        description = (
            f"Requester: {requester}\n\n{ticket.description}" if requester and not caller else (ticket.description)
        )
        body: dict[str, Any] = {
            "short_description": ticket.title[:SHORT_DESCRIPTION_LIMIT],
            "description": description,
            "impact": impact,
            "urgency": urgency,
            "category": CATEGORIES.get(ticket.category, "inquiry"),
            "correlation_id": ticket.id,
            "correlation_display": CORRELATION_DISPLAY,
        }
        if caller is not None:
            body["caller_id"] = caller
        answer = await self._api.send(
            "POST",
            INCIDENTS,
            body=body,
            params={"sysparm_fields": "sys_id,number"},
            operation=f"create the incident for {ticket.id}",
        )
        result = answer.body.get("result") if isinstance(answer.body, dict) else None
        record: dict[str, Any] = result if isinstance(result, dict) else {}
        sys_id = text_or_none(record.get("sys_id"))
        if sys_id is None:
            # Retrying is safe: the next attempt finds the incident by its correlation id if it was made.
            raise ItsmError(
                f"ServiceNow's answer to creating the incident for {ticket.id} had no sys_id", retryable=True
            )
        log.info("servicenow_incident_created", ticket=ticket.id, number=record.get("number"))
        return sys_id

    async def comment(self, external_id: str, text: str, *, internal: bool) -> None:
        """A work note (staff only) when `internal`, else an additional comment the caller sees."""
        await self._update(external_id, {"work_notes" if internal else "comments": text}, operation="add a note")

    async def set_status(self, external_id: str, status: str) -> None:
        """claimed → In Progress; waiting_on_user → On Hold (Awaiting Caller); other statuses leave it as it is."""
        if status == "claimed":
            await self._update(external_id, {"state": STATE_IN_PROGRESS}, operation="set In Progress")
        elif status == "waiting_on_user":
            await self._update(
                external_id, {"state": STATE_ON_HOLD, "hold_reason": HOLD_AWAITING_CALLER}, operation="put on hold"
            )
        else:
            log.info("servicenow_status_not_mirrored", sys_id=external_id, status=status)

    async def resolve(self, external_id: str, note: str) -> None:
        """Resolved, with the resolution code and the note as resolution notes (both mandatory there)."""
        await self._update(
            external_id,
            {"state": STATE_RESOLVED, "close_code": self._close_code, "close_notes": note or "Resolved by IT support."},
            operation="resolve",
        )

    async def _update(self, sys_id: str, fields: dict[str, str], *, operation: str) -> None:
        await self._api.send(
            "PATCH",
            f"{INCIDENTS}/{path_segment(sys_id)}",
            body=fields,
            params={"sysparm_fields": "sys_id"},
            operation=f"{operation} on incident {sys_id}",
        )

    async def _caller(self, email: str | None) -> str | None:
        """The sys_id of the active user with this e-mail; None when there is none or users may not be read."""
        if not email:
            return None
        try:
            return await self._find_one(
                USERS, {"email": email, "active": "true"}, operation="look up the caller by e-mail"
            )
        except ItsmError as error:
            if error.retryable:
                raise
            # A role without read access to users should not stop incidents from being mirrored.
            log.warning("servicenow_caller_lookup_refused", error=str(error))
            return None

    async def _find_one(self, table: str, terms: dict[str, str], *, operation: str) -> str | None:
        """The sys_id of the first record whose fields equal `terms` (an encoded query joined by ^)."""
        if any("^" in value or "\n" in value for value in terms.values()):
            return None  # "^" separates query terms: such a value could widen the search, so it matches nothing
        query = "^".join(f"{field}={value}" for field, value in terms.items())
        answer = await self._api.send(
            "GET",
            table,
            operation=operation,
            params={"sysparm_query": query, "sysparm_fields": "sys_id", "sysparm_limit": "1"},
        )
        found = answer.body.get("result") if isinstance(answer.body, dict) else None
        first = found[0] if isinstance(found, list) and found and isinstance(found[0], dict) else None
        return text_or_none(first.get("sys_id")) if first is not None else None


def _requester(ticket: MirrorTicket) -> str:
    """ "Name <e-mail>", or whichever of the two is known."""
    name, email = ticket.requester_name, ticket.requester_email
    return f"{name} <{email}>" if name and email else name or email or ""


def _error_detail(body: Any) -> str | None:
    """ServiceNow's `{"error": {"message", "detail"}, "status": "failure"}`, as one line."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None
    parts = [text for key in ("message", "detail") if (text := text_or_none(error.get(key)))]
    return ": ".join(parts) or None
