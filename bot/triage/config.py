"""The triage configuration (triage.yml): confidence, the priority matrix, VIPs, departments, surge detection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bot.core.triage import LEVELS, Level
from bot.core.validation import problems

DEFAULT_TRIAGE_CONFIG = Path(__file__).with_name("triage.yml")
PRIORITIES = ("P1", "P2", "P3", "P4")


class TriageConfigError(ValueError):
    """The triage configuration cannot be used; the message names the file and the problem."""


class PriorityConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    # urgency → impact → priority
    matrix: dict[Level, dict[Level, str]]
    vip: frozenset[str] = frozenset()
    vip_impact: Level = "medium"
    departments: dict[str, Level] = Field(default_factory=dict)
    reporters_for_medium: int = Field(default=2, ge=2)
    reporters_for_high: int = Field(default=5, ge=2)

    @field_validator("vip")
    @classmethod
    def _lower_case_vips(cls, vip: frozenset[str]) -> frozenset[str]:
        return frozenset(email.strip().lower() for email in vip if email.strip())

    @field_validator("departments")
    @classmethod
    def _lower_case_departments(cls, departments: dict[str, Level]) -> dict[str, Level]:
        return {name.strip().lower(): level for name, level in departments.items()}

    @model_validator(mode="after")
    def _complete_matrix(self) -> PriorityConfig:
        for urgency in LEVELS:
            for impact in LEVELS:
                priority = self.matrix.get(urgency, {}).get(impact)
                if priority not in PRIORITIES:
                    raise ValueError(
                        f"matrix[{urgency}][{impact}] must be one of {', '.join(PRIORITIES)}, not {priority!r}"
                    )
        if self.reporters_for_high < self.reporters_for_medium:
            raise ValueError("reporters_for_high must not be below reporters_for_medium")
        return self


class SurgeConfig(BaseModel):
    """When similar reports from different people become a suspected incident."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    window_minutes: float = Field(default=30, gt=0)
    similarity: float = Field(default=0.5, gt=0, lt=1)
    min_reporters: int = Field(default=3, ge=2)
    auto_confirm_reporters: int = Field(default=8, ge=2)
    known_issue_similarity: float = Field(default=0.5, gt=0, lt=1)

    @model_validator(mode="after")
    def _ordered(self) -> SurgeConfig:
        if self.auto_confirm_reporters < self.min_reporters:
            raise ValueError("auto_confirm_reporters must not be below min_reporters")
        return self


class TriageConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min_confidence: float = Field(default=0.5, ge=0, le=1)
    priority: PriorityConfig
    surge: SurgeConfig = SurgeConfig()

    @classmethod
    def load(cls, path: Path | None = None) -> TriageConfig:
        """Read and validate triage.yml (the packaged default when `path` is None)."""
        source = path or DEFAULT_TRIAGE_CONFIG
        try:
            data: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as error:
            raise TriageConfigError(f"{source}: cannot read it ({error})") from error
        try:
            return cls.model_validate(data)
        except ValidationError as error:
            raise TriageConfigError(f"{source}: {'; '.join(problems(error, whole='file'))}") from error
