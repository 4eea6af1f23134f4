"""Flows are typed when loaded: what was stored before types loads as before; anything broken is dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from structlog.testing import capture_logs

from bot.core.flows import ActionFlow, ClarifyFlow, flow_from_stored, flow_to_stored

SOON = datetime(2026, 12, 2, 9, 30, tzinfo=UTC)
# What the untyped engine stored for a password reset waiting for an e-mailed code (keys and value shapes).
OLD_CODE_STEP = {
    "action": "reset_password",
    "email": "alice@example.org",
    "account": "uid=alice,ou=people",
    "reason": "intent reset_password (confidence 0.91)",
    "step": "code",
    "wrong": 1,
    "expires": SOON.isoformat(),
    "method": "email",
    "address": "a•••@home.example",
}


def test_an_action_flow_stored_before_flows_were_typed_loads_with_its_fields() -> None:
    flow = flow_from_stored("action", OLD_CODE_STEP)
    assert flow == ActionFlow(
        action="reset_password",
        email="alice@example.org",
        account="uid=alice,ou=people",
        reason="intent reset_password (confidence 0.91)",
        step="code",
        wrong=1,
        expires=SOON,
        method="email",
        address="a•••@home.example",
    )
    assert flow.awaits_code


def test_an_old_access_request_and_an_old_clarify_question_load_too() -> None:
    request = flow_from_stored(
        "action",
        {
            "action": "request_access",
            "email": "alice@example.org",
            "account": "uid=alice",
            "reason": "r",
            "step": "confirm",
            "wrong": 0,
            "expires": SOON.isoformat(),
            "item": "vpn",
            "approver": "bob@example.org",
        },
    )
    assert isinstance(request, ActionFlow)
    assert request.item == "vpn"
    assert request.approver == "bob@example.org"
    assert not request.verified
    assert not request.awaits_code
    clarify = flow_from_stored(
        "clarify", {"question": "printer", "options": ["printer-jam", "printer-add"], "confidence": 0.41}
    )
    assert clarify == ClarifyFlow(question="printer", options=("printer-jam", "printer-add"), confidence=0.41)


@pytest.mark.parametrize(
    "flow",
    [
        ActionFlow(
            action="unlock_account",
            email="alice@example.org",
            account="uid=alice",
            reason="r",
            step="confirm",
            expires=SOON + timedelta(minutes=5),
        ),
        ClarifyFlow(question="wifi", options=("wifi-connect",), confidence=0.5),
    ],
)
def test_what_is_stored_is_kept_in_the_old_columns_and_loads_back_unchanged(flow: ActionFlow | ClarifyFlow) -> None:
    kind, data = flow_to_stored(flow)
    assert kind == flow.kind
    assert "kind" not in data
    assert flow_from_stored(kind, data) == flow


def test_no_flow_is_stored_as_nothing() -> None:
    assert flow_to_stored(None) == (None, {})
    assert flow_from_stored(None, {}) is None
    assert flow_from_stored(None, {"question": "left over"}) is None


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        ("action", {**OLD_CODE_STEP, "expires": "2026-12-02T09:30:00"}),  # no time zone: not comparable with now
        ("action", {**OLD_CODE_STEP, "method": None}),  # waiting for a code without saying which kind
        ("action", {**OLD_CODE_STEP, "wrong": -1}),
        ("action", {**OLD_CODE_STEP, "step": "launch"}),
        ("action", {"step": "confirm"}),
        ("clarify", {"options": ["a", "b"]}),
        ("clarify", None),
        ("wizard", {"question": "from a newer version"}),
    ],
)
def test_a_stored_flow_that_does_not_validate_is_logged_and_dropped(kind: str, data: dict[str, object]) -> None:
    with capture_logs() as logs:
        assert flow_from_stored(kind, data) is None
    [warning] = logs
    assert warning["event"] == "stored_flow_invalid"
    assert warning["kind"] == kind
    assert "alice@example.org" not in str(warning)  # which fields failed, never their values
