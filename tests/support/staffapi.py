"""Driving the staff API (/api/staff/…) as a person from IT would through the console."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient

STAFF_TOKEN = "staff-token-for-tests-0123456789"
PROXY_SECRET = "proxy-secret-for-tests"


@dataclass
class StaffClient:
    """One caller of the staff API: with the staff token, or as a person the proxy vouches for."""

    client: TestClient[web.Request, web.Application]
    headers: dict[str, str]

    @classmethod
    def with_token(cls, client: TestClient[web.Request, web.Application], token: str = STAFF_TOKEN) -> StaffClient:
        return cls(client=client, headers={"Authorization": f"Bearer {token}"})

    @classmethod
    def behind_proxy(cls, client: TestClient[web.Request, web.Application], *, email: str, name: str) -> StaffClient:
        return cls(
            client=client,
            headers={
                "X-Helpdesk-Proxy-Secret": PROXY_SECRET,
                "X-Forwarded-User": email,
                "X-Forwarded-Email": email,
                "X-Forwarded-Preferred-Username": name,
            },
        )

    async def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        response = await self.client.request(method, f"/api/staff{path}", json=body, headers=self.headers)
        return response.status, await response.json()

    async def tickets(self, status: str = "active") -> list[dict[str, Any]]:
        status_code, payload = await self.call("GET", f"/tickets?status={status}")
        assert status_code == 200, payload
        return list(payload["tickets"])

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        status_code, payload = await self.call("GET", f"/tickets/{ticket_id}")
        assert status_code == 200, payload
        return dict(payload)

    async def ok(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """A call that must succeed."""
        status_code, payload = await self.call(method, path, body)
        assert status_code in (200, 201), payload
        return dict(payload)


def write_staff_config(
    path: Path,
    *,
    members: list[str],
    lead: str | None = None,
    slack_channel: str | None = None,
    teams_channel: str | None = None,
    teams_team: str | None = None,
    first_response_minutes: float = 30,
) -> Path:
    """A staff.yml with one service-desk group (and the given members) next to the test's database."""
    targets = {
        priority: {"first_response": first_response_minutes, "resolution": 480} for priority in ("P1", "P2", "P3", "P4")
    }
    config = {
        "groups": {
            "service-desk": {
                "label": "Service desk",
                "members": members,
                "lead": lead,
                "slack_channel": slack_channel,
                "teams_channel": teams_channel,
                "teams_team": teams_team,
            }
        },
        "default_group": "service-desk",
        "sla": targets,
    }
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path
