"""The Entra ID directory provider against a local stand-in for Entra's token service and Microsoft Graph.

The token comes from MSAL's real client-credentials flow: MSAL reads the stand-in tenant's OpenID configuration and
posts the client secret to its token endpoint, over HTTPS with the stand-in's self-signed certificate (MSAL accepts
no http:// authority), trusted through REQUESTS_CA_BUNDLE. The stand-in serves pages of two, so every list the
provider reads has to be followed across @odata.nextLink.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import aiohttp
import pytest
import pytest_asyncio
from structlog.testing import capture_logs

from bot.core.directory import DirectoryAccount, DirectoryError, DirectoryUnavailable, NotSupported, PasswordRejected
from bot.identity.entra import EntraDirectory
from tests.fakes.graph_server import PASSWORD_METHOD_ID, FakeGraph

pytestmark = pytest.mark.asyncio

SECRET = "Qx8~Tenant.Secret_Value-0123456789abcdefgh"
NEW_PASSWORD = "Temp-4821-pw"
ALICE, BOB, CAROL, DAVE, SEAN, ERIN = (f"00000000-0000-4000-8000-00000000000{n}" for n in range(1, 7))
STAFF, VPN, WIKI, FINANCE = (f"99999999-0000-4000-8000-00000000000{n}" for n in range(1, 5))


@pytest_asyncio.fixture
async def graph(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeGraph]:
    fake = FakeGraph(client_secret=SECRET, page_size=2)
    fake.add_user(
        ALICE,
        upn="alice@contoso.example",
        mail="alice@contoso.example",
        display_name="Alice Archer",
        other_mails=("alice.home@example.net", "alice@old.example"),
        manager_id=BOB,
        roles=("Helpdesk Administrator",),
        methods=("phone", "microsoftAuthenticator", "fido2"),
        department="Finance",
        office_location="Berlin",
    )
    fake.add_user(BOB, upn="bob@contoso.example", mail="bob@contoso.example", display_name="Bob Baker")
    fake.add_user(
        CAROL, upn="c.carter@contoso.example", mail="carol@contoso.example", display_name="Carol Carter", manager_id=BOB
    )
    fake.add_user(
        DAVE,
        upn="dave_contractor@contoso.example",
        mail="dave+contractor@contoso.example",
        display_name="Dave Dunn",
        enabled=False,
    )
    fake.add_user(
        SEAN, upn="sean.obrien@contoso.example", mail="sean.o'brien@contoso.example", display_name="Seán O'Brien"
    )
    fake.add_user(
        ERIN,
        upn="erin@contoso.example",
        mail="erin@contoso.example",
        display_name="Erin Eads",
        methods=("softwareOath", "qrCodePin", "email"),
    )
    fake.add_group(STAFF, name="Staff", members=(ALICE, BOB))
    fake.add_group(VPN, name="VPN users", members=(ALICE,))
    fake.add_group(WIKI, name="Wiki editors", members=(ALICE,))
    fake.add_group(FINANCE, name="Finance")
    await fake.start()
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", fake.ca_file)  # MSAL's requests session trusts the stand-in
    yield fake
    await fake.close()


def provider(
    graph: FakeGraph,
    *,
    secret: str = SECRET,
    tenant_id: str | None = None,
    client_id: str | None = None,
    timeout_seconds: float = 3.0,
) -> EntraDirectory:
    return EntraDirectory(
        tenant_id=tenant_id or graph.tenant_id,
        client_id=client_id or graph.client_id,
        client_secret=secret,
        graph_url=graph.graph_url,
        authority_url=graph.authority_url,
        timeout_seconds=timeout_seconds,
    )


@pytest_asyncio.fixture
async def directory(graph: FakeGraph) -> AsyncIterator[EntraDirectory]:
    client = provider(graph)
    yield client
    await client.close()


def account(user_id: str, email: str = "someone@contoso.example") -> DirectoryAccount:
    return DirectoryAccount(id=user_id, email=email)


async def only(directory: EntraDirectory, email: str) -> DirectoryAccount:
    [found] = await directory.find_by_email(email)
    return found


def searches(graph: FakeGraph) -> list[str]:
    return [c.query["$filter"] for c in graph.answered(method="GET") if c.path == "/v1.0/users"]


# ---- finding people ------------------------------------------------------------------------------------------------


async def test_alice_is_found_by_her_email_whatever_the_case(graph: FakeGraph, directory: EntraDirectory) -> None:
    alice = await only(directory, "  ALICE@Contoso.example ")

    assert alice == DirectoryAccount(
        id=ALICE,
        email="alice@contoso.example",
        display_name="Alice Archer",
        enabled=True,
        groups=(STAFF, VPN, WIKI),
        manager_id=BOB,
        manager_email="bob@contoso.example",
        alternate_email="alice.home@example.net",
        department="Finance",
        location="Berlin",
    )
    assert len(graph.answered(path_contains=f"/users/{ALICE}/memberOf")) == 2  # 3 groups and a role, 2 a page
    assert searches(graph) == ["mail eq 'ALICE@Contoso.example' or userPrincipalName eq 'ALICE@Contoso.example'"]
    [search] = [c for c in graph.answered() if c.path == "/v1.0/users"]
    assert search.query["$select"] == (
        "id,mail,userPrincipalName,displayName,accountEnabled,otherMails,department,officeLocation"
    )


async def test_carol_is_found_by_her_sign_in_name_and_keeps_her_mail(directory: EntraDirectory) -> None:
    carol = await only(directory, "C.Carter@contoso.example")

    assert (carol.id, carol.email, carol.display_name) == (CAROL, "carol@contoso.example", "Carol Carter")
    assert (carol.groups, carol.alternate_email, carol.manager_email) == ((), None, "bob@contoso.example")


async def test_bob_has_no_manager(directory: EntraDirectory) -> None:
    bob = await only(directory, "bob@contoso.example")

    assert (bob.manager_id, bob.manager_email, bob.groups) == (None, None, (STAFF,))  # Graph answered 404


async def test_a_disabled_contractor_is_found_but_disabled(directory: EntraDirectory) -> None:
    dave = await only(directory, "dave+contractor@contoso.example")  # the "+" must survive URL encoding

    assert dave.id == DAVE
    assert not dave.enabled


async def test_sean_is_found_although_his_address_has_a_quote(graph: FakeGraph, directory: EntraDirectory) -> None:
    sean = await only(directory, "Sean.O'Brien@contoso.example")

    assert (sean.id, sean.display_name) == (SEAN, "Seán O'Brien")
    assert searches(graph) == [
        "mail eq 'Sean.O''Brien@contoso.example' or userPrincipalName eq 'Sean.O''Brien@contoso.example'"
    ]


@pytest.mark.parametrize(
    "email",
    [
        "x' or accountEnabled eq true or mail eq 'y",
        "' or startswith(mail,'a') or mail eq '",
        "alice@contoso.example' or userPrincipalName ne '",
        "alice@contoso.example'",
    ],
)
async def test_a_quote_in_the_address_cannot_widen_the_filter(
    graph: FakeGraph, directory: EntraDirectory, email: str
) -> None:
    assert await directory.find_by_email(email) == []

    literal = "'" + email.replace("'", "''") + "'"
    assert searches(graph) == [f"mail eq {literal} or userPrincipalName eq {literal}"]  # the stand-in parsed it


async def test_nobody_is_found_for_an_unknown_or_empty_address(graph: FakeGraph, directory: EntraDirectory) -> None:
    assert await directory.find_by_email("nobody@contoso.example") == []
    before = (len(graph.calls), len(graph.token_requests))
    assert await directory.find_by_email("   ") == []
    assert (len(graph.calls), len(graph.token_requests)) == before  # an empty address is not even asked about


# ---- passwords -----------------------------------------------------------------------------------------------------


async def test_after_a_reset_alice_must_change_her_password_and_her_sessions_are_revoked(
    graph: FakeGraph, directory: EntraDirectory
) -> None:
    alice = await only(directory, "alice@contoso.example")
    await directory.reset_password(alice, new_password=NEW_PASSWORD)

    assert graph.users[ALICE].password == NEW_PASSWORD
    assert graph.users[ALICE].force_change_password
    assert graph.users[ALICE].sessions_revoked == 1
    changes = [(c.method, c.path, c.body) for c in graph.answered() if c.method != "GET"]
    assert changes == [
        (
            "PATCH",
            f"/v1.0/users/{ALICE}",
            {"passwordProfile": {"password": NEW_PASSWORD, "forceChangePasswordNextSignIn": True}},
        ),
        ("POST", f"/v1.0/users/{ALICE}/revokeSignInSessions", None),
    ]


async def test_a_password_the_policy_refuses_changes_nothing(graph: FakeGraph, directory: EntraDirectory) -> None:
    weak = "alllowercase1"

    with capture_logs() as logs, pytest.raises(PasswordRejected) as refused:
        await directory.reset_password(account(ALICE), new_password=weak)

    assert "password complexity requirements" in str(refused.value)
    assert weak not in str(refused.value)
    assert weak not in repr(logs)
    assert graph.users[ALICE].password == "Initial-Passw0rd"
    assert not graph.users[ALICE].force_change_password
    assert graph.users[ALICE].sessions_revoked == 0


async def test_when_revoking_fails_the_error_says_the_password_was_changed(
    graph: FakeGraph, directory: EntraDirectory
) -> None:
    graph.fail("unavailable", path=f"/v1.0/users/{ALICE}/revokeSignInSessions")

    with capture_logs() as logs, pytest.raises(DirectoryError) as failed:
        await directory.reset_password(account(ALICE), new_password=NEW_PASSWORD)

    assert not isinstance(failed.value, DirectoryUnavailable)  # something did change: a person must finish
    assert "WAS set" in str(failed.value)
    assert "Revoke sessions" in str(failed.value)
    assert NEW_PASSWORD not in str(failed.value)
    assert NEW_PASSWORD not in repr(logs)
    assert graph.users[ALICE].password == NEW_PASSWORD
    assert graph.users[ALICE].sessions_revoked == 0


async def test_when_graph_stops_answering_a_password_change_nobody_claims_nothing_changed(graph: FakeGraph) -> None:
    directory = provider(graph, timeout_seconds=0.3)
    graph.fail("hang", method="PATCH")
    try:
        with pytest.raises(DirectoryError) as failed:
            await directory.reset_password(account(ALICE), new_password=NEW_PASSWORD)
    finally:
        await directory.close()

    assert not isinstance(failed.value, DirectoryUnavailable)
    assert "may or may not" in str(failed.value)


# ---- lockouts ------------------------------------------------------------------------------------------------------


async def test_entra_lockouts_can_be_neither_seen_nor_cleared(graph: FakeGraph, directory: EntraDirectory) -> None:
    with pytest.raises(NotSupported, match="smart lockout"):
        await directory.is_locked(account(BOB))
    with pytest.raises(NotSupported, match="smart lockout"):
        await directory.unlock(account(BOB))

    assert graph.calls == []


# ---- groups and authentication methods ------------------------------------------------------------------------------


async def test_alice_joins_and_leaves_finance(graph: FakeGraph, directory: EntraDirectory) -> None:
    alice = await only(directory, "alice@contoso.example")

    await directory.add_to_group(alice, FINANCE)
    await directory.add_to_group(alice, FINANCE)  # already a member: Graph answers 400, which is fine
    assert graph.groups[FINANCE].members == {ALICE}
    assert FINANCE in (await only(directory, "alice@contoso.example")).groups
    [reference, _] = [c.body for c in graph.answered(method="POST", path_contains="/members/$ref")]
    assert reference == {"@odata.id": f"{graph.graph_url}/v1.0/directoryObjects/{ALICE}"}

    await directory.remove_from_group(alice, FINANCE)
    await directory.remove_from_group(alice, FINANCE)  # no longer a member: Graph answers 404, which is fine
    assert graph.groups[FINANCE].members == set()


async def test_a_group_that_does_not_exist_is_an_error(directory: EntraDirectory) -> None:
    with pytest.raises(DirectoryError, match="no-such-group") as failed:
        await directory.add_to_group(account(ALICE), "no-such-group")
    assert not isinstance(failed.value, DirectoryUnavailable)
    with pytest.raises(DirectoryError, match="no group no-such-group"):
        await directory.remove_from_group(account(ALICE), "no-such-group")


async def test_a_group_id_cannot_steer_the_call_to_someone_else(graph: FakeGraph, directory: EntraDirectory) -> None:
    with pytest.raises(DirectoryError):  # unquoted, this would remove Bob from Staff
        await directory.remove_from_group(account(ALICE), f"{STAFF}/members/{BOB}/$ref?x=")

    assert graph.groups[STAFF].members == {ALICE, BOB}


async def test_resetting_mfa_removes_everything_but_alices_password_and_says_how_many(
    graph: FakeGraph, directory: EntraDirectory
) -> None:
    alice = await only(directory, "alice@contoso.example")

    assert await directory.reset_mfa(alice) == 3
    assert [m["id"] for m in graph.users[ALICE].methods] == [PASSWORD_METHOD_ID]
    assert graph.users[ALICE].sessions_revoked == 1
    deleted = [c.path.split("/")[-2] for c in graph.answered(method="DELETE")]
    assert deleted == ["phoneMethods", "microsoftAuthenticatorMethods", "fido2Methods"]

    assert await directory.reset_mfa(alice) == 0  # nothing left: nothing deleted, no second revocation
    assert graph.users[ALICE].sessions_revoked == 1


async def test_a_method_the_bot_cannot_delete_is_named_after_the_others_are_removed(
    graph: FakeGraph, directory: EntraDirectory
) -> None:
    with pytest.raises(DirectoryError) as failed:
        await directory.reset_mfa(account(ERIN))

    assert "#microsoft.graph.qrCodePinAuthenticationMethod" in str(failed.value)
    assert "2 other method(s) WERE removed and the sessions revoked" in str(failed.value)
    assert graph.users[ERIN].method_types == ["passwordAuthenticationMethod", "qrCodePinAuthenticationMethod"]
    assert graph.users[ERIN].sessions_revoked == 1


async def test_an_mfa_reset_that_stops_part_way_says_how_far_it_got(
    graph: FakeGraph, directory: EntraDirectory
) -> None:
    fido2 = next(m["id"] for m in graph.users[ALICE].methods if "fido2" in m["@odata.type"])
    graph.fail("unavailable", path=f"/v1.0/users/{ALICE}/authentication/fido2Methods/{fido2}")

    with pytest.raises(DirectoryError, match=r"2 authentication method\(s\) WERE removed") as failed:
        await directory.reset_mfa(account(ALICE))

    assert not isinstance(failed.value, DirectoryUnavailable)
    assert graph.users[ALICE].method_types == ["passwordAuthenticationMethod", "fido2AuthenticationMethod"]


# ---- the app's credentials and permissions --------------------------------------------------------------------------


async def test_the_token_is_fetched_once_and_reused(graph: FakeGraph, directory: EntraDirectory) -> None:
    await only(directory, "alice@contoso.example")
    await directory.add_to_group(account(ALICE), FINANCE)

    assert len(graph.token_requests) == 1
    [request] = graph.token_requests
    assert (request["grant_type"], request["scope"]) == ("client_credentials", "https://graph.microsoft.com/.default")
    assert {c.authorization for c in graph.calls} == {f"Bearer {next(iter(graph.issued))}"}


async def test_a_token_graph_stops_accepting_is_replaced_once(graph: FakeGraph, directory: EntraDirectory) -> None:
    await only(directory, "bob@contoso.example")
    graph.forget_tokens()

    assert (await only(directory, "bob@contoso.example")).id == BOB
    assert len(graph.token_requests) == 2


async def test_a_wrong_client_secret_is_refused_without_revealing_it(graph: FakeGraph) -> None:
    wrong = "Wr0ng~Secret.That_Must-Not-Leak-987654321"
    directory = provider(graph, secret=wrong)
    try:
        with capture_logs() as logs, pytest.raises(DirectoryError) as refused:
            await directory.find_by_email("alice@contoso.example")
    finally:
        await directory.close()

    assert not isinstance(refused.value, DirectoryUnavailable)
    assert "invalid_client" in str(refused.value)
    assert "AADSTS7000215" in str(refused.value)
    for secret in (wrong, SECRET):
        assert secret not in str(refused.value)
        assert secret not in repr(logs)
    assert graph.calls == []  # Graph never saw a request without a token


async def test_an_unknown_client_id_is_refused(graph: FakeGraph) -> None:
    directory = provider(graph, client_id="11111111-2222-3333-4444-555555555555")
    try:
        with pytest.raises(DirectoryError, match="unauthorized_client: AADSTS700016"):
            await directory.find_by_email("alice@contoso.example")
    finally:
        await directory.close()


async def test_an_unknown_tenant_is_an_error_not_an_outage(graph: FakeGraph) -> None:
    directory = provider(graph, tenant_id="contoso-typo.onmicrosoft.com")
    try:
        with pytest.raises(DirectoryError, match=r"no tenant contoso-typo\.onmicrosoft\.com") as refused:
            await directory.reset_mfa(account(ALICE))
    finally:
        await directory.close()

    assert not isinstance(refused.value, DirectoryUnavailable)
    assert graph.token_requests == []


@pytest.mark.parametrize(
    ("method", "permission"),
    [
        ("PATCH", "User.ReadWrite.All"),
        ("POST", "GroupMember.ReadWrite.All"),
        ("DELETE", "UserAuthenticationMethod.ReadWrite.All"),
    ],
)
async def test_a_missing_permission_is_named(
    graph: FakeGraph, directory: EntraDirectory, method: str, permission: str
) -> None:
    graph.fail("forbidden", method=method)
    attempts: dict[str, Callable[[], Awaitable[object]]] = {
        "PATCH": lambda: directory.reset_password(account(ALICE), new_password=NEW_PASSWORD),
        "POST": lambda: directory.add_to_group(account(ALICE), FINANCE),
        "DELETE": lambda: directory.reset_mfa(account(ALICE)),
    }

    with pytest.raises(DirectoryError, match="lacks permission") as refused:
        await attempts[method]()

    assert permission in str(refused.value)
    assert not isinstance(refused.value, DirectoryUnavailable)


async def test_the_provider_refuses_to_start_without_credentials_or_over_plain_http() -> None:
    def make(
        *,
        tenant_id: str = "contoso.onmicrosoft.com",
        client_secret: str = SECRET,
        graph_url: str = "https://graph.microsoft.com",
        authority_url: str = "https://login.microsoftonline.com",
    ) -> EntraDirectory:
        return EntraDirectory(
            tenant_id=tenant_id,
            client_id="app",
            client_secret=client_secret,
            graph_url=graph_url,
            authority_url=authority_url,
        )

    with pytest.raises(ValueError, match="secret"):
        make(client_secret="")
    with pytest.raises(ValueError, match="tenant"):
        make(tenant_id="  ")
    with pytest.raises(ValueError, match="graph_url"):
        make(graph_url="http://graph.microsoft.com")
    with pytest.raises(ValueError, match="authority_url"):
        make(authority_url="http://127.0.0.1:8443")
    await make().close()  # fine: nothing is fetched until the first call


# ---- outages -------------------------------------------------------------------------------------------------------


async def test_graph_answering_503_is_unavailable(graph: FakeGraph, directory: EntraDirectory) -> None:
    graph.fail("unavailable")

    with pytest.raises(DirectoryUnavailable, match=r"503 serviceNotAvailable.*retry after 10 s"):
        await directory.find_by_email("alice@contoso.example")


async def test_graph_throttling_is_unavailable_and_changes_nothing(graph: FakeGraph, directory: EntraDirectory) -> None:
    graph.fail("throttled")

    with pytest.raises(DirectoryUnavailable, match=r"429 TooManyRequests.*retry after 7 s"):
        await directory.add_to_group(account(ALICE), FINANCE)
    assert graph.groups[FINANCE].members == set()


async def test_a_hanging_graph_is_unavailable_within_the_timeout(graph: FakeGraph) -> None:
    directory = provider(graph, timeout_seconds=0.3)
    graph.fail("hang")
    started = time.monotonic()
    try:
        with pytest.raises(DirectoryUnavailable, match="did not answer"):
            await directory.find_by_email("alice@contoso.example")
    finally:
        await directory.close()

    assert time.monotonic() - started < 2


async def test_an_unreachable_token_service_is_unavailable(graph: FakeGraph) -> None:
    directory = EntraDirectory(
        tenant_id=graph.tenant_id,
        client_id=graph.client_id,
        client_secret=SECRET,
        graph_url=graph.graph_url,
        authority_url="https://127.0.0.1:9",
        timeout_seconds=1,
    )
    try:
        with pytest.raises(DirectoryUnavailable, match="could not be reached"):
            await directory.find_by_email("alice@contoso.example")
    finally:
        await directory.close()


async def test_an_unreachable_graph_is_unavailable(graph: FakeGraph) -> None:
    directory = EntraDirectory(
        tenant_id=graph.tenant_id,
        client_id=graph.client_id,
        client_secret=SECRET,
        graph_url="http://127.0.0.1:9",
        authority_url=graph.authority_url,
        timeout_seconds=1,
    )
    try:
        with pytest.raises(DirectoryUnavailable, match="could not be reached"):
            await directory.find_by_email("alice@contoso.example")
    finally:
        await directory.close()


# ---- the stand-in itself -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer eyJ0eXAiOiJKV1QifQ.forged.token", f"Basic {SECRET}"])
async def test_the_fake_rejects_a_token_it_did_not_issue(graph: FakeGraph, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{graph.graph_url}/v1.0/users/{ALICE}/revokeSignInSessions", headers=headers) as response,
    ):
        assert response.status == 401
        body = await response.json()

    assert body["error"]["code"] == "InvalidAuthenticationToken"
    assert graph.users[ALICE].sessions_revoked == 0


async def test_the_fake_accepts_only_the_filter_the_provider_sends(graph: FakeGraph) -> None:
    token = await _token(graph)
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        for expression in (
            "mail eq 'a'",
            "mail eq 'a' or userPrincipalName eq 'b' or accountEnabled eq true",
            "mail eq 'a'' or userPrincipalName eq 'b'",
            "startswith(mail,'a')",
        ):
            async with session.get(f"{graph.graph_url}/v1.0/users", params={"$filter": expression}) as response:
                assert response.status == 400, expression
        async with session.patch(
            f"{graph.graph_url}/v1.0/users/{ALICE}", data=b"{not json", headers={"Content-Type": "application/json"}
        ) as response:
            assert response.status == 400
        async with session.post(
            f"{graph.graph_url}/v1.0/groups/{FINANCE}/members/$ref",
            json={"@odata.id": f"https://evil.example/v1.0/directoryObjects/{ALICE}"},
        ) as response:
            assert response.status == 400

    assert graph.users[ALICE].password == "Initial-Passw0rd"
    assert graph.groups[FINANCE].members == set()


async def _token(graph: FakeGraph) -> str:
    """A token from the stand-in's token endpoint, asked for the way MSAL asks."""
    form = {
        "grant_type": "client_credentials",
        "client_id": graph.client_id,
        "client_secret": SECRET,
        "scope": "https://graph.microsoft.com/.default",
    }
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{graph.authority_url}/{graph.tenant_id}/oauth2/v2.0/token",
            data=form,
            ssl=ssl.create_default_context(cafile=graph.ca_file),
        ) as response,
    ):
        assert response.status == 200
        token: str = (await response.json())["access_token"]
    return token
