"""Self-service policy: the action registry and its limits, read from YAML (configuration, not code)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.core.directory import names_group
from bot.core.validation import problems

DEFAULT_POLICY_PATH = Path(__file__).with_name("policy.yml")
ACTION_IDS = ("reset_password", "unlock_account", "reset_mfa", "request_access", "request_software")
SECOND_FACTOR_ALWAYS = frozenset({"reset_mfa"})  # removing factors on a chat account alone would defeat MFA

Approval = Literal["none", "owner", "manager", "staff"]


class PolicyError(ValueError):
    """The policy file is unreadable or breaks a rule; the message names the file and the problem."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ActionSpec(_Strict):
    """What one action needs before the bot may do it."""

    assurance: Literal[1, 2]
    approval: Approval = "none"
    cooldown_hours: float = Field(default=0, ge=0)
    reversible: bool = False
    enabled: bool = True


class RateLimit(_Strict):
    per_person_per_hour: int = Field(default=5, ge=1)
    global_per_minute: int = Field(default=60, ge=1)


class PasswordRule(_Strict):
    length: int = Field(default=16, ge=12, le=128)


class ActionPolicy(_Strict):
    """The whole policy file."""

    flow_minutes: float = Field(default=15, gt=0)
    approval_hours: float = Field(default=72, gt=0)
    lockout_minutes: float = Field(default=60, gt=0)
    code_attempts: int = Field(default=3, ge=1, le=10)
    rate_limit: RateLimit = RateLimit()
    password: PasswordRule = PasswordRule()
    privileged_groups: tuple[str, ...] = ()
    actions: dict[str, ActionSpec]

    @model_validator(mode="after")
    def _check_actions(self) -> ActionPolicy:
        unknown = sorted(set(self.actions) - set(ACTION_IDS))
        if unknown:
            raise ValueError(f"unknown actions {unknown}; known: {list(ACTION_IDS)}")
        for action in SECOND_FACTOR_ALWAYS & set(self.actions):
            if self.actions[action].assurance < 2:
                raise ValueError(f"{action} always needs assurance 2 (a second factor)")
        return self

    def flow_expiry(self, now: datetime) -> datetime:
        """When a confirmation or code prompt shown at `now` stops being accepted."""
        return now + timedelta(minutes=self.flow_minutes)

    def spec(self, action: str) -> ActionSpec | None:
        """The spec of an enabled action, or None when the policy leaves it to staff."""
        spec = self.actions.get(action)
        return spec if spec is not None and spec.enabled else None

    def is_privileged(self, groups: tuple[str, ...]) -> bool:
        """True when any of `groups` (names or DNs) is one of the privileged groups."""
        return any(names_group(groups, privileged) for privileged in self.privileged_groups)

    @classmethod
    def load(cls, path: Path | None = None) -> ActionPolicy:
        """Read and validate a policy file (the packaged default when `path` is None)."""
        source = path or DEFAULT_POLICY_PATH
        try:
            data = yaml.safe_load(source.read_text(encoding="utf-8"))
            return cls.model_validate(data)
        except (OSError, yaml.YAMLError) as error:
            raise PolicyError(f"{source}: cannot read the action policy: {error}") from None
        except ValidationError as error:
            raise PolicyError(f"{source}: {'; '.join(problems(error, whole='policy'))}") from None
