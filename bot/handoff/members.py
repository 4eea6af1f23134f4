"""Who may work a group's tickets: the listed members, members of its directory group, and the staff token."""

from __future__ import annotations

import structlog

from bot.core.directory import DirectoryError, names_group
from bot.core.ports import Directory
from bot.core.tickets import ResolverGroup, StaffMember
from bot.handoff.routing import StaffConfig

log = structlog.get_logger(__name__)


class StaffMembership:
    """Answers "may this person work this group's queue?" — from the configuration, then the directory."""

    def __init__(self, *, config: StaffConfig, directory: Directory | None) -> None:
        self._config = config
        self._directory = directory

    async def may_work(self, staff: StaffMember, group: ResolverGroup) -> bool:
        if staff.every_group or group.lists(staff.email):
            return True
        if group.directory_group is None or self._directory is None or not staff.email:
            return False
        try:
            accounts = await self._directory.find_by_email(staff.email)
        except DirectoryError as error:  # cannot confirm membership: refuse, never guess
            log.warning("staff_membership_unknown", group=group.name, error=str(error))
            return False
        if len(accounts) != 1 or not accounts[0].enabled:
            return False
        return names_group(accounts[0].groups, group.directory_group)

    async def groups_of(self, staff: StaffMember) -> list[str]:
        """The groups whose queues `staff` may see."""
        return [group.name for group in self._config.groups.values() if await self.may_work(staff, group)]
