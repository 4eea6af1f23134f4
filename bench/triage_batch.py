"""Batch triage benchmark: `helpdesk-bot triage --input F --output G` on a 10,000-line backlog, as a user runs it.

The backlog is made from the first N tickets of a labelled export when one is given (e.g. the Endava tickets),
otherwise from the packaged example tickets, repeated with a line number so no two lines are equal. The command
runs in its own process, so the times include loading the model; its own "triaged … in … s" line is the part
after loading. Peak memory is the child's maximum resident set size. Nothing fails on timing.

    python bench/triage_batch.py [--tickets PATH.csv.gz --text-col Document --label-col Topic_group] [--lines N]
"""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import argparse
import json
import re
import resource
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.triage.labelled import read_labelled
from bot.triage.model_versions import DEFAULT_TICKETS


def backlog_texts(tickets: Path | None, text_col: str, label_col: str, lines: int) -> tuple[list[str], str]:
    if tickets is not None:
        data = read_labelled(tickets, text_column=text_col, label_column=label_col)
        return list(data.texts[:lines]), f"first {min(lines, len(data.texts))} of {tickets.name}"
    examples = read_labelled(DEFAULT_TICKETS, text_column="text", label_column="category").texts
    return (
        [f"{text} (#{number})" for number, text in zip(range(lines), cycle(examples), strict=False)],
        f"{DEFAULT_TICKETS.name} repeated",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tickets", type=Path, help="a labelled .csv/.csv.gz export to take texts from")
    parser.add_argument("--text-col", default="Document")
    parser.add_argument("--label-col", default="Topic_group")
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()

    texts, source = backlog_texts(args.tickets, args.text_col, args.label_col, args.lines)
    with tempfile.TemporaryDirectory() as folder:
        backlog, output = Path(folder) / "backlog.jsonl", Path(folder) / "triaged.jsonl"
        with backlog.open("w", encoding="utf-8") as sink:
            for number, text in enumerate(texts, start=1):
                sink.write(json.dumps({"id": number, "text": text}) + "\n")
        env = {**os.environ, "HELPDESK_DATA_DIR": str(Path(folder) / "data")}
        started = time.perf_counter()
        finished = subprocess.run(
            [sys.executable, "-m", "bot", "triage", "--input", str(backlog), "--output", str(output)],
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        wall = time.perf_counter() - started
        if finished.returncode != 0:
            sys.exit(f"triage failed ({finished.returncode}):\n{finished.stderr}")
        written = sum(1 for _ in output.open(encoding="utf-8"))
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    match = re.search(r"triaged (\d+) tickets in ([\d.]+) s", finished.stderr)
    triage_seconds = float(match.group(2)) if match else float("nan")
    words = sum(len(text.split()) for text in texts) / max(len(texts), 1)

    print(f"backlog: {source}, {len(texts)} lines, {words:.0f} words per ticket on average\n")
    print("| lines | written | whole command s | of which triage s | tickets/s (triage) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    print(
        f"| {len(texts)} | {written} | {wall:.1f} | {triage_seconds:.1f} | "
        f"{written / triage_seconds:.0f} | {peak_mb:.0f} |"
    )


if __name__ == "__main__":
    main()
