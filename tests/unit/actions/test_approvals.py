"""Approval requests: one that nobody decides in time can no longer be approved, only expired."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.actions.approvals import Approval, SqlApprovals
from bot.core.model import ConversationRef
from bot.store.sql.database import Database
from tests.support.clock import FakeClock

pytestmark = pytest.mark.asyncio


async def ask_for_vpn(approvals: SqlApprovals) -> Approval:
    return await approvals.create(
        action="request_access",
        item_id="vpn",
        requester_email="Alice@Example.org",
        requester_account="alice",
        conversation=ConversationRef(channel="web", id="c-1"),
        requester_user_id="web-alice",
        approver_email="bob@example.org",
        reason="working from home",
        lifetime=timedelta(hours=24),
    )


async def test_an_approval_can_be_decided_until_it_expires(database: Database) -> None:
    clock = FakeClock()
    approvals = SqlApprovals(database=database, clock=clock)
    first, second = await ask_for_vpn(approvals), await ask_for_vpn(approvals)
    assert first.expires_at == clock.now() + timedelta(hours=24)

    clock.advance(hours=23, minutes=59)
    assert await approvals.overdue() == []
    assert await approvals.move(first.id, from_status="pending", to_status="approved", decided_by="bob@example.org")

    clock.advance(minutes=1)  # a day has passed: the undecided one is overdue and can no longer be approved
    assert [approval.id for approval in await approvals.overdue()] == [second.id]
    assert not await approvals.move(second.id, from_status="pending", to_status="approved")
    assert await approvals.move(second.id, from_status="pending", to_status="expired")
    assert await approvals.overdue() == []
