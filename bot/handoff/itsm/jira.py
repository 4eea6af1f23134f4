"""Tickets mirrored as Jira Service Management requests (Cloud REST API, basic auth with e-mail and API token)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog

from bot.core.itsm import ItsmError, MirrorTicket
from bot.core.json_api import path_segment, text_or_none
from bot.handoff.itsm.http import JsonClient

log = structlog.get_logger(__name__)

REQUESTS = "/rest/servicedeskapi/request"
ISSUES = "/rest/api/2/issue"  # v2, not v3: v2 takes comments as plain text rather than Atlassian Document Format
SUMMARY_LIMIT = 255  # Jira refuses longer summaries

# Transition names (or the names of the statuses they lead to) tried in order, case-insensitively.
DEFAULT_TRANSITIONS: Mapping[str, Sequence[str]] = {
    "claimed": ("In progress", "Start progress"),
    "waiting_on_user": ("Waiting for customer", "Pending"),
    "resolved": ("Resolve", "Resolve this issue", "Done"),
}
DEFAULT_RESOLUTION = "Done"  # set when the resolve transition's screen asks for a resolution


class JiraServiceDesk:
    """Raises one customer request per ticket in a service desk, then follows it as an agent.

    The account must be an agent of the service desk. Requests are raised on behalf of the requester by e-mail
    address; Atlassian documents `raiseOnBehalfOf` as an account id, so when Jira refuses the address (400) the
    request is raised by the bot's account instead, with the requester named in the description.

    Status changes use the Jira platform's issue transitions: the service desk API's own transition list holds
    only the transitions customers may use (such as "Resolve this issue" on the portal), not an agent's
    "Start progress" or "Pending".
    """

    name = "jira"

    def __init__(
        self,
        *,
        site_url: str,
        email: str,
        api_token: str,
        service_desk_id: str,
        request_type_id: str,
        timeout_seconds: float = 10.0,
        transitions: Mapping[str, Sequence[str]] = DEFAULT_TRANSITIONS,
        resolution: str = DEFAULT_RESOLUTION,
    ) -> None:
        if not service_desk_id.strip() or not request_type_id.strip():
            raise ValueError("Jira needs a service desk id and a request type id")
        self._api = JsonClient(
            service="Jira",
            base_url=site_url,
            user=email,
            secret=api_token,
            timeout_seconds=timeout_seconds,
            error_detail=_error_detail,
        )
        self._desk, self._request_type = service_desk_id.strip(), request_type_id.strip()
        self._transitions = {status: tuple(names) for status, names in transitions.items()}
        self._resolution = resolution

    async def close(self) -> None:
        await self._api.close()

    async def create(self, ticket: MirrorTicket) -> str:
        """The new request's issue key (e.g. IT-42)."""
        operation = f"raise the request for {ticket.id}"
        on_behalf = ticket.requester_email is not None
        answer = await self._api.send(
            "POST",
            REQUESTS,
            body=self._request(ticket, on_behalf=on_behalf),
            operation=operation,
            allow=(400,) if on_behalf else (),
        )
        if answer.status == 400:
            log.info("jira_raise_on_behalf_refused", ticket=ticket.id, error=_error_detail(answer.body))
            answer = await self._api.send(
                "POST", REQUESTS, body=self._request(ticket, on_behalf=False), operation=operation
            )
        key = text_or_none(answer.body.get("issueKey")) if isinstance(answer.body, dict) else None
        if key is None:
            raise ItsmError(f"Jira's answer to raising the request for {ticket.id} had no issue key", retryable=True)
        log.info("jira_request_created", ticket=ticket.id, issue=key)
        return key

    async def comment(self, external_id: str, text: str, *, internal: bool) -> None:
        """An internal comment (agents only) when `internal`, else a reply the customer sees."""
        await self._api.send(
            "POST",
            f"{REQUESTS}/{path_segment(external_id)}/comment",
            body={"body": text, "public": not internal},
            operation=f"comment on {external_id}",
        )

    async def set_status(self, external_id: str, status: str) -> None:
        """Take the first matching transition; none available (or none configured) leaves the request as it is."""
        names = self._transitions.get(status, ())
        if not names or not await self._transition(external_id, names):
            log.info("jira_status_not_mirrored", issue=external_id, status=status)

    async def resolve(self, external_id: str, note: str) -> None:
        """Take the resolve transition with the note as a comment the customer sees."""
        names = self._transitions.get("resolved", ())
        if not names or not await self._transition(external_id, names, note=note):
            raise ItsmError(
                f"Jira offers no transition named {' / '.join(names) or '(none configured)'} on "
                f"{external_id}: it may be resolved already, or its workflow uses other names",
                retryable=False,
            )

    def _request(self, ticket: MirrorTicket, *, on_behalf: bool) -> dict[str, Any]:
        header = f"Helpdesk ticket {ticket.id} ({ticket.priority}, {ticket.category})"
        requester = ticket.requester_name or ticket.requester_email
        if requester and not on_behalf:
            email = f" <{ticket.requester_email}>" if ticket.requester_email and ticket.requester_name else ""
            header += f"\nRequester: {requester}{email}"
        summary = " ".join(ticket.title.split())[:SUMMARY_LIMIT] or ticket.id
        body: dict[str, Any] = {
            "serviceDeskId": self._desk,
            "requestTypeId": self._request_type,
            "requestFieldValues": {"summary": summary, "description": f"{header}\n\n{ticket.description}"},
        }
        if on_behalf:
            body["raiseOnBehalfOf"] = ticket.requester_email
        return body

    async def _transition(self, key: str, names: Sequence[str], *, note: str | None = None) -> bool:
        """Perform the first transition matching `names`; False when the issue offers none of them."""
        path = f"{ISSUES}/{path_segment(key)}/transitions"
        answer = await self._api.send(
            "GET", path, params={"expand": "transitions.fields"}, operation=f"list the transitions of {key}"
        )
        found = answer.body.get("transitions") if isinstance(answer.body, dict) else None
        chosen = _pick([t for t in found if isinstance(t, dict)] if isinstance(found, list) else [], names)
        if chosen is None:
            return False
        body: dict[str, Any] = {"transition": {"id": chosen["id"]}}
        if note:
            body["update"] = {"comment": [{"add": {"body": note}}]}
        if isinstance(chosen.get("fields"), dict) and "resolution" in chosen["fields"]:
            body["fields"] = {"resolution": {"name": self._resolution}}
        await self._api.send("POST", path, body=body, operation=f"move {key} through {chosen.get('name')!r}")
        return True


def _pick(transitions: list[dict[str, Any]], names: Sequence[str]) -> dict[str, Any] | None:
    """The first transition, in the order of `names`, whose own name or target status has that name."""
    for name in (name.casefold() for name in names):
        for transition in transitions:
            target = transition.get("to")
            labels = (transition.get("name"), target.get("name") if isinstance(target, dict) else None)
            if transition.get("id") and any(isinstance(label, str) and label.casefold() == name for label in labels):
                return transition
    return None


def _error_detail(body: Any) -> str | None:
    """The service desk API's `errorMessage`, or the platform's `errorMessages` and per-field `errors`."""
    if not isinstance(body, dict):
        return None
    if message := text_or_none(body.get("errorMessage")):
        return message
    messages = body.get("errorMessages")
    parts = [text for text in messages if isinstance(text, str)] if isinstance(messages, list) else []
    fields = body.get("errors")
    if isinstance(fields, dict):
        parts += [f"{field}: {text}" for field, text in fields.items() if isinstance(text, str)]
    return "; ".join(parts) or None
