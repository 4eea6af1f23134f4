"""TOTP: enrolment prints a secret once, stores it encrypted, and each code works once within its window."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pyotp
import pytest
import pytest_asyncio
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.__main__ import app
from bot.identity.secrets import SecretBox, SecretKeyError, new_secret_key
from bot.identity.totp import CodeFormatError, TotpEnrolments
from bot.store.sql.database import Database
from bot.store.sql.schema import totp_enrolments
from tests.support.clock import FakeClock

runner = CliRunner()
KEY = new_secret_key()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest_asyncio.fixture
async def enrolments(tmp_path: Path, clock: FakeClock) -> AsyncIterator[TotpEnrolments]:
    database = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}")
    await database.migrate()
    yield TotpEnrolments(database=database, box=SecretBox(key=KEY), clock=clock)
    await database.close()


@pytest.mark.asyncio
async def test_the_current_code_works_once(enrolments: TotpEnrolments, clock: FakeClock) -> None:
    enrolment = await enrolments.enroll("Alice@Example.org")
    now = clock.now().timestamp()
    code = pyotp.TOTP(enrolment.secret).at(now)

    assert await enrolments.verify("alice@example.org", code)
    assert not await enrolments.verify("alice@example.org", code)  # replayed


@pytest.mark.asyncio
async def test_a_neighbouring_step_is_accepted_but_an_old_code_is_not(
    enrolments: TotpEnrolments, clock: FakeClock
) -> None:
    totp = pyotp.TOTP((await enrolments.enroll("alice@example.org")).secret)
    now = clock.now().timestamp()
    assert await enrolments.verify("alice@example.org", totp.at(now - 30))  # a slow phone clock
    assert not await enrolments.verify("alice@example.org", totp.at(now - 120))
    # After a newer code has been used, an earlier one (still in the window) is refused too.
    assert await enrolments.verify("alice@example.org", totp.at(now + 30))
    assert not await enrolments.verify("alice@example.org", totp.at(now))


@pytest.mark.asyncio
async def test_wrong_codes_unknown_people_and_malformed_codes(enrolments: TotpEnrolments, clock: FakeClock) -> None:
    enrolment = await enrolments.enroll("alice@example.org")
    now = clock.now().timestamp()
    right = pyotp.TOTP(enrolment.secret).at(now)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    assert not await enrolments.verify("alice@example.org", wrong)
    assert not await enrolments.verify("bob@example.org", right)
    for malformed in ("12345", "1234567", "abcdef", "", "12 34 5x"):
        with pytest.raises(CodeFormatError):
            await enrolments.verify("alice@example.org", malformed)
    assert await enrolments.verify("alice@example.org", f" {right[:3]} {right[3:]} ")  # typed with spaces


@pytest.mark.asyncio
async def test_the_secret_is_stored_encrypted_and_re_enrolment_replaces_it(
    enrolments: TotpEnrolments, clock: FakeClock, tmp_path: Path
) -> None:
    first = await enrolments.enroll("alice@example.org")
    second = await enrolments.enroll("alice@example.org")
    assert first.secret != second.secret
    database = Database(url=f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}")
    async with database.engine.connect() as conn:
        [stored] = (await conn.execute(sa.select(totp_enrolments.c.secret))).scalars().all()
    await database.close()
    assert second.secret not in stored
    assert first.secret not in stored
    now = clock.now().timestamp()
    assert not await enrolments.verify("alice@example.org", pyotp.TOTP(first.secret).at(now))
    assert await enrolments.verify("alice@example.org", pyotp.TOTP(second.secret).at(now))


def test_a_bad_or_changed_key_is_a_clear_error() -> None:
    with pytest.raises(SecretKeyError, match="not a valid key"):
        SecretBox(key="not-a-key")
    sealed = SecretBox(key=KEY).encrypt("JBSWY3DPEHPK3PXP")
    with pytest.raises(SecretKeyError, match="cannot be decrypted"):
        SecretBox(key=new_secret_key()).decrypt(sealed)


def test_enroll_totp_prints_the_secret_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPDESK_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'helpdesk.db'}")
    monkeypatch.delenv("HELPDESK_SECRET_KEY", raising=False)
    result = runner.invoke(app, ["identity", "enroll-totp", "alice@example.org"])
    assert result.exit_code == 2
    assert "HELPDESK_SECRET_KEY is not set" in result.output

    monkeypatch.setenv("HELPDESK_SECRET_KEY", KEY)
    result = runner.invoke(app, ["identity", "enroll-totp", "alice@example.org"])
    assert result.exit_code == 0, result.output
    [secret_line] = [line for line in result.stdout.splitlines() if line.startswith("secret: ")]
    secret = secret_line.removeprefix("secret: ")
    assert pyotp.TOTP(secret).now().isdigit()
    assert "otpauth://totp/IT%20Helpdesk:alice%40example.org?secret=" + secret in result.stdout

    assert runner.invoke(app, ["identity", "enroll-totp", "not-an-address"]).exit_code == 2
    assert len(runner.invoke(app, ["identity", "new-secret-key"]).stdout.strip()) == 44
