"""The audit log is a hash chain: appends link up, and any edit or deletion is found by `audit verify`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from bot.__main__ import app
from bot.audit import GENESIS, AuditEntry, AuditLog
from bot.audit import _hash as seal  # a forger knows the algorithm
from bot.store.sql.database import Database
from bot.store.sql.schema import audit_head, audit_log

runner = CliRunner()

RESET = AuditEntry(
    actor="alice@example.org",
    account="uid=alice,ou=people,dc=example,dc=org",
    action="reset_password",
    outcome="success",
    reason="intent reset_password (0.91)",
    details={"assurance": 2, "factor": "totp"},
    rollback="none: the old password is not kept",
)


async def write_three(log: AuditLog) -> None:
    await log.record(
        AuditEntry(
            actor="alice@example.org",
            action="verify_totp",
            outcome="success",
            reason="second factor for reset_password",
        )
    )
    await log.record(RESET)
    await log.record(
        AuditEntry(
            actor="bob@example.org",
            action="unlock_account",
            outcome="refused",
            reason="account is in a privileged group",
            account="uid=bob,ou=people,dc=example,dc=org",
        )
    )


@pytest.mark.asyncio
async def test_records_link_into_a_chain_that_verifies(database: Database) -> None:
    log = AuditLog(database=database)
    await write_three(log)

    records = [record async for record in log.records()]
    assert [r.seq for r in records] == [1, 2, 3]
    assert records[0].prev_hash == GENESIS
    assert records[1].prev_hash == records[0].hash
    assert records[2].prev_hash == records[1].hash
    assert records[1].entry == RESET
    result = await log.verify()
    assert result.ok
    assert result.records == 3
    assert result.problem is None


@pytest.mark.asyncio
@pytest.mark.parametrize(
    ("tamper", "problem"),
    [
        (audit_log.update().where(audit_log.c.seq == 2).values(outcome="failure"), "record 2 was altered"),
        (audit_log.update().where(audit_log.c.seq == 2).values(details={"assurance": 1}), "record 2 was altered"),
        (audit_log.delete().where(audit_log.c.seq == 2), "record 2 is missing"),
        (audit_log.delete().where(audit_log.c.seq == 3), "records after 2 were deleted"),
        (audit_log.update().where(audit_log.c.seq == 3).values(prev_hash="f" * 64), "record 3 does not follow"),
    ],
)
async def test_an_edited_or_deleted_record_breaks_the_chain(
    database: Database, tamper: sa.Executable, problem: str
) -> None:
    log = AuditLog(database=database)
    await write_three(log)
    async with database.engine.begin() as conn:
        await conn.execute(tamper)

    result = await log.verify()
    assert not result.ok
    assert result.problem is not None
    assert problem in result.problem


@pytest.mark.asyncio
async def test_rewriting_a_record_with_a_fresh_hash_is_still_found(database: Database) -> None:
    """Someone who recomputes the edited record's own hash still breaks the link to the next one."""
    log = AuditLog(database=database)
    await write_three(log)
    forged = [record async for record in log.records()][1]
    entry = AuditEntry(**{**forged.entry.__dict__, "outcome": "failure"})
    new_hash = seal(seq=2, at=forged.at, entry=entry, prev_hash=forged.prev_hash)
    async with database.engine.begin() as conn:
        await conn.execute(audit_log.update().where(audit_log.c.seq == 2).values(outcome="failure", hash=new_hash))

    result = await log.verify()
    assert not result.ok
    assert result.problem == "record 3 does not follow record 2"


@pytest.mark.asyncio
async def test_details_that_look_like_secrets_are_refused(database: Database) -> None:
    log = AuditLog(database=database)
    for key in ("temporary_password", "otp", "code", "api_token", "client_secret"):
        with pytest.raises(ValueError, match="must not hold secrets"):
            await log.record(
                AuditEntry(actor="a", action="reset_password", outcome="success", reason="r", details={key: "x"})
            )
    assert [record async for record in log.records()] == []
    assert (await log.verify()).ok


@pytest.mark.asyncio
async def test_concurrent_appends_keep_one_unbroken_chain(database: Database) -> None:
    log = AuditLog(database=database)
    await asyncio.gather(
        *(
            log.record(AuditEntry(actor=f"user{n}", action="verify_totp", outcome="failure", reason="wrong code"))
            for n in range(20)
        )
    )
    result = await log.verify()
    assert result.ok
    assert result.records == 20
    async with database.engine.connect() as conn:
        assert (await conn.execute(sa.select(audit_head.c.next_seq))).scalar_one() == 21


# ---- the command line ----------------------------------------------------------------------------------------


@pytest.fixture
def audited_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "helpdesk.db"
    monkeypatch.setenv("HELPDESK_DATABASE_URL", f"sqlite+aiosqlite:///{path}")

    async def fill() -> None:
        db = Database(url=f"sqlite+aiosqlite:///{path}")
        await db.migrate()
        await write_three(AuditLog(database=db))
        await db.close()

    asyncio.run(fill())
    return path


def test_audit_verify_passes_then_fails_after_an_edit(audited_database: Path) -> None:
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "audit log intact: 3 records" in result.output

    async def edit() -> None:
        db = Database(url=f"sqlite+aiosqlite:///{audited_database}")
        async with db.engine.begin() as conn:
            await conn.execute(audit_log.update().where(audit_log.c.seq == 1).values(actor="mallory@example.org"))
        await db.close()

    asyncio.run(edit())
    result = runner.invoke(app, ["audit", "verify"])
    assert result.exit_code == 1
    assert "BROKEN: record 1 was altered" in result.output


def test_audit_export_writes_json_lines_since_a_time(audited_database: Path, tmp_path: Path) -> None:
    out = tmp_path / "audit.jsonl"
    result = runner.invoke(app, ["audit", "export", "--since", "2000-01-01", "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [line["action"] for line in lines] == ["verify_totp", "reset_password", "unlock_account"]
    assert lines[1]["details"] == {"assurance": 2, "factor": "totp"}
    assert lines[1]["prev_hash"] == lines[0]["hash"]

    result = runner.invoke(app, ["audit", "export", "--since", "2999-01-01"])
    assert result.exit_code == 0
    assert result.stdout.strip() == ""
    assert runner.invoke(app, ["audit", "export", "--since", "last tuesday"]).exit_code == 2
