"""E-mailed one-time codes, sent through a real SMTP server: six digits, once, for five minutes, three tries."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from bot.identity.email_codes import CodeCheck, EmailCodes, EmailDeliveryError, SmtpServer
from bot.identity.totp import CodeFormatError
from bot.store.sql.database import Database
from bot.store.sql.schema import email_codes
from tests.support.clock import FakeClock
from tests.support.servers.smtp import Mailbox, smtp_server
from tests.support.tcp import free_port

pytestmark = pytest.mark.asyncio

ALICE = "alice@example.org"
ALICE_HOME = "alice.home@example.net"


@pytest.fixture
def mailbox() -> Iterator[tuple[Mailbox, int]]:
    with smtp_server() as running:
        yield running


def codes(database: Database, port: int, *, clock: FakeClock | None = None) -> EmailCodes:
    return EmailCodes(
        database=database,
        key=b"k" * 32,
        clock=clock or FakeClock(),
        smtp=SmtpServer(host="127.0.0.1", port=port, sender="it-helpdesk@example.org"),
    )


def code_in(mailbox: Mailbox) -> str:
    body = mailbox.messages[-1].get_payload()
    match = re.search(r"\b(\d{6})\b", str(body))
    assert match, body
    return match.group(1)


async def test_the_mailed_code_is_accepted_once(mailbox: tuple[Mailbox, int], database: Database) -> None:
    box, port = mailbox
    service = codes(database, port)
    await service.send(person=ALICE, to_address=ALICE_HOME)

    [message] = box.messages
    assert message["To"] == ALICE_HOME
    assert "verification code" in message["Subject"]
    code = code_in(box)
    assert await service.check(person="Alice@Example.org", code=code) == CodeCheck.ACCEPTED
    assert await service.check(person=ALICE, code=code) == CodeCheck.NONE_SENT  # single use


async def test_only_a_keyed_hash_is_stored(mailbox: tuple[Mailbox, int], database: Database) -> None:
    box, port = mailbox
    await codes(database, port).send(person=ALICE, to_address=ALICE_HOME)
    async with database.engine.connect() as conn:
        [row] = (await conn.execute(sa.select(email_codes))).all()
    assert code_in(box) not in repr(tuple(row))


async def test_three_wrong_codes_void_it(mailbox: tuple[Mailbox, int], database: Database) -> None:
    box, port = mailbox
    service = codes(database, port)
    await service.send(person=ALICE, to_address=ALICE_HOME)
    right = code_in(box)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    assert await service.check(person=ALICE, code=wrong) == CodeCheck.WRONG
    with pytest.raises(CodeFormatError):  # a typo in the format does not cost an attempt
        await service.check(person=ALICE, code="12-34")
    assert await service.check(person=ALICE, code=wrong) == CodeCheck.WRONG
    assert await service.check(person=ALICE, code=wrong) == CodeCheck.EXHAUSTED
    assert await service.check(person=ALICE, code=right) == CodeCheck.NONE_SENT


async def test_an_old_code_expires_and_a_new_one_replaces_it(mailbox: tuple[Mailbox, int], database: Database) -> None:
    box, port = mailbox
    clock = FakeClock()
    service = codes(database, port, clock=clock)
    await service.send(person=ALICE, to_address=ALICE_HOME)
    first = code_in(box)
    await service.send(person=ALICE, to_address=ALICE_HOME)
    second = code_in(box)
    if first != second:
        assert await service.check(person=ALICE, code=first) == CodeCheck.WRONG
    clock.advance(minutes=5)  # the code's lifetime is up
    assert await service.check(person=ALICE, code=second) == CodeCheck.EXPIRED


async def test_a_refused_or_unreachable_mail_server_leaves_no_code(
    mailbox: tuple[Mailbox, int], database: Database
) -> None:
    box, port = mailbox
    box.refuse.add(ALICE_HOME)
    with pytest.raises(EmailDeliveryError):
        await codes(database, port).send(person=ALICE, to_address=ALICE_HOME)
    with pytest.raises(EmailDeliveryError):
        await codes(database, free_port()).send(person=ALICE, to_address=ALICE_HOME)
    assert await codes(database, port).check(person=ALICE, code="123456") == CodeCheck.NONE_SENT
