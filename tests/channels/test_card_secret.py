"""One card-signing key for every channel of a service, whatever is configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from adapters import bootstrap
from adapters.settings import Settings
from cards.actions import ActionPayload, sign, verify

CHANNEL_VARS = ("MASHBOT_SECRET", "SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN", "MICROSOFT_APP_ID",
                "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TYPE", "MICROSOFT_APP_TENANT_ID", "MASHBOT_TEAMS_LOCAL")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in CHANNEL_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def settings(tmp_path: Path, **extra: str) -> Settings:
    return Settings(_env_file=None, MASHBOT_DATABASE_URL=f"sqlite:///{tmp_path / 'm.db'}", **extra)  # type: ignore[arg-type]


async def test_slack_and_teams_sign_with_one_key_when_mashbot_secret_is_unset(tmp_path: Path) -> None:
    from adapters.slack.channel import SLACK
    from adapters.teams.lazy import teams_channel
    from adapters.web import create_app

    service = bootstrap.build(settings(tmp_path, SLACK_SIGNING_SECRET="slack-signing", MASHBOT_TEAMS_LOCAL="1",
                                       MASHBOT_HOST="127.0.0.1"))
    app = create_app(service, host="127.0.0.1")
    slack_key = app[SLACK].sender.secret
    teams_key = teams_channel(app).sender.secret
    assert slack_key == teams_key == service.card_secret
    # A button signed for a Slack card is good on a Teams card and the other way round.
    token = sign(ActionPayload("accept", "CH-7K2M9Q", 3, "ava"), slack_key)
    assert verify(token, teams_key).reference == "CH-7K2M9Q"


@pytest.mark.parametrize("configured", [
    {},
    {"SLACK_SIGNING_SECRET": "slack-signing"},
    {"MICROSOFT_APP_PASSWORD": "app-password"},
    {"SLACK_SIGNING_SECRET": "slack-signing", "MICROSOFT_APP_PASSWORD": "app-password"},
])
def test_the_key_is_one_per_service_and_stable_across_replicas_when_derived(tmp_path: Path,
                                                                          configured: dict[str, str]) -> None:
    one = bootstrap.build(settings(tmp_path, **configured))
    assert one.card_secret == one.card_secret  # asked twice (two channels): the same key
    other = bootstrap.build(settings(tmp_path, **configured))
    assert (one.card_secret == other.card_secret) is bool(configured)  # derived keys survive a restart


def test_mashbot_secret_wins(tmp_path: Path) -> None:
    service = bootstrap.build(settings(tmp_path, MASHBOT_SECRET="shared", SLACK_SIGNING_SECRET="slack-signing"))
    assert service.card_secret == b"shared"
