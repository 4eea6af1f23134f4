"""Small articles written into a temporary directory, so the tests never depend on the starter set."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from knowledge.embeddings import Encoder, Vectors


def front_matter(article_id: str, title: str, **extra: str) -> str:
    fields = {
        "id": article_id,
        "title": title,
        "summary": f"About {title.lower()}.",
        "tags": "[test]",
        "owner": "service-desk",
        "last_reviewed": "2026-09-15",
        **extra,
    }
    return "---\n" + "".join(f"{key}: {value}\n" for key, value in fields.items()) + "---\n"


def write_article(directory: Path, article_id: str, title: str, body: str, **extra: str) -> Path:
    path = directory / f"{article_id}.md"
    path.write_text(front_matter(article_id, title, **extra) + "\n" + body, encoding="utf-8")
    return path


VPN = """# Connecting to the VPN

You need the VPN to reach internal sites such as the S: drive from home or while travelling.

## Steps

1. Open Cisco Secure Client from the Start menu (Windows) or Applications (Mac).
2. Type vpn.example.com in the box and select Connect.
3. Sign in with your work e-mail and password, then approve the Microsoft Authenticator prompt.

## If the VPN still does not connect

Restart your laptop and try again. If it still fails, ask this bot for a person or call ext 4357.
"""

PRINTER = """# Adding a printer

Print to the FollowMe queue, then release the job at any printer by tapping your badge.

## Windows

1. Open Settings > Bluetooth & devices > Printers & scanners.
2. Select Add device and choose \\\\print01.example.com\\FollowMe.

## Mac

1. Open System Settings > Printers & Scanners.
2. Add the FollowMe printer from Self Service.
"""

PASSWORD = """# Resetting a forgotten password

If you forgot your password or it expired, reset it yourself at https://passwordreset.example.com.

## Steps

1. Open https://passwordreset.example.com on any device.
2. Enter your work e-mail and complete the verification with Microsoft Authenticator.
3. Choose a new passphrase of at least 14 characters.
"""

OUT_OF_OFFICE = """# Setting an automatic reply

Let people know you are on holiday with an automatic out-of-office reply in Outlook.

## Outlook on Windows

1. Select File > Automatic Replies.
2. Choose Send automatic replies, set the dates and write your message.
"""

CAR = """# Booking a pool car

Employees travelling for business can book one of the company's pool vehicles.

## How to book

1. Open the fleet portal and pick a vehicle, a date and a pick-up location.
2. Collect the key and the fuel card from reception.
"""

SAMPLE = {
    "vpn-connect": ("Connecting to the VPN", VPN),
    "printer-add": ("Adding a printer", PRINTER),
    "password-self-service-reset": ("Resetting a forgotten password", PASSWORD),
    "outlook-out-of-office": ("Setting an automatic reply", OUT_OF_OFFICE),
    "pool-car": ("Booking a pool car", CAR),
}


def write_sample(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for article_id, (title, body) in SAMPLE.items():
        write_article(directory, article_id, title, body)
    return directory


class CountingEncoder:
    """Wraps the real encoder and records every text it was asked to embed."""

    def __init__(self, inner: Encoder) -> None:
        self._inner = inner
        self.texts: list[str] = []

    @property
    def dimension(self) -> int:
        return self._inner.dimension

    def encode(self, texts: Sequence[str]) -> Vectors:
        self.texts.extend(texts)
        return np.asarray(self._inner.encode(texts), dtype=np.float32)
