"""Scale-out benchmark: signed Slack events at rising rates against one and against two bot replicas.

Usage:
    python bench/replicas.py [--rates 8,16,32,64,128] [--seconds 10] [--replicas 1,2]

Each replica is a real `helpdesk-bot run` process (tests/support/replicas.py) sharing one PostgreSQL (a throwaway
cluster, or HELPDESK_TEST_DATABASE_URL) and one throwaway redis-server, all on loopback; the Slack Web API is the
local stand-in from tests/fakes. Events go round-robin to the replicas, each from its own person (so every
event is a new conversation), at a fixed rate for a fixed time; then the benchmark waits up to 60 s for the
replies. "ack" is request → HTTP 200 (Slack retries after 3 s); "reply" is request → chat.postMessage arriving
at the stand-in. Peak memory is each replica's VmHWM. Prints a Markdown table; never fails on timing.
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import asyncio
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.channel_load import index_starter_articles, labelled_questions
from knowledge.embeddings import MiniLMEncoder
from tests.fakes.slack_api import FakeSlack
from tests.support.replicas import Replica, running_replicas
from tests.support.servers.postgres import running_postgres
from tests.support.servers.redis import running_redis
from tests.support.slackchat import SIGNING_SECRET, next_ts, sign

REPLY_WAIT_SECONDS = 60.0


@dataclass
class Step:
    replicas: int
    rate: float
    sent: int = 0
    errors: int = 0
    acks: list[float] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    peak_mb: list[float] = field(default_factory=list)


def peak_memory_mb(replica: Replica) -> float:
    """The process's peak resident set (VmHWM), in MB."""
    for line in Path(f"/proc/{replica.process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def load_step(
    step: Step, *, replicas: list[Replica], slack: FakeSlack, texts: list[str], seconds: float, first_person: int
) -> None:
    """Send `step.rate` events a second for `seconds`, then wait for their replies."""
    sent_at: dict[str, float] = {}
    tasks: list[asyncio.Task[None]] = []

    async def deliver(session: aiohttp.ClientSession, number: int) -> None:
        user = f"UL{number:06d}"
        ts = next_ts()
        body = json.dumps(
            {
                "type": "event_callback",
                "team_id": slack.team_id,
                "event_id": f"EvLOAD{number:07d}",
                "event": {
                    "type": "message",
                    "channel_type": "im",
                    "channel": f"D{user}",
                    "user": user,
                    "text": texts[number % len(texts)],
                    "ts": ts,
                    "event_ts": ts,
                },
            }
        ).encode()
        replica = replicas[number % len(replicas)]
        started = time.monotonic()
        sent_at[f"D{user}"] = started
        try:
            async with session.post(
                f"{replica.url}/slack/events",
                data=body,
                headers={**sign(body), "Content-Type": "application/json"},
                timeout=aiohttp.ClientTimeout(total=10),
            ) as response:
                await response.read()
                if response.status != 200:
                    step.errors += 1
                    return
        except (aiohttp.ClientError, TimeoutError):
            step.errors += 1
            return
        step.acks.append(time.monotonic() - started)

    posts_before = len(slack.calls_to("chat.postMessage"))
    began = time.monotonic()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        count = int(step.rate * seconds)
        for index in range(count):  # open loop: events leave on schedule whether or not earlier ones are done
            await asyncio.sleep(max(0.0, began + index / step.rate - time.monotonic()))
            tasks.append(asyncio.create_task(deliver(session, first_person + index)))
        await asyncio.gather(*tasks)
    step.sent = len(tasks)

    deadline = time.monotonic() + REPLY_WAIT_SECONDS
    while time.monotonic() < deadline:
        answered = {c.args.get("channel") for c in slack.calls_to("chat.postMessage")[posts_before:]}
        if len(answered & sent_at.keys()) >= step.sent - step.errors:
            break
        await asyncio.sleep(0.1)
    first_reply: dict[str, float] = {}
    for call in slack.calls_to("chat.postMessage")[posts_before:]:
        channel = str(call.args.get("channel"))
        if channel in sent_at and channel not in first_reply:
            first_reply[channel] = call.at
    step.replies = [first_reply[c] - sent_at[c] for c in first_reply]
    step.seconds = time.monotonic() - began
    step.peak_mb = [peak_memory_mb(replica) for replica in replicas]


