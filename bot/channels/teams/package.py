"""The Teams app package: manifest.json with this bot's app id and host filled in, plus the two icons, zipped."""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile
from pathlib import Path

MANIFEST_DIR = Path(__file__).resolve().parents[3] / "manifests" / "teams"
ICONS = ("color.png", "outline.png")
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(\.{_LABEL})*$")


class PackageError(ValueError):
    """The package cannot be built; the message says what to fix."""


def build_package(*, app_id: str, host: str, manifest_dir: Path = MANIFEST_DIR) -> bytes:
    """The zip to upload in Teams (Apps → Manage your apps → Upload an app).

    Args:
        app_id: the bot's Microsoft app id (a GUID), used as the Teams app id and the bot id.
        host: the bot's public host name, e.g. helpdesk.example.com (no scheme, no path).
    """
    try:
        app_id = str(uuid.UUID(app_id))
    except ValueError as error:
        raise PackageError(f"the app id must be a GUID (the Azure bot's Microsoft App ID), got {app_id!r}") from error
    if not _HOST.match(host):
        raise PackageError(f"the host must be a bare host name such as helpdesk.example.com, got {host!r}")
    template = manifest_dir / "manifest.json"
    if not template.is_file():
        raise PackageError(f"no Teams manifest template at {template}; pass the folder with --manifest-dir")
    text = template.read_text(encoding="utf-8").replace("{{TEAMS_APP_ID}}", app_id).replace("{{BOT_HOST}}", host)
    json.loads(text)  # the template stays valid JSON after filling in
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", text)
        for icon in ICONS:
            archive.write(manifest_dir / icon, arcname=icon)
    return buffer.getvalue()
