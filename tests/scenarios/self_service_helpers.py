"""The whole bot wired to a real slapd and a real SMTP server, for the self-service scenarios."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyotp

from bot.identity.secrets import SecretBox, new_secret_key
from bot.identity.totp import TotpEnrolments
from knowledge.embeddings import MiniLMEncoder
from tests.support.servers.slapd import (
    ALTERNATE_EMAIL_ATTRIBUTE,
    BASE_DN,
    SERVICE_DN,
    SERVICE_PASSWORD,
    VPN_USERS,
    Slapd,
)
from tests.support.servers.smtp import Mailbox
from tests.support.webchat import Bot, Person, running_bot

CATALOG = f"""\
items:
  - id: vpn
    kind: access
    name: VPN access
    aliases: [vpn, remote access]
    group: {VPN_USERS}
    owner: bob@example.org
  - id: admins
    kind: access
    name: Server administrators
    aliases: [server admin]
    group: cn=Domain Admins,ou=groups,{BASE_DN}
    owner: bob@example.org
  - id: visio
    kind: software
    name: Visio
    group: cn=visio-licences,ou=groups,{BASE_DN}
    approval: staff
"""


@dataclass
class SelfServiceBot:
    """The bot plus what the tests look at behind its back."""

    bot: Bot
    slapd: Slapd
    mailbox: Mailbox
    secret_key: str

    def person(self, name: str) -> Person:
        return Person(
            client=self.bot.client, user={"id": f"web-{name}", "email": f"{name}@example.org", "name": name.title()}
        )

    async def enrol_totp(self, email: str) -> pyotp.TOTP:
        box = SecretBox(key=self.secret_key)
        enrolment = await TotpEnrolments(database=self.bot.services.database, box=box).enroll(email)
        return pyotp.TOTP(enrolment.secret)


@asynccontextmanager
async def self_service_bot(
    *,
    slapd: Slapd,
    mailbox: Mailbox,
    smtp_port: int,
    data_dir: Path,
    tmp_path: Path,
    encoder: MiniLMEncoder,
    secret_key: str | None = None,
    **overrides: Any,
) -> AsyncIterator[SelfServiceBot]:
    """The bot on a database in `tmp_path` (so a second bot on the same path is a restart)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    catalog = tmp_path / "catalog.yml"
    catalog.write_text(CATALOG)
    secret_key = secret_key or new_secret_key()
    settings: dict[str, Any] = {
        "directory": "ldap",
        "ldap_url": slapd.url,
        "ldap_bind_dn": SERVICE_DN,
        "ldap_bind_password": SERVICE_PASSWORD,
        "ldap_base_dn": BASE_DN,
        "ldap_timeout_seconds": 2,
        "ldap_alternate_email_attribute": ALTERNATE_EMAIL_ATTRIBUTE,
        "catalog": catalog,
        "secret_key": secret_key,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp_port,
        **overrides,
    }
    async with running_bot(data_dir=data_dir, tmp_path=tmp_path, encoder=encoder, **settings) as bot:
        yield SelfServiceBot(bot=bot, slapd=slapd, mailbox=mailbox, secret_key=secret_key)


def temporary_password(reply: dict[str, Any]) -> str:
    [password] = re.findall(r"`([^`]+)`", reply["text"])
    return str(password)


def wrong_code(totp: pyotp.TOTP) -> str:
    """A six-digit code that is none of the codes the bot would accept right now."""
    valid = {totp.at(time.time(), counter_offset=offset) for offset in (-2, -1, 0, 1, 2)}
    return next(code for code in (f"{n:06d}" for n in range(100000, 999999, 7919)) if code not in valid)
