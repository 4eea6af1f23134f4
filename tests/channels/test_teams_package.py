"""`helpdesk-bot teams package` builds the zip Teams accepts: manifest with the app id, and valid icons."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from bot.__main__ import app
from bot.channels.teams.package import MANIFEST_DIR, PackageError, build_package

APP_ID = "0b4f6c8e-2f57-4d7c-9d27-5f8d6f1a2b3c"


def unpack(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_package_holds_the_filled_in_manifest_and_both_icons_at_its_root() -> None:
    files = unpack(build_package(app_id=APP_ID, host="helpdesk.example.com"))
    assert set(files) == {"manifest.json", "color.png", "outline.png"}
    manifest = json.loads(files["manifest.json"])
    assert manifest["id"] == manifest["bots"][0]["botId"] == APP_ID
    assert manifest["validDomains"] == ["helpdesk.example.com"]
    assert "{{" not in files["manifest.json"].decode()


def test_the_bot_is_offered_in_personal_chat_teams_and_group_chats() -> None:
    manifest = json.loads((MANIFEST_DIR / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifestVersion"] == "1.22"
    assert manifest["$schema"].endswith("v1.22/MicrosoftTeams.schema.json")
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team", "groupChat"}
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80


def test_the_icons_have_the_sizes_teams_requires_and_the_outline_is_white_on_transparent() -> None:
    color = Image.open(MANIFEST_DIR / "color.png")
    outline = Image.open(MANIFEST_DIR / "outline.png").convert("RGBA")
    assert color.size == (192, 192)
    assert outline.size == (32, 32)
    raw = outline.tobytes()
    pixels = [tuple(raw[i : i + 4]) for i in range(0, len(raw), 4)]
    assert any(pixel[3] == 0 for pixel in pixels), "the outline icon needs a transparent background"
    assert {pixel[:3] for pixel in pixels if pixel[3]} == {(255, 255, 255)}


@pytest.mark.parametrize(
    ("app_id", "host", "message"),
    [
        ("not-a-guid", "helpdesk.example.com", "must be a GUID"),
        (APP_ID, "https://helpdesk.example.com", "bare host name"),
        (APP_ID, "helpdesk.example.com/bot", "bare host name"),
    ],
)
def test_a_wrong_app_id_or_host_is_refused_with_the_reason(app_id: str, host: str, message: str) -> None:
    with pytest.raises(PackageError, match=message):
        build_package(app_id=app_id, host=host)


def test_the_command_writes_the_zip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    out = tmp_path / "app.zip"
    result = CliRunner().invoke(app, ["teams", "package", "--host", "helpdesk.example.com", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert json.loads(unpack(out.read_bytes())["manifest.json"])["id"] == APP_ID


def test_the_command_without_an_app_id_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    monkeypatch.delenv("HELPDESK_TEAMS_APP_ID", raising=False)
    result = CliRunner().invoke(app, ["teams", "package", "--host", "helpdesk.example.com"])
    assert result.exit_code == 2
    assert "TEAMS_APP_ID" in result.output
