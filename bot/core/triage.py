"""A ticket's triage as the hand-off sees it: who reported it, and the category, group and priority it got.

The TicketTriage port (bot/core/ports.py) returns these; bot/triage/ has the classifiers and the priority matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["low", "medium", "high"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high")


@dataclass(frozen=True, kw_only=True)
class PriorityAssessment:
    impact: Level
    urgency: Level
    priority: str
    why: str


@dataclass(frozen=True, kw_only=True)
class Person:
    """What triage may know about who reported it (all optional)."""

    email: str | None = None
    department: str | None = None


@dataclass(frozen=True, kw_only=True)
class TriageResult:
    category: str  # UNSURE_CATEGORY when the model is not sure
    suggested_category: str  # the model's best guess, sure or not
    category_confidence: float
    group: str
    group_confidence: float | None  # None: routed by category (staff.yml), not predicted
    unsure: bool
    priority: PriorityAssessment

    def to_dict(self) -> dict[str, object]:
        return {
            "category": self.category,
            "suggested_category": self.suggested_category,
            "category_confidence": round(self.category_confidence, 3),
            "group": self.group,
            "group_confidence": None if self.group_confidence is None else round(self.group_confidence, 3),
            "unsure": self.unsure,
            "impact": self.priority.impact,
            "urgency": self.priority.urgency,
            "priority": self.priority.priority,
            "why": self.priority.why,
        }
