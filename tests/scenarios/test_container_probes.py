"""The pod's probes and the image's HEALTHCHECK, sent to the whole bot configured by the Kubernetes ConfigMap."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from pathlib import Path
from typing import Any

import pytest

from knowledge.embeddings import MiniLMEncoder
from tests.support.deployment_files import bot_container, configmap_data, healthcheck_command, settings_env_fields
from tests.support.webchat import running_bot

pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

PROBES = ("startupProbe", "livenessProbe", "readinessProbe")


def manifest_settings() -> dict[str, Any]:
    """The ConfigMap as Settings fields, less the places each test points at its own (data, database, Chroma)."""
    fields = settings_env_fields()
    own = {"data_dir", "database_url", "chroma_url"}
    return {fields[name]: value for name, value in configmap_data().items() if fields[name] not in own}


def probe_path(probe: str) -> str:
    path: str = bot_container()[probe]["httpGet"]["path"]
    return path


async def healthcheck(port: int | None) -> int:
    """Run the Dockerfile's HEALTHCHECK command (with this interpreter as its `python`) against a port."""
    program, *arguments = healthcheck_command()
    assert program == "python"
    assert port is not None
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        *arguments,
        env={**os.environ, "HELPDESK_PORT": str(port)},
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    return await asyncio.wait_for(process.wait(), timeout=30)


async def test_a_pod_configured_by_the_manifests_passes_its_probes_and_healthcheck(
    starter_data_dir: Path, tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    async with running_bot(data_dir=starter_data_dir, tmp_path=tmp_path, encoder=encoder, **manifest_settings()) as bot:
        for probe in PROBES:
            response = await bot.client.get(probe_path(probe))
            assert response.status == 200, (probe, await response.text())
        assert await healthcheck(bot.client.port) == 0
        # HELPDESK_WEB_AUTH=off: the pod's port serves no web chat, only probes and the chat platforms' endpoints.
        assert (await bot.client.post("/api/chat", json={})).status == 404


async def test_a_replica_without_its_index_is_kept_out_of_the_service_but_not_restarted(
    tmp_path: Path, encoder: MiniLMEncoder
) -> None:
    async with running_bot(
        data_dir=tmp_path / "empty", tmp_path=tmp_path, encoder=encoder, **manifest_settings()
    ) as bot:
        ready = await bot.client.get(probe_path("readinessProbe"))
        assert ready.status == 503
        assert (await ready.json())["checks"]["knowledge_index"] is False
        for probe in ("startupProbe", "livenessProbe"):
            assert (await bot.client.get(probe_path(probe))).status == 200, probe
        assert await healthcheck(bot.client.port) == 0


async def test_the_healthcheck_fails_when_nothing_answers() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert await healthcheck(port) != 0
