"""Loopback ports for the servers the tests start (Redis, PostgreSQL, Chroma, slapd, SMTP, bot replicas)."""

from __future__ import annotations

import socket
import time


def free_port() -> int:
    """A free loopback port below Linux's ephemeral range (32768+).

    Below that range on purpose: while a test polls a port nobody listens on yet, the kernel cannot hand that
    same port to some client's outgoing connection (which would then seem to answer).
    """
    for port in range(20000 + (time.monotonic_ns() // 1000) % 9000, 30000):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port between 20000 and 30000")
