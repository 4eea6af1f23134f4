"""Every branch of the web channel's identity check."""

import pytest
from aiohttp.test_utils import make_mocked_request

from bot.channels.web.identity import IdentityError, WebIdentity
from bot.core.model import UserRef

ALICE = UserRef(id="alice", email="alice@example.com", name="Alice")
PROXY = WebIdentity(mode="header", proxy_secret="proxy-secret")


def request(headers: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return make_mocked_request("POST", "/api/chat", headers=headers or {})


def test_trusted_mode_takes_the_user_from_the_body() -> None:
    assert WebIdentity(mode="none").resolve(request(), ALICE) == ALICE


def test_trusted_mode_without_a_user_is_a_bad_request() -> None:
    with pytest.raises(IdentityError) as raised:
        WebIdentity(mode="none").resolve(request(), None)
    assert raised.value.status == 400


def test_header_mode_cannot_be_built_without_a_secret() -> None:
    with pytest.raises(ValueError, match="proxy secret"):
        WebIdentity(mode="header", proxy_secret=None)


def test_header_mode_refuses_a_missing_secret() -> None:
    with pytest.raises(IdentityError) as raised:
        PROXY.resolve(request({"X-Forwarded-User": "mallory"}), ALICE)
    assert raised.value.status == 401


def test_header_mode_refuses_a_wrong_secret() -> None:
    with pytest.raises(IdentityError) as raised:
        PROXY.resolve(request({"X-Helpdesk-Proxy-Secret": "guess", "X-Forwarded-User": "mallory"}), ALICE)
    assert raised.value.status == 401


def test_header_mode_refuses_a_proxy_that_sent_no_user() -> None:
    with pytest.raises(IdentityError, match="X-Forwarded-User"):
        PROXY.resolve(request({"X-Helpdesk-Proxy-Secret": "proxy-secret"}), ALICE)


def test_header_mode_ignores_the_body_and_believes_the_proxy() -> None:
    user = PROXY.resolve(
        request(
            {
                "X-Helpdesk-Proxy-Secret": "proxy-secret",
                "X-Forwarded-User": "bob",
                "X-Forwarded-Email": "bob@example.com",
            }
        ),
        ALICE,
    )
    assert user == UserRef(id="bob", email="bob@example.com", name=None)


def test_reading_a_conversation_needs_the_owner_in_header_mode() -> None:
    owner = request({"X-Helpdesk-Proxy-Secret": "proxy-secret", "X-Forwarded-User": "bob"})
    assert PROXY.may_read(owner, "bob")
    assert not PROXY.may_read(owner, "alice")
    assert not PROXY.may_read(request({"X-Forwarded-User": "bob"}), "bob")
    assert WebIdentity(mode="none").may_read(request(), "anyone")
