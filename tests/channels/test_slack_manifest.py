"""The Slack manifest asks for exactly the scopes and events the adapter uses — no more, no fewer."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = ROOT / "manifests" / "slack" / "manifest.yml"
ADAPTER = ROOT / "bot" / "channels" / "slack"

# Slack's documented requirements (docs.slack.dev, each method's and event's "Required scopes"); None: the method
# needs no scope (views.open: the trigger id of the click is the permission).
METHOD_SCOPES: dict[str, str | None] = {
    "chat_postMessage": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_update": "chat:write",
    "conversations_open": "im:write",
    "reactions_add": "reactions:write",
    "reactions_remove": "reactions:write",
    "users_info": "users:read",
    "views_open": None,
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
}
# Not tied to one method: the e-mail field of users.info, and the slash command.
FEATURE_SCOPES = {"users:read.email", "commands"}


def manifest() -> dict[str, Any]:
    return dict(yaml.safe_load(MANIFEST.read_text(encoding="utf-8")))


def web_api_methods_called() -> set[str]:
    """Every `<client>.<method>(` the adapter calls on the Web API client."""
    called: set[str] = set()
    for path in ADAPTER.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute | ast.Name):
                owner = node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id
                if owner in {"client", "_client"}:
                    called.add(node.attr)
    return called


def test_the_adapter_calls_only_methods_whose_scope_is_known() -> None:
    methods = web_api_methods_called()
    assert methods, "the scan found no Web API calls"
    assert methods <= set(METHOD_SCOPES), f"add the scope of {sorted(methods - set(METHOD_SCOPES))} here"


def test_the_manifest_requests_exactly_the_scopes_in_use() -> None:
    events = manifest()["settings"]["event_subscriptions"]["bot_events"]
    method_scopes = {scope for method in web_api_methods_called() if (scope := METHOD_SCOPES[method])}
    needed = method_scopes | {EVENT_SCOPES[e] for e in events} | FEATURE_SCOPES
    assert set(manifest()["oauth_config"]["scopes"]["bot"]) == needed


def test_events_interactivity_and_the_command_all_go_to_one_path() -> None:
    settings = manifest()["settings"]
    urls = {
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
        *(c["url"] for c in manifest()["features"]["slash_commands"]),
    }
    assert {u.rsplit("/", 2)[-2:] == ["slack", "events"] for u in urls} == {True}
    assert [c["command"] for c in manifest()["features"]["slash_commands"]] == ["/helpdesk"]
    assert settings["interactivity"]["is_enabled"] is True
    assert set(settings["event_subscriptions"]["bot_events"]) == set(EVENT_SCOPES)
