"""Priority: ITIL's impact x urgency matrix. Urgency comes from the words used; impact from who is affected.

Explainable rules on purpose: staff see why a ticket got its priority (`why`), and an organisation tunes the
matrix, its VIPs and its departments in triage.yml rather than retraining anything.
"""

from __future__ import annotations

import re

from bot.core.triage import LEVELS, Level, PriorityAssessment
from bot.triage.config import PriorityConfig

_WIDE_IMPACT = re.compile(
    r"\b(?:every(?:one|body)|all (?:users|staff|of us)|whole (?:company|office|floor|building)|"
    r"nobody can|no one can|company-?wide|outage|site is down|entire)",
    re.IGNORECASE,
)
_TEAM_IMPACT = re.compile(
    r"\b(?:our team|my team|the team|whole team|department|several (?:people|of us)|"
    r"colleagues|we all|we can'?t|we cannot)",
    re.IGNORECASE,
)
_HIGH_URGENCY = re.compile(
    r"\b(?:urgent|asap|emergency|immediately|right now|critical|can'?t work|cannot work|"
    r"unable to work|blocked|outage|is down|are down|customer[- ]facing|deadline|"
    r"by (?:today|tonight|tomorrow|end of day|eod|noon)|before (?:my|the|a) (?:meeting|"
    r"presentation|demo|flight)|"
    r"security|phishing|hacked|ransomware|stolen|virus)",
    re.IGNORECASE,
)
_LOW_URGENCY = re.compile(
    r"\b(?:how (?:do|can|to)|when you (?:get a|have) (?:chance|moment)|no rush|"
    r"whenever|would like|could i (?:get|have)|request(?:ing)?|new (?:laptop|monitor))",
    re.IGNORECASE,
)


def urgency_of(text: str, *, question: str | None = None) -> Level:
    """High for outage, security and "can't work" words and deadlines; low for how-to questions and requests."""
    if _HIGH_URGENCY.search(text):
        return "high"
    return "low" if _LOW_URGENCY.search(question if question is not None else text) else "medium"


def assess_priority(
    *,
    text: str,
    config: PriorityConfig,
    question: str | None = None,
    email: str | None = None,
    department: str | None = None,
    reporters: int = 1,
) -> PriorityAssessment:
    """Impact is the highest of: the words used, the person (VIP list, department), and how many people
    reported the same thing (`reporters`, from a linked incident); urgency comes from the words."""
    reasons: list[str] = []
    impact: Level = "low"

    def raise_to(level: Level, reason: str) -> None:
        nonlocal impact
        if LEVELS.index(level) > LEVELS.index(impact):
            impact = level
            reasons.append(reason)

    if _WIDE_IMPACT.search(text):
        raise_to("high", "many people affected")
    elif _TEAM_IMPACT.search(text):
        raise_to("medium", "a team affected")
    if email and email.strip().lower() in config.vip:
        raise_to(config.vip_impact, "VIP")
    if department and department.strip().lower() in config.departments:
        raise_to(config.departments[department.strip().lower()], f"department {department}")
    if reporters >= config.reporters_for_high:
        raise_to("high", f"{reporters} people reported it")
    elif reporters >= config.reporters_for_medium:
        raise_to("medium", f"{reporters} people reported it")
    urgency = urgency_of(text, question=question)
    priority = config.matrix[urgency][impact]
    because = f" ({', '.join(reasons)})" if reasons else ""
    return PriorityAssessment(
        impact=impact,
        urgency=urgency,
        priority=priority,
        why=f"impact {impact}{because}, urgency {urgency} → {priority}",
    )
