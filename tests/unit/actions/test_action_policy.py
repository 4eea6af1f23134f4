"""The action policy and the request catalog are configuration: read strictly, with errors that say where."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.actions.catalog import Catalog
from bot.actions.policy import ActionPolicy, PolicyError


def test_the_packaged_policy_asks_a_second_factor_for_resets() -> None:
    policy = ActionPolicy.load()
    assert policy.spec("reset_password").assurance == 2  # type: ignore[union-attr]
    assert policy.spec("reset_mfa").assurance == 2  # type: ignore[union-attr]
    assert policy.spec("request_access").approval == "owner"  # type: ignore[union-attr]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policy.yml"
    path.write_text(text)
    return path


def test_mfa_reset_on_the_chat_identity_alone_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="reset_mfa always needs assurance 2"):
        ActionPolicy.load(write(tmp_path, "actions:\n  reset_mfa: {assurance: 1}\n"))


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("actions:\n  format_disk: {assurance: 2}\n", "unknown actions"),
        ("actions:\n  unlock_account: {assurance: 3}\n", "assurance"),
        ("actions:\n  unlock_account: {assurance: 1, aproval: none}\n", "aproval"),
        ("actions: [\n", "cannot read"),
    ],
)
def test_a_broken_policy_file_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        ActionPolicy.load(write(tmp_path, text))


def test_an_action_switched_off_goes_to_staff(tmp_path: Path) -> None:
    policy = ActionPolicy.load(write(tmp_path, "actions:\n  unlock_account: {assurance: 1, enabled: false}\n"))
    assert policy.spec("unlock_account") is None
    assert policy.spec("reset_password") is None  # not listed: not self-service


@pytest.mark.parametrize(
    "groups",
    [
        ("Domain Admins",),
        ("CN=Domain Admins,CN=Users,DC=corp,DC=example",),
        ("cn=domain admins,ou=groups,dc=example,dc=org",),
    ],
)
def test_privileged_groups_are_recognised_by_name_or_dn(groups: tuple[str, ...]) -> None:
    assert ActionPolicy.load().is_privileged(groups)


def test_ordinary_groups_are_not_privileged() -> None:
    assert not ActionPolicy.load().is_privileged(("cn=vpn-users,ou=groups,dc=example,dc=org", "Admins of Nothing"))


CATALOG = """\
items:
  - {id: vpn, kind: access, name: VPN access, aliases: [vpn, remote access], group: cn=vpn, owner: bob@example.org}
  - {id: finance, kind: access, name: Finance shared drive, aliases: [finance drive], group: cn=fin, approval: manager}
  - {id: visio, kind: software, name: Visio, group: cn=visio, approval: staff}
"""


def test_an_item_is_found_by_its_name_or_an_alias_as_whole_words(tmp_path: Path) -> None:
    catalog = Catalog.load(write(tmp_path, CATALOG))
    assert [i.id for i in catalog.mentioned("Please add me to the VPN group", kind="access")] == ["vpn"]
    assert [i.id for i in catalog.mentioned("I need REMOTE ACCESS", kind="access")] == ["vpn"]
    assert catalog.mentioned("my vpnclient is broken", kind="access") == []
    assert catalog.mentioned("install visio", kind="access") == []
    assert [i.id for i in catalog.mentioned("install visio", kind="software")] == ["visio"]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("items:\n  - {id: x, kind: access, name: X, group: cn=x, approval: owner}\n", "needs an owner"),
        ("items:\n  - {id: x, kind: hardware, name: X, group: cn=x}\n", "kind"),
        (
            "items:\n  - {id: x, kind: access, name: X, group: cn=x}\n"
            "  - {id: x, kind: access, name: Y, group: cn=y}\n",
            "unique",
        ),
        ("items:\n  - {id: '../x', kind: access, name: X, group: cn=x}\n", "id"),
    ],
)
def test_a_broken_catalog_names_the_problem(tmp_path: Path, text: str, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        Catalog.load(write(tmp_path, text))


def test_no_catalog_means_nothing_can_be_requested_by_self_service() -> None:
    assert Catalog.load(None).of_kind("access") == []
