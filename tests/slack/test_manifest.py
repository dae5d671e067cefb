"""`mashbot manifest slack` prints the Slack app manifest with URLs from MASHBOT_PUBLIC_URL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from adapters.cli import main

EXAMPLE = Path(__file__).resolve().parents[2] / "manifest" / "slack.example.json"


def test_the_manifest_points_slack_at_slack_events_with_the_five_scopes(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MASHBOT_PUBLIC_URL", "https://mashbot.council.example/")
    assert main(["manifest", "slack"]) == 0
    manifest = json.loads(capsys.readouterr().out)
    url = "https://mashbot.council.example/slack/events"
    assert manifest["settings"]["interactivity"] == {"is_enabled": True, "request_url": url}
    assert manifest["features"]["slash_commands"][0]["command"] == "/challenge"
    assert manifest["features"]["slash_commands"][0]["url"] == url
    assert manifest["oauth_config"]["scopes"]["bot"] == ["commands", "chat:write", "im:write", "users:read",
                                                         "users:read.email"]
    assert manifest["settings"]["socket_mode_enabled"] is False


def test_without_an_https_public_url_it_says_what_to_set(monkeypatch: pytest.MonkeyPatch,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MASHBOT_PUBLIC_URL", raising=False)
    assert main(["manifest", "slack"]) == 2
    assert "MASHBOT_PUBLIC_URL" in capsys.readouterr().err
    assert main(["manifest", "slack", "--url", "http://insecure.example"]) == 2
    assert "https" in capsys.readouterr().err


def test_the_shipped_example_is_what_the_command_prints(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["manifest", "slack", "--url", "https://mashbot.example.org"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(EXAMPLE.read_text())