def percentile_ms(values: list[float], q: float) -> str:
    return f"{np.percentile(np.array(values) * 1000, q):.0f}" if values else "—"


def print_table(steps: list[Step]) -> None:
    print(
        "| replicas | offered events/s | sent | errors | answered | replies/s | ack p50 ms | ack p95 ms | "
        "ack p99 ms | reply p50 ms | reply p95 ms | reply p99 ms | peak MB per replica |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in steps:
        throughput = len(s.replies) / s.seconds if s.seconds else 0.0
        print(
            f"| {s.replicas} | {s.rate:g} | {s.sent} | {s.errors} | {len(s.replies)} | {throughput:.1f} | "
            f"{percentile_ms(s.acks, 50)} | {percentile_ms(s.acks, 95)} | {percentile_ms(s.acks, 99)} | "
            f"{percentile_ms(s.replies, 50)} | {percentile_ms(s.replies, 95)} | {percentile_ms(s.replies, 99)} | "
            f"{' / '.join(f'{mb:.0f}' for mb in s.peak_mb)} |"
        )
    print("\nreplies/s = replies received ÷ (sending time + time until the last reply arrived).")


async def run(*, rates: list[float], seconds: float, replica_counts: list[int], keep: Path | None) -> None:
    texts = labelled_questions(200)
    steps: list[Step] = []
    with tempfile.TemporaryDirectory() as scratch, ExitStack() as servers:
        work = keep or Path(scratch)
        await index_starter_articles(data_dir=work / "data", encoder=MiniLMEncoder())
        postgres = servers.enter_context(running_postgres())
        redis = servers.enter_context(running_redis(work / "redis"))
        slack = FakeSlack()
        await slack.start()
        total = int(sum(rates) * seconds) * len(replica_counts) + 10
        for number in range(total):
            slack.add_user(f"UL{number:06d}", email=f"person{number}@example.com", real_name=f"Person {number}")
        person = 0
        for count in replica_counts:
            with postgres.fresh_database() as database_url:
                env = {
                    "HELPDESK_DATABASE_URL": database_url,
                    "HELPDESK_REDIS_URL": redis.url,
                    "SLACK_BOT_TOKEN": slack.bot_token,
                    "SLACK_SIGNING_SECRET": SIGNING_SECRET,
                    "SLACK_API_URL": slack.api_url,
                    "HELPDESK_SLACK_PROGRESS_REACTION": "",
                    "HELPDESK_LOG_LEVEL": "warning",
                }
                async with running_replicas(
                    count, data_dir=work / "data", work_dir=work / f"run-{count}", env=env
                ) as replicas:
                    warm = Step(replicas=count, rate=count)
                    await load_step(
                        warm, replicas=replicas, slack=slack, texts=texts, seconds=1, first_person=person
                    )  # one turn per replica: caches and connections warm
                    person += warm.sent
                    for rate in rates:
                        step = Step(replicas=count, rate=rate)
                        await load_step(
                            step, replicas=replicas, slack=slack, texts=texts, seconds=seconds, first_person=person
                        )
                        person += step.sent
                        steps.append(step)
                        print(
                            f"  {count} replica(s), {rate:g}/s: {len(step.replies)}/{step.sent} answered",
                            file=sys.stderr,
                        )
        await slack.close()
    print_table(steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="8,16,32,64,128", help="events per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="how long each rate is offered")
    parser.add_argument("--replicas", default="1,2", help="replica counts to compare, comma-separated")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (the replicas' logs)")
    arguments = parser.parse_args()
    asyncio.run(
        run(
            rates=[float(r) for r in arguments.rates.split(",")],
            seconds=arguments.seconds,
            replica_counts=[int(r) for r in arguments.replicas.split(",")],
            keep=arguments.keep,
        )
    )


if __name__ == "__main__":
    main()
