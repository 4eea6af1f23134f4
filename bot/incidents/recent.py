"""This replica's copy of the recent reports that belong to no incident: the surge check's first look.

Reading every unlinked report of the window from the database for every new report made the check cost grow
with the window's size, so a busy hour slowed every turn (measured: 64 messages a second fell to 17 answered a
second). Here each check reads only what was stored since the previous one, from every replica, with an overlap
for inserts that committed out of id order. The copy may still list reports that another replica has since linked to
an incident; it is only a filter: a surge it suggests is checked against the database before anything opens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.incidents.detector import Report
from bot.incidents.store import SqlIncidents

# The newest ids seen are read again: ids are handed out when an insert starts, so on PostgreSQL a report can
# commit after one with a greater id; at most as many as there are inserts in flight across the replicas.
OVERLAP_IDS = 500


class RecentReports:
    def __init__(self, incidents: SqlIncidents, *, window: timedelta) -> None:
        self._incidents = incidents
        self._window = window
        self._reports: dict[int, Report] = {}
        self._read_until: datetime | None = None
        self._newest_id = 0

    async def around(self, now: datetime) -> list[Report]:
        """The unlinked reports of the window ending `now`, as far as this replica knows."""
        start = now - self._window
        if self._read_until is None or now < self._read_until:  # first look, or a clock that went back
            self._reports.clear()
            self._newest_id = 0
        for report in await self._incidents.unlinked_reports(start, after_id=max(0, self._newest_id - OVERLAP_IDS)):
            self._reports[report.id] = report
            self._newest_id = max(self._newest_id, report.id)
        self._read_until = now
        for report_id in [i for i, report in self._reports.items() if report.at < start]:
            del self._reports[report_id]
        return list(self._reports.values())

    def remember(self, report: Report) -> None:
        """A report this replica just stored (seen at once, without waiting for the next read)."""
        self._reports[report.id] = report

    def forget(self, report_ids: list[int]) -> None:
        """Reports this replica linked to an incident."""
        for report_id in report_ids:
            self._reports.pop(report_id, None)
