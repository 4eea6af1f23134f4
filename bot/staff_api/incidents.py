"""Incidents in the staff API: list suspected and confirmed incidents, confirm one, resolve one.

Same callers as the rest of /api/staff (the staff token, or the proxy's person); a person must work the default
group (staff.yml), which is where incident alerts go.
"""

from __future__ import annotations

from typing import Any

import structlog
from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field

from bot.channels.runtime.http import read_json
from bot.core.tickets import ResolverGroup, StaffMember
from bot.handoff.members import StaffMembership
from bot.handoff.operations import NotAllowed
from bot.incidents.store import Incident
from bot.incidents.tracker import IncidentTracker
from bot.staff_api.console import StaffAuth, iso_or_none, parse_body, refuse

log = structlog.get_logger(__name__)


class ConfirmRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    title: str | None = Field(default=None, max_length=200)  # what people are told it is


class ResolveIncidentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    note: str | None = Field(default=None, max_length=2000)  # told to everyone who reported it


class IncidentRoutes:
    def __init__(
        self, *, incidents: IncidentTracker, auth: StaffAuth, membership: StaffMembership, group: ResolverGroup
    ) -> None:
        self._incidents = incidents
        self._auth = auth
        self._membership = membership
        self._group = group

    def register(self, app: web.Application) -> None:
        app.router.add_get("/api/staff/incidents", self.list_incidents)
        app.router.add_post("/api/staff/incidents/{incident}/confirm", self.confirm)
        app.router.add_post("/api/staff/incidents/{incident}/resolve", self.resolve)

    async def list_incidents(self, request: web.Request) -> web.Response:
        await self._staff(request)
        found = await self._incidents.all(include_resolved=request.query.get("status") == "all")
        return web.json_response({"incidents": [incident_json(incident) for incident in found]})

    async def confirm(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        body = parse_body(ConfirmRequest, await read_json(request))
        incident = await self._incidents.confirm(request.match_info["incident"], actor=staff.name, title=body.title)
        return web.json_response({"incident": incident_json(incident)})

    async def resolve(self, request: web.Request) -> web.Response:
        staff = await self._staff(request)
        body = parse_body(ResolveIncidentRequest, await read_json(request))
        incident = await self._incidents.resolve(request.match_info["incident"], actor=staff.name, note=body.note)
        return web.json_response({"incident": incident_json(incident)})

    async def _staff(self, request: web.Request) -> StaffMember:
        staff = refuse(self._auth, request)
        if not await self._membership.may_work(staff, self._group):
            log.warning("staff_refused", about="incidents", staff=staff.id, group=self._group.name)
            raise NotAllowed(f"incidents are handled by {self._group.label}, and you are not one of its members")
        return staff


def incident_json(incident: Incident) -> dict[str, Any]:
    return {
        "id": incident.id,
        "status": incident.status.value,
        "summary": incident.summary,
        "title": incident.title,
        "reporters": incident.reporters,
        "opened_at": incident.opened_at.isoformat(),
        "confirmed_at": iso_or_none(incident.confirmed_at),
        "confirmed_by": incident.confirmed_by,
        "resolved_at": iso_or_none(incident.resolved_at),
        "resolved_by": incident.resolved_by,
        "resolution": incident.resolution,
    }
