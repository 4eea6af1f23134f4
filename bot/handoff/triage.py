"""A first category and priority for each ticket: keyword rules and the impact x urgency matrix.

These are deliberately simple, explainable rules so staff can see why a ticket got its priority; a trained
classifier can replace `assess` without changing anything else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Level = Literal["high", "medium", "low"]

# ITIL's matrix: rows are urgency, columns impact; 1 is the most urgent. Five levels fold into P1-P4.
_MATRIX: dict[tuple[Level, Level], str] = {
    ("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3",
    ("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4",
    ("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4",
}

_INTENT_CATEGORIES = {"reset_password": "account", "unlock_account": "account", "reset_mfa": "account",
                      "request_access": "access", "request_software": "software"}

_CATEGORY_WORDS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (category, re.compile(rf"\b(?:{words})", re.IGNORECASE)) for category, words in (
        ("account", r"password|locked out|lock(?:ed)? account|log ?in|sign ?in|mfa|authenticator|2fa|account"),
        ("access", r"access|permission|shared folder|shared drive|distribution list|sharepoint"),
        ("network", r"vpn|wi-?fi|wireless|network|internet|ethernet|proxy|dns"),
        ("email", r"e-?mail|outlook|mailbox|calendar|exchange"),
        ("hardware", r"laptop|printer|monitor|screen|keyboard|mouse|dock|battery|headset|phone"),
        ("software", r"install|software|licen[cs]e|teams|zoom|office|excel|word|app\b|application|update"),
    )
)

_WIDE_IMPACT = re.compile(r"\b(?:every(?:one|body)|all (?:users|staff|of us)|whole (?:company|office|floor|building)|"
                          r"nobody can|no one can|company-?wide|outage|site is down|entire)", re.IGNORECASE)
_TEAM_IMPACT = re.compile(r"\b(?:our team|my team|the team|whole team|department|several (?:people|of us)|"
                          r"colleagues|we all|we can'?t|we cannot)", re.IGNORECASE)
_HIGH_URGENCY = re.compile(r"\b(?:urgent|asap|emergency|immediately|right now|critical|can'?t work|cannot work|"
                           r"unable to work|blocked|outage|is down|are down|customer[- ]facing|deadline|"
                           r"security|phishing|hacked|ransomware|stolen|virus)", re.IGNORECASE)
_LOW_URGENCY = re.compile(r"\b(?:how (?:do|can|to)|when you (?:get a|have) (?:chance|moment)|no rush|"
                          r"whenever|would like|could i (?:get|have)|request(?:ing)?|new (?:laptop|monitor))",
                          re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Assessment:
    """The category, impact, urgency and priority of one ticket, with the rule that set each level."""

    category: str
    impact: Level
    urgency: Level
    priority: str
    why: str


def assess(*, question: str, conversation_text: str, intent: str | None) -> Assessment:
    """Category from the intent or the words used; priority from how many are affected and how urgent it is."""
    category = _INTENT_CATEGORIES.get(intent or "") or _category_of(question) or _category_of(conversation_text)
    impact: Level = ("high" if _WIDE_IMPACT.search(conversation_text)
                     else "medium" if _TEAM_IMPACT.search(conversation_text) else "low")
    urgency: Level = ("high" if _HIGH_URGENCY.search(conversation_text)
                      else "low" if _LOW_URGENCY.search(question) else "medium")
    priority = _MATRIX[(urgency, impact)]
    return Assessment(category=category or "general", impact=impact, urgency=urgency, priority=priority,
                      why=f"impact {impact}, urgency {urgency} → {priority}")


def _category_of(text: str) -> str | None:
    for category, pattern in _CATEGORY_WORDS:
        if pattern.search(text):
            return category
    return None
