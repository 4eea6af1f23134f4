"""The request catalog: what people may ask access to (groups, shared mailboxes, shared folders) or install.

Every item is granted through one directory group. Catalog files are YAML (see README, "Self-service actions"):

    items:
      - id: vpn
        kind: access            # access or software
        name: VPN access
        aliases: [vpn, remote access]
        group: cn=vpn-users,ou=groups,dc=example,dc=org
        owner: netops-lead@example.org   # who approves (for approval: owner)
        approval: owner         # optional: overrides the action policy for this item (owner, manager, staff)
        privileged: false       # privileged items always go to IT staff
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bot.actions.policy import Approval, PolicyError
from bot.core.validation import problems

Kind = Literal["access", "software"]
_WORD = re.compile(r"[a-z0-9]+")


class CatalogItem(BaseModel):
    """One thing a person can request."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
    kind: Kind
    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    group: str = Field(min_length=1)
    owner: str | None = None
    approval: Approval | None = None
    privileged: bool = False

    @model_validator(mode="after")
    def _owner_when_needed(self) -> CatalogItem:
        if self.approval == "owner" and not self.owner:
            raise ValueError(f"item {self.id}: approval 'owner' needs an owner e-mail")
        return self

    def mentioned_in(self, text: str) -> bool:
        """True when the item's name or an alias appears in `text` as whole words."""
        words = " ".join(_WORD.findall(text.lower()))
        return any(f" {phrase} " in f" {words} " for phrase in self._phrases())

    def _phrases(self) -> list[str]:
        return [p for p in (" ".join(_WORD.findall(n.lower())) for n in (self.name, *self.aliases)) if p]


class _CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    items: list[CatalogItem] = []


class Catalog:
    """The items of one catalog file, looked up by id or by what a message mentions."""

    def __init__(self, *, items: list[CatalogItem]) -> None:
        ids = [item.id for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise PolicyError(f"catalog item ids must be unique: {duplicates}")
        self._items = {item.id: item for item in items}

    def get(self, item_id: str) -> CatalogItem | None:
        return self._items.get(item_id)

    def of_kind(self, kind: Kind) -> list[CatalogItem]:
        return [item for item in self._items.values() if item.kind == kind]

    def mentioned(self, text: str, *, kind: Kind) -> list[CatalogItem]:
        """The items of `kind` that `text` names."""
        return [item for item in self.of_kind(kind) if item.mentioned_in(text)]

    @classmethod
    def load(cls, path: Path | None) -> Catalog:
        """Read a catalog file; no path means an empty catalog (every request goes to IT staff)."""
        if path is None:
            return cls(items=[])
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            return cls(items=_CatalogFile.model_validate(data).items)
        except (OSError, yaml.YAMLError) as error:
            raise PolicyError(f"{path}: cannot read the catalog: {error}") from None
        except ValidationError as error:
            raise PolicyError(f"{path}: {'; '.join(problems(error, whole=''))}") from None
