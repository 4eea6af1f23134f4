"""The staff configuration (staff.yml): resolver groups, routing by category, and SLA targets."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.tickets import ResolverGroup
from bot.core.validation import problems

DEFAULT_STAFF_CONFIG = Path(__file__).with_name("staff.yml")
PRIORITIES = ("P1", "P2", "P3", "P4")


class StaffConfigError(ValueError):
    """The staff configuration cannot be used; the message names the file and the problem."""


class SlaTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    first_response: float = Field(gt=0)  # minutes
    resolution: float = Field(gt=0)

    @property
    def first_response_delta(self) -> timedelta:
        return timedelta(minutes=self.first_response)

    @property
    def resolution_delta(self) -> timedelta:
        return timedelta(minutes=self.resolution)


class StaffConfig(BaseModel):
    """The whole file, validated: every route and the default point at a defined group."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    groups: dict[str, ResolverGroup]
    default_group: str
    routes: dict[str, str] = Field(default_factory=dict)
    sla: dict[str, SlaTarget]
    remind_at: float = Field(default=0.8, gt=0, lt=1)

    @model_validator(mode="before")
    @classmethod
    def _name_groups(cls, data: Any) -> Any:
        """Each group's name is its key; its label defaults to the name."""
        groups = data.get("groups") if isinstance(data, dict) else None
        if isinstance(groups, dict):
            data = {
                **data,
                "groups": {name: {"label": name, **(group or {}), "name": name} for name, group in groups.items()},
            }
        return data

    @model_validator(mode="after")
    def _consistent(self) -> StaffConfig:
        if not self.groups:
            raise ValueError("define at least one group under 'groups'")
        unknown = {self.default_group, *self.routes.values()} - set(self.groups)
        if unknown:
            raise ValueError(f"routes or default_group name undefined groups: {', '.join(sorted(unknown))}")
        missing = [priority for priority in PRIORITIES if priority not in self.sla]
        if missing:
            raise ValueError(f"'sla' needs targets for {', '.join(missing)}")
        return self

    def route(self, category: str) -> ResolverGroup:
        """The group whose queue a ticket of `category` goes to."""
        return self.groups[self.routes.get(category, self.default_group)]

    def group(self, name: str) -> ResolverGroup:
        """A group by name; tickets routed before a group was removed fall back to the default."""
        return self.groups.get(name) or self.groups[self.default_group]

    def target(self, priority: str) -> SlaTarget:
        return self.sla.get(priority) or self.sla[PRIORITIES[-1]]

    def group_of_slack_channel(self, channel_id: str) -> ResolverGroup | None:
        return next((g for g in self.groups.values() if g.slack_channel == channel_id), None)

    @classmethod
    def load(cls, path: Path | None = None) -> StaffConfig:
        """Read and validate the file (the embedded default when `path` is None)."""
        source = path or DEFAULT_STAFF_CONFIG
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
            return cls.model_validate(data)
        except OSError as error:
            raise StaffConfigError(f"{source}: cannot read: {error.strerror}") from error
        except yaml.YAMLError as error:
            raise StaffConfigError(f"{source}: not valid YAML: {error}") from error
        except ValidationError as error:
            raise StaffConfigError(f"{source}: {'; '.join(problems(error, whole='file', limit=5))}") from error
