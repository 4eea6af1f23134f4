"""The Okta directory provider against a local stand-in for the Okta Management API, started fresh for every test.

The stand-in serves pages of two, so every list the provider reads has to be followed across Link headers.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio
from structlog.testing import capture_logs

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, PasswordRejected
from bot.identity.okta import OktaDirectory
from tests.fakes.okta_server import FakeOkta, OktaCall

pytestmark = pytest.mark.asyncio

TOKEN = "00aBcDeFgHiJkLmNoPqRsTuVwXyZ-0123456789"
NEW_PASSWORD = "Temp-4821-pw"
ALICE, BOB, CAROL, DAVE = "00u1alice", "00u2bob", "00u3carol", "00u4dave"
STAFF, VPN, WIKI, FINANCE = "00g1staff", "00g2vpn", "00g3wiki", "00g4finance"


@pytest_asyncio.fixture
async def okta() -> AsyncIterator[FakeOkta]:
    fake = FakeOkta(token=TOKEN, page_size=2)
    fake.add_user(
        ALICE,
        login="alice@example.org",
        email="alice@example.org",
        first_name="Alice",
        last_name="Archer",
        manager_id=BOB,
        second_email="alice.home@example.net",
        factors=2,
        department="Finance",
        city="Berlin",
    )
    fake.add_user(
        BOB,
        login="bob@example.org",
        email="bob@example.org",
        first_name="Bob",
        last_name="Baker",
        display_name="Bob Baker (IT)",
        status="LOCKED_OUT",
    )
    fake.add_user(
        CAROL, login="c.carter@example.org", email="carol@example.org", first_name="Carol", last_name="Carter"
    )
    fake.add_user(
        DAVE,
        login="dave+contractor@example.org",
        email="dave+contractor@example.org",
        first_name="Dave",
        last_name="Dunn",
        status="SUSPENDED",
    )
    for name in ("erin", "frank", "gina"):  # three front-desk accounts share one mailbox
        fake.add_user(
            f"00u5{name}",
            login=f"{name}.desk@example.org",
            email="frontdesk@example.org",
            first_name=name.title(),
            last_name="Desk",
        )
    fake.add_group(STAFF, name="Staff", members=(ALICE, BOB))
    fake.add_group(VPN, name="VPN users", members=(ALICE,))
    fake.add_group(WIKI, name="Wiki editors", members=(ALICE,))
    fake.add_group(FINANCE, name="Finance")
    await fake.start()
    yield fake
    await fake.close()


def provider(okta: FakeOkta, *, token: str = TOKEN, timeout_seconds: float = 3.0) -> OktaDirectory:
    return OktaDirectory(org_url=okta.base_url, api_token=token, timeout_seconds=timeout_seconds)


@pytest_asyncio.fixture
async def directory(okta: FakeOkta) -> AsyncIterator[OktaDirectory]:
    client = provider(okta)
    yield client
    await client.close()


def account(user_id: str, email: str = "someone@example.org") -> DirectoryAccount:
    return DirectoryAccount(id=user_id, email=email)


async def only(directory: OktaDirectory, email: str) -> DirectoryAccount:
    [found] = await directory.find_by_email(email)
    return found


def lifecycle_calls(okta: FakeOkta) -> list[OktaCall]:
    return okta.answered(method="POST", path_contains="/lifecycle/")


# ---- finding people ------------------------------------------------------------------------------------------------


async def test_alice_is_found_by_her_email_whatever_the_case(okta: FakeOkta, directory: OktaDirectory) -> None:
    alice = await only(directory, "  ALICE@Example.org ")

    assert alice == DirectoryAccount(
        id=ALICE,
        email="alice@example.org",
        display_name="Alice Archer",
        enabled=True,
        groups=(STAFF, VPN, WIKI),
        manager_id=BOB,
        alternate_email="alice.home@example.net",
        department="Finance",
        location="Berlin",
    )
    assert len(okta.answered(path_contains=f"/users/{ALICE}/groups")) == 2  # three groups, two to a page


async def test_carol_is_found_by_her_login_and_keeps_her_email(directory: OktaDirectory) -> None:
    carol = await only(directory, "C.Carter@example.org")

    assert (carol.id, carol.email, carol.display_name) == (CAROL, "carol@example.org", "Carol Carter")
    assert carol.groups == ()


async def test_bob_is_shown_by_his_display_name(directory: OktaDirectory) -> None:
    bob = await only(directory, "bob@example.org")

    assert bob.display_name == "Bob Baker (IT)"
    assert bob.enabled  # locked out is not disabled: unlocking is what he needs


async def test_a_suspended_contractor_is_found_but_disabled(directory: OktaDirectory) -> None:
    dave = await only(directory, "dave+contractor@example.org")  # the "+" must survive URL encoding

    assert dave.id == DAVE
    assert not dave.enabled


async def test_a_shared_mailbox_finds_every_account_across_pages(okta: FakeOkta, directory: OktaDirectory) -> None:
    found = await directory.find_by_email("frontdesk@example.org")

    assert [a.id for a in found] == ["00u5erin", "00u5frank", "00u5gina"]
    assert len([c for c in okta.calls if c.path == "/api/v1/users"]) == 2  # three accounts, two to a page


async def test_nobody_is_found_for_an_unknown_or_empty_address(okta: FakeOkta, directory: OktaDirectory) -> None:
    assert await directory.find_by_email("nobody@example.org") == []
    before = len(okta.calls)
    assert await directory.find_by_email("   ") == []
    assert len(okta.calls) == before  # an empty address is not even asked about


@pytest.mark.parametrize(
    "email",
    [
        'alice@example.org" or profile.login sw "',
        '" or status eq "ACTIVE',
        'x\\" or profile.email sw "a',
        "alice@example.org\\",
    ],
)
async def test_a_quote_in_the_address_cannot_widen_the_search(
    okta: FakeOkta, directory: OktaDirectory, email: str
) -> None:
    assert await directory.find_by_email(email) == []

    [search] = [c.query["search"] for c in okta.calls if c.path == "/api/v1/users"]
    assert search.count(" or ") == 1 + 2 * email.count(" or ")  # the address's own "or" stays inside the quotes


async def test_the_search_is_exactly_the_documented_expression(okta: FakeOkta, directory: OktaDirectory) -> None:
    await directory.find_by_email("carol@example.org")

    [call] = [c for c in okta.calls if c.path == "/api/v1/users"]
    assert call.query == {
        "search": 'profile.email eq "carol@example.org" or profile.login eq "carol@example.org"',
        "limit": "200",
    }
    assert call.authorization == f"SSWS {TOKEN}"


# ---- passwords -----------------------------------------------------------------------------------------------------


async def test_after_a_reset_alice_has_the_new_password_and_must_change_it(
    okta: FakeOkta, directory: OktaDirectory
) -> None:
    alice = await only(directory, "alice@example.org")
    await directory.reset_password(alice, new_password=NEW_PASSWORD)

    assert okta.users[ALICE].password == NEW_PASSWORD
    assert okta.users[ALICE].password_expired
    assert okta.users[ALICE].status == "PASSWORD_EXPIRED"
    changes = [(c.method, c.path, c.body) for c in okta.answered() if c.method != "GET"]
    assert changes == [  # a partial update with only the password: the profile is left alone
        ("POST", f"/api/v1/users/{ALICE}", {"credentials": {"password": {"value": NEW_PASSWORD}}}),
        ("POST", f"/api/v1/users/{ALICE}/lifecycle/expire_password", None),
    ]


async def test_a_password_the_policy_refuses_changes_nothing(okta: FakeOkta, directory: OktaDirectory) -> None:
    alice = await only(directory, "alice@example.org")
    weak = "alllowercase"

    with capture_logs() as logs, pytest.raises(PasswordRejected) as refused:
        await directory.reset_password(alice, new_password=weak)

    assert "Password requirements were not met" in str(refused.value)
    assert weak not in str(refused.value)
    assert weak not in repr(logs)
    assert okta.users[ALICE].password == "Initial-Passw0rd"
    assert not okta.users[ALICE].password_expired
    assert lifecycle_calls(okta) == []


async def test_when_expiring_fails_the_error_says_the_password_was_set(
    okta: FakeOkta, directory: OktaDirectory
) -> None:
    alice = await only(directory, "alice@example.org")
    okta.fail("unavailable", path=f"/api/v1/users/{ALICE}/lifecycle/expire_password")

    with capture_logs() as logs, pytest.raises(DirectoryError) as failed:
        await directory.reset_password(alice, new_password=NEW_PASSWORD)

    assert not isinstance(failed.value, DirectoryUnavailable)  # something did change: a person must finish
    assert "WAS set" in str(failed.value)
    assert NEW_PASSWORD not in str(failed.value)
    assert NEW_PASSWORD not in repr(logs)
    assert okta.users[ALICE].password == NEW_PASSWORD
    assert not okta.users[ALICE].password_expired


async def test_when_okta_stops_answering_a_password_change_nobody_claims_nothing_changed(okta: FakeOkta) -> None:
    directory = provider(okta, timeout_seconds=0.3)
    okta.fail("hang", method="POST", path=f"/api/v1/users/{ALICE}")
    try:
        with pytest.raises(DirectoryError) as failed:
            await directory.reset_password(account(ALICE), new_password=NEW_PASSWORD)
    finally:
        await directory.close()

    assert not isinstance(failed.value, DirectoryUnavailable)
    assert "may or may not" in str(failed.value)


# ---- lockouts ------------------------------------------------------------------------------------------------------


async def test_bob_locked_out_is_unlocked(okta: FakeOkta, directory: OktaDirectory) -> None:
    bob = await only(directory, "bob@example.org")
    assert await directory.is_locked(bob)

    assert await directory.unlock(bob) is True

    assert okta.users[BOB].status == "ACTIVE"
    assert not await directory.is_locked(bob)
    assert [c.path for c in lifecycle_calls(okta)] == [f"/api/v1/users/{BOB}/lifecycle/unlock"]


async def test_unlocking_alice_who_is_not_locked_changes_nothing(okta: FakeOkta, directory: OktaDirectory) -> None:
    alice = await only(directory, "alice@example.org")

    assert not await directory.is_locked(alice)
    assert await directory.unlock(alice) is False
    assert lifecycle_calls(okta) == []


async def test_a_lockout_that_ends_while_unlocking_counts_as_not_locked(
    okta: FakeOkta, directory: OktaDirectory
) -> None:
    def lockout_expires(call: OktaCall) -> None:
        if call.path.endswith("/lifecycle/unlock"):
            okta.users[BOB].status = "ACTIVE"

    okta.on_request = lockout_expires

    assert await directory.unlock(account(BOB)) is False  # Okta answered 403 E0000001; Bob is active anyway


async def test_the_fake_refuses_to_unlock_someone_not_locked_out(okta: FakeOkta) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{okta.base_url}/api/v1/users/{ALICE}/lifecycle/unlock", headers={"Authorization": f"SSWS {TOKEN}"}
        ) as response,
    ):
        assert response.status == 403
        assert (await response.json())["errorCode"] == "E0000001"


# ---- groups and factors --------------------------------------------------------------------------------------------


async def test_alice_joins_and_leaves_finance(okta: FakeOkta, directory: OktaDirectory) -> None:
    alice = await only(directory, "alice@example.org")

    await directory.add_to_group(alice, FINANCE)
    await directory.add_to_group(alice, FINANCE)  # already a member: fine
    assert okta.groups[FINANCE].members == {ALICE}
    assert FINANCE in (await only(directory, "alice@example.org")).groups

    await directory.remove_from_group(alice, FINANCE)
    await directory.remove_from_group(alice, FINANCE)  # no longer a member: fine
    assert okta.groups[FINANCE].members == set()


async def test_a_group_that_does_not_exist_is_an_error(okta: FakeOkta, directory: OktaDirectory) -> None:
    with pytest.raises(DirectoryError, match="00gNOPE"):
        await directory.add_to_group(account(ALICE), "00gNOPE")
    with pytest.raises(DirectoryError, match="no group 00gNOPE"):
        await directory.remove_from_group(account(ALICE), "00gNOPE")


async def test_removing_an_account_that_is_gone_leaves_it_gone(okta: FakeOkta, directory: OktaDirectory) -> None:
    await directory.remove_from_group(account("00uGONE"), FINANCE)  # 404 for the user; the group exists

    assert [c.path for c in okta.answered(method="GET")] == [f"/api/v1/groups/{FINANCE}"]


async def test_a_group_id_cannot_steer_the_call_to_someone_else(okta: FakeOkta, directory: OktaDirectory) -> None:
    with pytest.raises(DirectoryError):  # unquoted, this would be PUT /groups/<finance>/users/<bob>?x=/users/<alice>
        await directory.add_to_group(account(ALICE), f"{FINANCE}/users/{BOB}?x=")

    assert okta.groups[FINANCE].members == set()


async def test_resetting_mfa_removes_alices_factors_and_says_how_many(okta: FakeOkta, directory: OktaDirectory) -> None:
    alice = await only(directory, "alice@example.org")

    assert await directory.reset_mfa(alice) == 2
    assert okta.users[ALICE].factors == []
    assert await directory.reset_mfa(alice) == 0  # nothing left: no second reset is sent
    assert [c.path for c in lifecycle_calls(okta)] == [f"/api/v1/users/{ALICE}/lifecycle/reset_factors"]


async def test_an_account_that_no_longer_exists_is_an_error_not_an_outage(directory: OktaDirectory) -> None:
    with pytest.raises(DirectoryError) as failed:
        await directory.is_locked(account("00uGONE"))

    assert not isinstance(failed.value, DirectoryUnavailable)
    assert "00uGONE" in str(failed.value)


# ---- credentials and permissions -----------------------------------------------------------------------------------


async def test_a_wrong_token_is_refused_without_revealing_either_token(okta: FakeOkta) -> None:
    wrong = "00WrongTokenThatMustNotLeak-987654321"
    directory = provider(okta, token=wrong)
    try:
        with capture_logs() as logs, pytest.raises(DirectoryError) as refused:
            await directory.find_by_email("alice@example.org")
    finally:
        await directory.close()

    assert not isinstance(refused.value, DirectoryUnavailable)
    assert "E0000011" in str(refused.value)
    assert "token" in str(refused.value)
    for secret in (wrong, TOKEN):
        assert secret not in str(refused.value)
        assert secret not in repr(logs)


async def test_a_token_without_the_admin_role_says_which_role_is_needed(
    okta: FakeOkta, directory: OktaDirectory
) -> None:
    okta.fail("forbidden", method="PUT")

    with pytest.raises(DirectoryError, match="Group Membership Administrator") as refused:
        await directory.add_to_group(account(ALICE), FINANCE)

    assert "okta.groups.manage" in str(refused.value)


async def test_the_provider_refuses_to_start_without_a_token_or_over_plain_http() -> None:
    with pytest.raises(ValueError, match="token"):
        OktaDirectory(org_url="https://example.okta.com", api_token="  ")
    with pytest.raises(ValueError, match="https"):
        OktaDirectory(org_url="http://example.okta.com", api_token=TOKEN)
    with pytest.raises(ValueError, match="https"):
        OktaDirectory(org_url="example.okta.com", api_token=TOKEN)
    OktaDirectory(org_url="https://example.okta.com/", api_token=TOKEN)  # fine; the session opens on first use


async def test_a_next_page_on_another_host_is_not_followed(okta: FakeOkta, directory: OktaDirectory) -> None:
    okta.next_link_base = "http://collector.example.net"

    with pytest.raises(DirectoryError, match="points away"):
        await directory.find_by_email("frontdesk@example.org")


# ---- outages -------------------------------------------------------------------------------------------------------


async def test_okta_answering_503_is_unavailable(okta: FakeOkta, directory: OktaDirectory) -> None:
    okta.fail("unavailable")

    with pytest.raises(DirectoryUnavailable, match="503"):
        await directory.find_by_email("alice@example.org")


async def test_a_rate_limit_is_unavailable_and_says_when_it_resets(okta: FakeOkta, directory: OktaDirectory) -> None:
    okta.fail("rate_limited")

    with pytest.raises(DirectoryUnavailable, match=r"resets in about (29|30|31) s"):
        await directory.unlock(account(BOB))
    assert okta.users[BOB].status == "LOCKED_OUT"


async def test_a_hanging_okta_is_unavailable_within_the_timeout(okta: FakeOkta) -> None:
    directory = provider(okta, timeout_seconds=0.3)
    okta.fail("hang")
    started = time.monotonic()
    try:
        with pytest.raises(DirectoryUnavailable, match="did not answer"):
            await directory.find_by_email("alice@example.org")
    finally:
        await directory.close()

    assert time.monotonic() - started < 2


async def test_an_unreachable_okta_is_unavailable(okta: FakeOkta) -> None:
    url = okta.base_url
    await okta.close()
    directory = OktaDirectory(org_url=url, api_token=TOKEN, timeout_seconds=1)
    try:
        with pytest.raises(DirectoryUnavailable, match="could not be reached"):
            await directory.reset_mfa(account(ALICE))
    finally:
        await directory.close()


# ---- the stand-in itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, f"Bearer {TOKEN}", "SSWS 00NotTheToken", f"SSWS {TOKEN}x"])
async def test_the_fake_rejects_a_missing_or_wrong_token(okta: FakeOkta, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{okta.base_url}/api/v1/users/{ALICE}", headers=headers) as response,
    ):
        assert response.status == 401
        body = await response.json()

    assert (body["errorCode"], body["errorSummary"]) == ("E0000011", "Invalid token provided")
    assert okta.users[ALICE].status == "ACTIVE"


@pytest.mark.parametrize(
    "search",
    [
        'profile.email sw "a"',
        'profile.email eq "a" or status eq "ACTIVE"',
        'profile.email eq "a" or profile.login eq "b" or status eq "ACTIVE"',
    ],
)
async def test_the_fake_rejects_a_search_of_another_shape(okta: FakeOkta, search: str) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.get(
            f"{okta.base_url}/api/v1/users", params={"search": search}, headers={"Authorization": f"SSWS {TOKEN}"}
        ) as response,
    ):
        assert response.status == 400
        assert (await response.json())["errorCode"] == "E0000031"
