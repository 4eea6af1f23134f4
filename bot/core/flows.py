"""Typed conversation flows: what the engine remembers between the turns of a multi-turn exchange.

A conversation has at most one flow in progress. Each flow is a frozen dataclass; the store keeps its kind in the
`flow` column and its fields in the `flow_data` JSON (the field names are the keys stored before flows were typed,
so existing databases keep working). Stored flows are validated when loaded: one that does not validate is logged
and dropped — the person then simply starts afresh — never a crash in the middle of a turn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import structlog
from pydantic import AwareDatetime, Field, TypeAdapter, ValidationError

log = structlog.get_logger(__name__)

ActionStep = Literal["confirm", "item", "code"]


@dataclass(frozen=True, kw_only=True)
class ClarifyFlow:
    """The bot offered articles for an ambiguous question and waits for the person's pick."""

    kind: Literal["clarify"] = "clarify"
    question: str
    options: tuple[str, ...]  # the offered article ids, best first
    confidence: float


@dataclass(frozen=True, kw_only=True)
class ActionFlow:
    """A self-service action between its steps: pick an item → confirm → one-time code → done (bot/actions)."""

    kind: Literal["action"] = "action"
    action: str  # the intent, e.g. "reset_password"
    email: str  # the verified requester
    account: str  # the directory id of their account, looked up from the chat identity
    reason: str  # why: the intent and its confidence, for the audit log
    step: ActionStep
    expires: AwareDatetime  # a naive time could not be compared with now: refused when loaded
    wrong: Annotated[int, Field(ge=0)] = 0  # wrong codes so far
    item: str | None = None  # the catalog item, for access and software requests
    approver: str = ""  # who approves the item ("" when nobody needs to)
    verified: bool = False  # the second factor was accepted
    method: Literal["totp", "email"] | None = None  # the second factor asked for
    address: str = ""  # the masked address an e-mailed code went to

    def __post_init__(self) -> None:
        if self.step == "code" and self.method is None:  # checked when loaded too: pydantic runs this
            raise ValueError("an action flow waiting for a code names the second factor it asked for")

    @property
    def awaits_code(self) -> bool:
        """True while the next message is a one-time code: it must never be stored or copied anywhere."""
        return self.step == "code"


Flow = ActionFlow | ClarifyFlow
_FLOW: TypeAdapter[Flow] = TypeAdapter(Annotated[Flow, Field(discriminator="kind")])


def flow_from_stored(kind: str | None, data: Mapping[str, Any] | None) -> Flow | None:
    """The flow stored as `kind` (the `flow` column) and `data` (`flow_data`); None when none or invalid."""
    if kind is None:
        return None
    try:
        return _FLOW.validate_python({**(data or {}), "kind": kind})
    except ValidationError as error:
        # Which fields failed, never their values: a flow holds e-mail addresses.
        log.warning(
            "stored_flow_invalid",
            kind=kind,
            errors=[f"{'.'.join(map(str, e['loc']))}: {e['type']}" for e in error.errors()],
        )
        return None


def flow_to_stored(flow: Flow | None) -> tuple[str | None, dict[str, Any]]:
    """The (`flow`, `flow_data`) pair to store for `flow`: the inverse of `flow_from_stored`."""
    if flow is None:
        return None, {}
    data = _FLOW.dump_python(flow, mode="json")
    return str(data.pop("kind")), data
