"""This replica's copy of the recent reports that belong to no incident: the surge check's first look.

Reading every unlinked report of the window from the database for every new report made the check cost grow
with the window's size, so a busy hour slowed every turn (measured: 64 messages a second fell to 17 answered a
second). Here each check reads only what was stored since the previous one, from every replica, with an overlap
for transactions that committed late. The copy may still list reports that another replica has since linked to
an incident; it is only a filter: a surge it suggests is checked against the database before anything opens.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.incidents.detector import Report
from bot.incidents.store import SqlIncidents

# Reports stored up to this long before the previous check are read again: another replica's insert may commit
# after a check that started later than its timestamp.
OVERLAP = timedelta(seconds=30)


class RecentReports:
    def __init__(self, incidents: SqlIncidents, *, window: timedelta) -> None:
        self._incidents = incidents
        self._window = window
        self._reports: dict[int, Report] = {}
        self._read_until: datetime | None = None

    async def around(self, now: datetime) -> list[Report]:
        """The unlinked reports of the window ending `now`, as far as this replica knows."""
        start = now - self._window
        if self._read_until is None or now < self._read_until:  # first look, or a clock that went back
            self._reports.clear()
            since = start
        else:
            since = max(start, self._read_until - OVERLAP)
        for report in await self._incidents.unlinked_reports(since):
            self._reports[report.id] = report
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
