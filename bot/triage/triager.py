"""Triage of one ticket or a batch: category and resolver group from the classifiers, priority from the matrix."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bot.core.intents import ACTION_INTENTS
from bot.core.ports import Embedder
from bot.triage.classifier import Prediction, TicketClassifier, Vectors
from bot.triage.config import TriageConfig
from bot.triage.priority import PriorityAssessment, assess_priority

UNSURE_CATEGORY = "general"

# A detected self-service intent names the category better than any text model.
INTENT_CATEGORIES = {"reset_password": "account", "unlock_account": "account", "reset_mfa": "account",
                     "request_access": "access", "request_software": "software"}
if set(INTENT_CATEGORIES) != ACTION_INTENTS:  # checked at import, so a new action intent cannot be forgotten here
    raise RuntimeError("INTENT_CATEGORIES must name exactly the action intents")


@dataclass(frozen=True, kw_only=True)
class Person:
    """What triage may know about who reported it (all optional)."""

    email: str | None = None
    department: str | None = None


@dataclass(frozen=True, kw_only=True)
class TriageResult:
    category: str             # UNSURE_CATEGORY when the model is not sure
    suggested_category: str   # the model's best guess, sure or not
    category_confidence: float
    group: str
    group_confidence: float | None  # None: routed by category (staff.yml), not predicted
    unsure: bool
    priority: PriorityAssessment

    def to_dict(self) -> dict[str, object]:
        return {"category": self.category, "suggested_category": self.suggested_category,
                "category_confidence": round(self.category_confidence, 3), "group": self.group,
                "group_confidence": None if self.group_confidence is None else round(self.group_confidence, 3),
                "unsure": self.unsure, "impact": self.priority.impact, "urgency": self.priority.urgency,
                "priority": self.priority.priority, "why": self.priority.why}


class Triager:
    """Classifies with the category model (and a group model when one was trained), routes, prioritises."""

    def __init__(self, *, embedder: Embedder, category_model: TicketClassifier, group_model: TicketClassifier | None,
                 config: TriageConfig, route: Callable[[str], str], default_group: str,
                 known_groups: frozenset[str]) -> None:
        self._embedder = embedder
        self._category_model = category_model
        self._group_model = group_model
        self._config = config
        self._route = route
        self._default_group = default_group
        self._known_groups = known_groups

    @property
    def config(self) -> TriageConfig:
        return self._config

    async def triage(self, question: str, *, conversation: str | None = None, intent: str | None = None,
                     person: Person | None = None, reporters: int = 1) -> TriageResult:
        """Triage one problem. The category comes from `question` (what the person needs: "talk to a person"
        and button clicks only blur it); urgency and impact words count anywhere in `conversation`."""
        vectors = await self._embedder.embed([question])
        return self.triage_embedded([question], vectors, intents=[intent], people=[person],
                                    conversations=[conversation], reporters=[reporters])[0]

    def triage_embedded(self, texts: Sequence[str], vectors: Vectors, *, intents: Sequence[str | None],
                        people: Sequence[Person | None] | None = None,
                        conversations: Sequence[str | None] | None = None,
                        reporters: Sequence[int] | None = None) -> list[TriageResult]:
        """Triage texts whose embeddings are already computed (batch mode embeds once for intents and triage)."""
        categories = self._category_model.predict(texts=texts, vectors=vectors)
        groups: Sequence[Prediction | None] = (self._group_model.predict(texts=texts, vectors=vectors)
                                               if self._group_model is not None else [None] * len(texts))
        results = []
        for index, text in enumerate(texts):
            person = (people[index] if people is not None else None) or Person()
            conversation = conversations[index] if conversations is not None else None
            priority = assess_priority(text=conversation or text, config=self._config.priority, question=text,
                                       email=person.email, department=person.department,
                                       reporters=reporters[index] if reporters is not None else 1)
            results.append(self._decide(categories[index], groups[index], intents[index], priority))
        return results

    def _decide(self, category: Prediction, group: Prediction | None, intent: str | None,
                priority: PriorityAssessment) -> TriageResult:
        sure = category.confidence >= self._config.min_confidence
        label = category.label if sure else INTENT_CATEGORIES.get(intent or "", UNSURE_CATEGORY)
        unsure = label == UNSURE_CATEGORY
        if group is not None and group.confidence >= self._config.min_confidence and group.label in self._known_groups:
            chosen, group_confidence = group.label, group.confidence
        else:
            chosen, group_confidence = (self._default_group if unsure else self._route(label)), None
        return TriageResult(category=label, suggested_category=category.label,
                            category_confidence=category.confidence, group=chosen, group_confidence=group_confidence,
                            unsure=unsure, priority=priority)
