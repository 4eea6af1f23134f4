"""Hand-off benchmark: how long each step of the staff loop takes, end to end, and how the queue scales.

Runs the whole bot (web chat and staff API over TCP, SQLite, the real model for intents) and times, per person:
"I want to talk to a person" → ticket reply (triage, summary, the stored packet), claim, a staff message until
it is readable on the person's events endpoint, the person's reply (relayed into the ticket), and resolve. Then
it lists the active queue and opens one ticket with that many tickets stored. Nothing fails on timing.

    python bench/handoff.py [--people 50]
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
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.channel_load import index_starter_articles, serve
from bot.app import build_services, create_web_app
from bot.ops.logging import configure_logging
from knowledge.embeddings import MiniLMEncoder
from tests.support.settings import settings_from

TOKEN = "bench-staff-token-0123456789"
STAFF = {"Authorization": f"Bearer {TOKEN}"}


async def timed(session: aiohttp.ClientSession, method: str, url: str, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    async with session.request(method, url, **kwargs) as response:
        assert response.status in (200, 201), await response.text()
        payload = await response.json()
    return (time.perf_counter() - started) * 1000, payload


async def one_person(session: aiohttp.ClientSession, url: str, number: int, timings: dict[str, list[float]]) -> None:
    user = {"id": f"p{number}", "email": f"p{number}@example.org", "name": f"Person {number}"}
    conversation = f"handoff-{number}"
    elapsed, payload = await timed(
        session,
        "POST",
        f"{url}/api/chat",
        json={"conversation_id": conversation, "user": user, "text": "I want to talk to a person"},
    )
    [handoff] = payload["replies"]
    ticket, cursor = handoff["handoff_id"], payload["seq"]
    timings["ask for a person → ticket reply"].append(elapsed)

    elapsed, _ = await timed(session, "POST", f"{url}/api/staff/tickets/{ticket}/claim", headers=STAFF)
    timings["claim"].append(elapsed)
    started = time.perf_counter()
    await timed(
        session,
        "POST",
        f"{url}/api/staff/tickets/{ticket}/messages",
        headers=STAFF,
        json={"text": "Hi, which laptop model is it?"},
    )
    while True:  # as the chat page does, but without its polling interval
        _, events = await timed(session, "GET", f"{url}/api/chat/{conversation}/events", params={"after": cursor})
        if any(reply["kind"] == "staff" for reply in events["replies"]):
            break
    timings["staff message → readable by the person"].append((time.perf_counter() - started) * 1000)
    elapsed, _ = await timed(
        session,
        "POST",
        f"{url}/api/chat",
        json={"conversation_id": conversation, "user": user, "text": "A ThinkPad T14"},
    )
    timings["person's reply → relayed into the ticket"].append(elapsed)
    elapsed, _ = await timed(
        session,
        "POST",
        f"{url}/api/staff/tickets/{ticket}/resolve",
        headers=STAFF,
        json={"note": "Replaced the dock's power supply."},
    )
    timings["resolve (note, rating request, draft)"].append(elapsed)


async def run(people: int, backlog: int) -> None:
    configure_logging(level="warning", fmt="console")
    encoder = MiniLMEncoder()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = Path(scratch) / "data"
        await index_starter_articles(data_dir=data_dir, encoder=encoder)
        articles = Path(scratch) / "articles"  # accepted drafts would land here, not in the packaged folder
        articles.mkdir()
        settings = settings_from(data_dir=data_dir, staff_token=TOKEN, articles_dir=articles)
        services = await build_services(settings, encoder=encoder)
        runner, url = await serve(create_web_app(services))
        timings: dict[str, list[float]] = {
            "ask for a person → ticket reply": [],
            "claim": [],
            "staff message → readable by the person": [],
            "person's reply → relayed into the ticket": [],
            "resolve (note, rating request, draft)": [],
        }
        queue: dict[str, float] = {}
        try:
            async with aiohttp.ClientSession() as session:
                for number in range(people):
                    await one_person(session, url, number, timings)
                for number in range(people, people + backlog):  # a backlog of open tickets
                    await session.post(
                        f"{url}/api/chat",
                        json={
                            "conversation_id": f"backlog-{number}",
                            "text": "I want to talk to a person",
                            "user": {"id": f"p{number}", "email": f"p{number}@example.org"},
                        },
                    )
                lists = [(await timed(session, "GET", f"{url}/api/staff/tickets", headers=STAFF)) for _ in range(20)]
                queue["list active queue (first 200)"] = float(np.percentile([t for t, _ in lists], 50))
                ticket = lists[0][1]["tickets"][0]["id"]
                views = [
                    (await timed(session, "GET", f"{url}/api/staff/tickets/{ticket}", headers=STAFF))[0]
                    for _ in range(20)
                ]
                queue["open one ticket"] = float(np.percentile(views, 50))
        finally:
            await runner.cleanup()
            await services.close()
    print(f"\nhand-off loop, {people} people one after another, web chat + staff API over TCP, SQLite, no LLM")
    print(f"{'step':44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    for step, values in timings.items():
        array = np.array(values)
        print(f"{step:44} {np.percentile(array, 50):8.1f} {np.percentile(array, 95):8.1f} {array.max():8.1f}")
    print(f"\nstaff API with {people + backlog} tickets stored (p50 of 20 calls)")
    for step, value in queue.items():
        print(f"{step:44} {value:8.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--backlog", type=int, default=1000, help="extra open tickets before timing the queue")
    arguments = parser.parse_args()
    asyncio.run(run(arguments.people, arguments.backlog))


if __name__ == "__main__":
    main()
