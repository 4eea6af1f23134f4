"""Triage of one ticket or a batch: category and resolver group from the classifiers, priority from the matrix."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.intents import ACTION_INTENTS
from bot.core.ports import Embedder
from bot.core.triage import Person, PriorityAssessment, TriageResult
from bot.triage.classifier import Prediction, TicketClassifier, Vectors
from bot.triage.config import TriageConfig
from bot.triage.priority import assess_priority

UNSURE_CATEGORY = "general"

# A detected self-service intent names the category better than any text model.
INTENT_CATEGORIES = {
    "reset_password": "account",
    "unlock_account": "account",
    "reset_mfa": "account",
    "request_access": "access",
    "request_software": "software",
}
if set(INTENT_CATEGORIES) != ACTION_INTENTS:  # checked at import, so a new action intent cannot be forgotten here
    raise RuntimeError("INTENT_CATEGORIES must name exactly the action intents")


class Triager:
    """Implements the core's TicketTriage port: classifies with the category model (and a group model when one
    was trained), routes, prioritises."""

    def __init__(
        self,
        *,
        embedder: Embedder,
        category_model: TicketClassifier,
        group_model: TicketClassifier | None,
        config: TriageConfig,
        route: Callable[[str], str],
        default_group: str,
        known_groups: frozenset[str],
    ) -> None:
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

    async def triage(
        self,
        question: str,
        *,
        conversation: str | None = None,
        intent: str | None = None,
        person: Person | None = None,
        reporters: int = 1,
    ) -> TriageResult:
        """Triage one problem. The category comes from `question` (what the person needs: "talk to a person"
        and button clicks only blur it); urgency and impact words count anywhere in `conversation`."""
        vectors = await self._embedder.embed([question])
        return self.triage_embedded(
            [question], vectors, intents=[intent], people=[person], conversations=[conversation], reporters=[reporters]
        )[0]

    def triage_embedded(
        self,
        texts: Sequence[str],
        vectors: Vectors,
        *,
        intents: Sequence[str | None],
        people: Sequence[Person | None] | None = None,
        conversations: Sequence[str | None] | None = None,
        reporters: Sequence[int] | None = None,
    ) -> list[TriageResult]:
        """Triage texts whose embeddings are already computed (batch mode embeds once for intents and triage)."""
        categories = self._category_model.predict(texts=texts, vectors=vectors)
        groups: Sequence[Prediction | None] = (
            self._group_model.predict(texts=texts, vectors=vectors)
            if self._group_model is not None
            else [None] * len(texts)
        )
        results = []
        for index, text in enumerate(texts):
            person = (people[index] if people is not None else None) or Person()
            conversation = conversations[index] if conversations is not None else None
            priority = assess_priority(
                text=conversation or text,
                config=self._config.priority,
                question=text,
                email=person.email,
                department=person.department,
                reporters=reporters[index] if reporters is not None else 1,
            )
            results.append(self._decide(categories[index], groups[index], intents[index], priority))
        return results

    def _decide(
        self, category: Prediction, group: Prediction | None, intent: str | None, priority: PriorityAssessment
    ) -> TriageResult:
        sure = category.confidence >= self._config.min_confidence
        label = category.label if sure else INTENT_CATEGORIES.get(intent or "", UNSURE_CATEGORY)
        unsure = label == UNSURE_CATEGORY
        if group is not None and group.confidence >= self._config.min_confidence and group.label in self._known_groups:
            chosen, group_confidence = group.label, group.confidence
        else:
            chosen, group_confidence = (self._default_group if unsure else self._route(label)), None
        return TriageResult(
            category=label,
            suggested_category=category.label,
            category_confidence=category.confidence,
            group=chosen,
            group_confidence=group_confidence,
            unsure=unsure,
            priority=priority,
        )
