"""The LDAP directory provider against a real OpenLDAP slapd (ppolicy), started fresh for every test.

The bot signs in as its own service account (not the rootdn, so the password policy applies to what it does);
the tests look behind its back as the rootdn and sign in as the people themselves.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import ldap3
import pytest
from structlog.testing import capture_logs

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, NotSupported, PasswordRejected
from bot.identity.ldap import LdapDirectory
from tests.support.servers.slapd import (
    ALTERNATE_EMAIL_ATTRIBUTE,
    BASE_DN,
    MIN_PASSWORD_LENGTH,
    PASSWORDS,
    SERVICE_DN,
    SERVICE_PASSWORD,
    STAFF,
    VPN_USERS,
    Slapd,
    admin_connection,
    can_bind,
    dn,
    read_attributes,
    running_slapd,
)

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

NEW_PASSWORD = "Temp-4821-pw"


@pytest.fixture
def slapd(tmp_path: Path) -> Iterator[Slapd]:
    with running_slapd(directory=tmp_path / "slapd") as server:
        yield server


def provider(url: str, *, password: str = SERVICE_PASSWORD, flavor: str = "openldap") -> LdapDirectory:
    return LdapDirectory(
        url=url,
        bind_dn=SERVICE_DN,
        bind_password=password,
        base_dn=BASE_DN,
        flavor="ad" if flavor == "ad" else "openldap",
        alternate_email_attribute=ALTERNATE_EMAIL_ATTRIBUTE,
        timeout_seconds=2,
    )


@pytest.fixture
def directory(slapd: Slapd) -> LdapDirectory:
    return provider(slapd.url)


async def only(directory: LdapDirectory, email: str) -> DirectoryAccount:
    [account] = await directory.find_by_email(email)
    return account


def unused_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def test_alice_is_found_by_her_email_whatever_the_case(directory: LdapDirectory) -> None:
    alice = await only(directory, "  Alice@Example.ORG ")

    assert alice == DirectoryAccount(
        id=dn("alice"),
        email="alice@example.org",
        display_name="Alice Archer",
        enabled=True,
        groups=(STAFF,),
        manager_id=dn("bob"),
        manager_email="bob@example.org",
        alternate_email="alice.home@example.net",
        department="Finance",
        location="Berlin",
    )
    bob = await only(directory, "bob@example.org")
    assert set(bob.groups) == {STAFF, VPN_USERS}
    assert bob.manager_id is None
    assert bob.manager_email is None
    assert bob.alternate_email is None


async def test_a_shared_address_finds_both_accounts_and_an_unknown_one_none(directory: LdapDirectory) -> None:
    shared = await directory.find_by_email("shared@example.org")
    assert sorted(account.id for account in shared) == [dn("dave"), dn("erin")]
    assert await directory.find_by_email("nobody@example.org") == []


@pytest.mark.parametrize("email", ["", "*", "*)(uid=*", "alice@example.org)(|(mail=*", "\\2a"])
async def test_an_address_cannot_widen_the_search(directory: LdapDirectory, email: str) -> None:
    assert await directory.find_by_email(email) == []


async def test_after_a_reset_alice_signs_in_with_the_new_password_and_must_change_it(
    slapd: Slapd, directory: LdapDirectory
) -> None:
    alice = await only(directory, "alice@example.org")
    await directory.reset_password(alice, new_password=NEW_PASSWORD)

    assert can_bind(slapd.url, dn=alice.id, password=NEW_PASSWORD)
    assert not can_bind(slapd.url, dn=alice.id, password=PASSWORDS["alice"])
    assert read_attributes(slapd.url, dn=alice.id, attributes=["pwdReset"]) == {"pwdreset": ["TRUE"]}


async def test_a_password_the_policy_refuses_changes_nothing(slapd: Slapd, directory: LdapDirectory) -> None:
    alice = await only(directory, "alice@example.org")
    too_short = "Qx7" + "z" * (MIN_PASSWORD_LENGTH - 5)

    with pytest.raises(PasswordRejected) as refused, capture_logs() as logs:
        await directory.reset_password(alice, new_password=too_short)

    assert too_short not in str(refused.value)
    assert too_short not in repr(logs)
    assert can_bind(slapd.url, dn=alice.id, password=PASSWORDS["alice"])
    assert read_attributes(slapd.url, dn=alice.id, attributes=["pwdReset"]) == {}


async def test_carol_locked_out_by_three_wrong_passwords_is_unlocked(slapd: Slapd, directory: LdapDirectory) -> None:
    carol = await only(directory, "carol@example.org")
    assert not await directory.is_locked(carol)

    for _ in range(3):
        assert not can_bind(slapd.url, dn=carol.id, password="guess-again")
    assert await directory.is_locked(carol)
    assert not can_bind(slapd.url, dn=carol.id, password=PASSWORDS["carol"])  # locked: even the right one fails

    assert await directory.unlock(carol) is True
    assert not await directory.is_locked(carol)
    assert read_attributes(slapd.url, dn=carol.id, attributes=["pwdAccountLockedTime", "pwdFailureTime"]) == {}
    assert can_bind(slapd.url, dn=carol.id, password=PASSWORDS["carol"])


async def test_unlocking_an_account_that_is_not_locked_changes_nothing(slapd: Slapd, directory: LdapDirectory) -> None:
    bob = await only(directory, "bob@example.org")
    assert not can_bind(slapd.url, dn=bob.id, password="one-typo")  # one failure: not locked

    assert await directory.unlock(bob) is False
    assert len(read_attributes(slapd.url, dn=bob.id, attributes=["pwdFailureTime"])["pwdfailuretime"]) == 1


async def test_an_account_an_administrator_disabled_is_not_enabled_and_not_unlockable(
    slapd: Slapd, directory: LdapDirectory
) -> None:
    with admin_connection(slapd.url) as admin:
        # types-ldap3 leaves Connection.modify unannotated.
        admin.modify(  # type: ignore[no-untyped-call]
            dn("erin"), {"pwdAccountLockedTime": [(ldap3.MODIFY_REPLACE, ["000001010000Z"])]}
        )

    erin, dave = sorted(await directory.find_by_email("shared@example.org"), key=lambda account: account.id)[::-1]
    assert (erin.id, erin.enabled, dave.enabled) == (dn("erin"), False, True)
    assert not await directory.is_locked(erin)
    assert await directory.unlock(erin) is False
    assert not can_bind(slapd.url, dn=erin.id, password=PASSWORDS["erin"])


async def test_alice_joins_and_leaves_the_vpn_group(slapd: Slapd, directory: LdapDirectory) -> None:
    alice = await only(directory, "alice@example.org")

    await directory.add_to_group(alice, VPN_USERS)
    await directory.add_to_group(alice, VPN_USERS)  # already a member: fine
    members = read_attributes(slapd.url, dn=VPN_USERS, attributes=["member"])["member"]
    assert sorted(members) == [dn("alice"), dn("bob")]
    assert set((await only(directory, "alice@example.org")).groups) == {STAFF, VPN_USERS}

    carol = await only(directory, "carol@example.org")
    await directory.remove_from_group(carol, VPN_USERS)  # never a member: fine
    await directory.remove_from_group(alice, VPN_USERS)
    assert read_attributes(slapd.url, dn=VPN_USERS, attributes=["member"])["member"] == [dn("bob")]


async def test_a_group_that_does_not_exist_is_an_error(directory: LdapDirectory) -> None:
    alice = await only(directory, "alice@example.org")
    with pytest.raises(DirectoryError, match="noSuchObject"):
        await directory.add_to_group(alice, f"cn=no-such-group,ou=groups,{BASE_DN}")


async def test_plain_ldap_has_no_second_factors_to_reset(directory: LdapDirectory) -> None:
    alice = await only(directory, "alice@example.org")
    with pytest.raises(NotSupported):
        await directory.reset_mfa(alice)


async def test_a_directory_that_went_down_is_unavailable_quickly(slapd: Slapd, directory: LdapDirectory) -> None:
    alice = await only(directory, "alice@example.org")
    slapd.kill()

    started = time.monotonic()
    with pytest.raises(DirectoryUnavailable, match="LDAP server unreachable"):
        await directory.find_by_email("alice@example.org")
    with pytest.raises(DirectoryUnavailable):
        await directory.reset_password(alice, new_password=NEW_PASSWORD)
    with pytest.raises(DirectoryUnavailable):
        await directory.unlock(alice)
    assert time.monotonic() - started < 2


async def test_nothing_listening_or_a_server_that_never_answers_is_unavailable() -> None:
    with pytest.raises(DirectoryUnavailable):
        await provider(f"ldap://127.0.0.1:{unused_port()}").find_by_email("alice@example.org")

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:  # accepts connections, never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        started = time.monotonic()
        with pytest.raises(DirectoryUnavailable):
            await provider(f"ldap://127.0.0.1:{silent.getsockname()[1]}").find_by_email("alice@example.org")
        assert 1.5 < time.monotonic() - started < 6  # the 2-second timeout, not forever


async def test_a_wrong_service_password_is_an_error_that_does_not_reveal_it(slapd: Slapd) -> None:
    wrong = "Wrong-service-pw-31"
    with pytest.raises(DirectoryError) as refused, capture_logs() as logs:
        await provider(slapd.url, password=wrong).find_by_email("alice@example.org")

    assert not isinstance(refused.value, DirectoryUnavailable)
    assert "service account could not bind" in str(refused.value)
    assert wrong not in str(refused.value)
    assert [entry["event"] for entry in logs] == ["ldap_bind_failed"]
    assert wrong not in repr(logs)


async def test_active_directory_refuses_a_password_reset_over_plain_ldap() -> None:
    directory = provider(f"ldap://127.0.0.1:{unused_port()}", flavor="ad")  # never contacted
    alice = DirectoryAccount(id=dn("alice"), email="alice@example.org")

    with pytest.raises(DirectoryError, match="LDAPS") as refused:
        await directory.reset_password(alice, new_password=NEW_PASSWORD)
    assert not isinstance(refused.value, DirectoryUnavailable)
    assert NEW_PASSWORD not in str(refused.value)
