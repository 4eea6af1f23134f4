"""Self-service benchmark: how long each step of a verified action takes, end to end, against a real slapd.

Runs the whole bot (web chat API over TCP, SQLite, the real model for intents) wired to a throwaway OpenLDAP
slapd, and times, per person: the intent turn ("my account is locked" → confirmation, which includes the
directory lookup), the confirm turn (→ unlocked, two LDAP sessions), and for a password reset the code turn
(TOTP check, reset, audit → the temporary password). Needs slapd (apt-get install slapd). Nothing fails on timing.

    python bench/self_service.py [--people 30]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
import ldap3
import numpy as np
import pyotp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.channel_load import index_starter_articles, serve
from bot import messages
from bot.actions.policy import DEFAULT_POLICY_PATH
from bot.app import build_services, create_web_app
from bot.identity.secrets import SecretBox, new_secret_key
from bot.identity.totp import TotpEnrolments
from bot.ops.logging import configure_logging
from knowledge.embeddings import MiniLMEncoder
from tests.support.servers.slapd import (
    ADMIN_DN,
    ADMIN_PASSWORD,
    BASE_DN,
    PEOPLE,
    SERVICE_DN,
    SERVICE_PASSWORD,
    running_slapd,
)
from tests.support.settings import settings_from


def add_people(url: str, count: int) -> list[str]:
    """`count` extra people (bench0…) with a mail address each; their e-mails."""
    connection = ldap3.Connection(ldap3.Server(url), user=ADMIN_DN, password=ADMIN_PASSWORD, auto_bind=True)
    emails = []
    for number in range(count):
        uid = f"bench{number}"
        connection.add(
            f"uid={uid},{PEOPLE}",
            ["inetOrgPerson"],
            {"cn": uid, "sn": uid, "mail": f"{uid}@example.org", "userPassword": "Bench-pw-1234"},
        )
        emails.append(f"{uid}@example.org")
    connection.unbind()
    return emails


async def turn(session: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> tuple[float, list[dict[str, Any]]]:
    started = time.perf_counter()
    async with session.post(f"{url}/api/chat", json=body) as response:
        assert response.status == 200, await response.text()
        replies = (await response.json())["replies"]
    return (time.perf_counter() - started) * 1000, replies


async def run(people: int) -> None:
    configure_logging(level="warning", fmt="console")
    encoder = MiniLMEncoder()
    with tempfile.TemporaryDirectory() as scratch, running_slapd(directory=Path(scratch) / "slapd") as slapd:
        data_dir = Path(scratch) / "data"
        await index_starter_articles(data_dir=data_dir, encoder=encoder)
        emails = add_people(slapd.url, people)
        key = new_secret_key()
        policy = Path(scratch) / "policy.yml"  # the packaged policy, with rate limits a benchmark does not trip
        policy.write_text(DEFAULT_POLICY_PATH.read_text().replace("global_per_minute: 60", "global_per_minute: 100000"))
        settings = settings_from(
            data_dir=data_dir,
            directory="ldap",
            ldap_url=slapd.url,
            ldap_bind_dn=SERVICE_DN,
            ldap_bind_password=SERVICE_PASSWORD,
            ldap_base_dn=BASE_DN,
            secret_key=key,
            action_policy=policy,
        )
        services = await build_services(settings, encoder=encoder)
        totp = TotpEnrolments(database=services.database, box=SecretBox(key=key))
        secrets = {email: (await totp.enroll(email)).secret for email in emails}
        runner, url = await serve(create_web_app(services))
        timings: dict[str, list[float]] = {
            "intent → confirmation": [],
            "confirm → unlocked / not locked": [],
            "intent → confirmation (reset)": [],
            "confirm → code prompt": [],
            "code → temporary password": [],
        }
        try:
            async with aiohttp.ClientSession() as session:
                for number, email in enumerate(emails):
                    user = {"id": f"u{number}", "email": email}
                    conversation = f"unlock-{number}"
                    elapsed, [confirm] = await turn(
                        session, url, {"conversation_id": conversation, "user": user, "text": "my account is locked"}
                    )
                    timings["intent → confirmation"].append(elapsed)
                    elapsed, [done] = await turn(
                        session,
                        url,
                        {"conversation_id": conversation, "user": user, "choice": confirm["choices"][0]["id"]},
                    )
                    assert done["text"] in (messages.UNLOCK_DONE, messages.UNLOCK_NOT_LOCKED), done
                    timings["confirm → unlocked / not locked"].append(elapsed)

                    conversation = f"reset-{number}"
                    elapsed, [confirm] = await turn(
                        session, url, {"conversation_id": conversation, "user": user, "text": "I forgot my password"}
                    )
                    timings["intent → confirmation (reset)"].append(elapsed)
                    elapsed, [prompt] = await turn(
                        session,
                        url,
                        {"conversation_id": conversation, "user": user, "choice": confirm["choices"][0]["id"]},
                    )
                    assert prompt["expects"] == "code", prompt
                    timings["confirm → code prompt"].append(elapsed)
                    code = pyotp.TOTP(secrets[email]).now()
                    elapsed, [done] = await turn(
                        session, url, {"conversation_id": conversation, "user": user, "text": code}
                    )
                    assert done["private"], done
                    timings["code → temporary password"].append(elapsed)
        finally:
            await runner.cleanup()
            await services.close()
    print(f"\nself-service turns, {people} people, web chat API over TCP, SQLite, OpenLDAP slapd on loopback")
    print(f"{'step':36} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for step, values in timings.items():
        array = np.array(values)
        print(f"{step:36} {np.percentile(array, 50):8.1f} {np.percentile(array, 95):8.1f} {array.max():8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=30)
    arguments = parser.parse_args()
    asyncio.run(run(arguments.people))


if __name__ == "__main__":
    main()
