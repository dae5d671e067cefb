"""Unauthenticated Teams is an explicit local mode (MASHBOT_TEAMS_LOCAL=1) for the Emulator
and tests: off by default (401 to everything), refused at start-up off loopback, refused
through a reverse proxy or with a serviceUrl off loopback — and, when on, connected to the
dispatcher so reviewers get their cards.

The attack these close: behind a reverse proxy on the same host every caller is loopback; a
forged activity naming a Practice Manager's Entra id with the attacker's serviceUrl used to
get that manager's signed card posted to the attacker."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from adapters import bootstrap, cli
from adapters.local_modes import LocalOnlyError
from adapters.web import create_app
from tests.teams.conftest import make_settings, pin
from tests.teams.fake_connector import FakeConnector
from tests.teams.support import (AVA, BEN, TARA, Teams, TeamsUser, card_text, execute_for, installation_update,
                                 invoke, message)
from tests.teams.test_messages import GOOD_INTAKE

ATTACKER = "https://attacker.example/"
PROXY_HEADERS = [{"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7;proto=https"},
                 {"X-Real-IP": "203.0.113.7"}, {"X-Forwarded-Host": "mashbot.example.org"}]


async def stored(service: bootstrap.Service, person_id: str) -> str | None:
    async with service.database.uow(read_only=True) as uow:
        return await uow.conversations.get(person_id, "teams")


# --- neither an app id nor local mode: Teams is off ------------------------------------------------


async def test_with_no_app_id_and_no_local_mode_every_teams_request_is_401(
        db_url: str, connector: FakeConnector) -> None:
    service = bootstrap.build(make_settings(db_url))
    async with TestClient(TestServer(create_app(service, host="127.0.0.1"), host="127.0.0.1")) as client:
        for activity in (message(AVA, connector.url, "help"), message(AVA, ATTACKER, "challenges")):
            response = await client.post("/api/messages", json=activity)
            assert response.status == 401
            assert "MICROSOFT_APP_ID" in (await response.json())["error"]
        assert (await client.post("/api/messages", data=b"not even json")).status == 401
    assert connector.posted == [] and connector.member_lookups == []
    assert await stored(service, "ava.okafor") is None


# --- local mode: direct loopback callers only ------------------------------------------------------


@pytest.mark.parametrize("headers", PROXY_HEADERS)
async def test_local_mode_refuses_a_request_through_a_reverse_proxy(teams: Teams, headers: dict[str, str]) -> None:
    response = await teams.post(message(AVA, teams.url, "challenges"), headers=headers)
    assert response.status == 403
    assert "proxy" in (await response.json())["error"]
    assert teams.connector.posted == []
    assert await stored(teams.service, "ava.okafor") is None


async def test_a_forged_managers_activity_with_the_attackers_service_url_is_refused(teams: Teams) -> None:
    await teams.install(AVA)
    before = await stored(teams.service, "ava.okafor")
    assert before is not None and teams.url in before
    response = await teams.post(message(AVA, ATTACKER, "challenges"))
    assert response.status == 403
    assert "serviceUrl" in (await response.json())["error"]
    assert await stored(teams.service, "ava.okafor") == before  # cards still go to the real chat
    assert teams.connector.to(AVA.conversation) == []


async def test_local_mode_refuses_a_host_off_loopback_and_a_cross_site_content_type(teams: Teams) -> None:
    body = json.dumps(message(AVA, teams.url, "help"))
    rebound = await teams.client.post("/api/messages", data=body,
                                      headers={"Host": "evil.example", "Content-Type": "application/json"})
    assert rebound.status == 403
    simple = await teams.client.post("/api/messages", data=body, headers={"Content-Type": "text/plain"})
    assert simple.status == 415  # what a web page can post cross-site without a preflight
    assert teams.connector.posted == []


def test_local_mode_is_refused_at_start_up_off_loopback(db_url: str) -> None:
    service = bootstrap.build(make_settings(db_url, MASHBOT_TEAMS_LOCAL="1"))
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        with pytest.raises(LocalOnlyError, match="MASHBOT_TEAMS_LOCAL=1 .* listen on 127.0.0.1"):
            create_app(service, host=host)
    with pytest.raises(LocalOnlyError, match="both set"):
        create_app(bootstrap.build(make_settings(db_url, MASHBOT_TEAMS_LOCAL="1", MICROSOFT_APP_ID="x",
                                                 MICROSOFT_APP_PASSWORD="y")), host="127.0.0.1")


def test_mashbot_serve_says_why_and_exits_non_zero_before_touching_the_database(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("MASHBOT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("MASHBOT_TEAMS_LOCAL", "1")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "refusing to start" in err and "MASHBOT_TEAMS_LOCAL=1" in err and "Traceback" not in err
    assert not database.exists()


# --- local mode is wired to the dispatcher -----------------------------------------------------------


@pytest.fixture
async def served(db_url: str, connector: FakeConnector) -> AsyncIterator[tuple[TestClient, bootstrap.Service]]:
    """The app as `mashbot serve` builds it (scheduler and all) in local Teams mode."""
    service = bootstrap.build(make_settings(db_url, MASHBOT_TEAMS_LOCAL="1", MASHBOT_TICK_SECONDS="3600"))
    pin(service)
    async with TestClient(TestServer(create_app(service, scheduler=True, host="127.0.0.1"),
                                     host="127.0.0.1")) as client:
        yield client, service


async def _post(client: TestClient, activity: dict[str, Any]) -> Any:
    response = await client.post("/api/messages", json=activity)
    assert response.status in (200, 201), await response.text()
    return await response.json() if response.status == 200 else None


async def _cards_to(connector: FakeConnector, user: TeamsUser) -> list[dict[str, Any]]:
    """The proactive cards sent to `user`, once the dispatcher kicked by the commit has run."""
    for _ in range(200):  # bounded: the kick runs as its own task on this loop
        sent = [p.card for p in connector.to(user.conversation, "send") if p.card]
        if sent:
            return sent
        await asyncio.sleep(0.025)
    return []


async def test_in_local_mode_a_challenge_raised_in_teams_reaches_the_pool_and_updates_in_place(
        served: tuple[TestClient, bootstrap.Service], connector: FakeConnector) -> None:
    client, service = served
    for user in (AVA, BEN):
        await _post(client, installation_update(user, connector.url))
    await _post(client, message(TARA, connector.url, "challenge"))
    form = connector.last_card(TARA.conversation)
    answer = await _post(client, invoke(TARA, connector.url, execute_for(form, "intake"), GOOD_INTAKE))
    assert answer["statusCode"] == 200
    for manager in (AVA, BEN):
        cards = await _cards_to(connector, manager)
        assert cards, f"{manager.name} got no card in Teams"
        assert "needs review at Practice Manager" in card_text(cards[0])
    taken = await _post(client, invoke(AVA, connector.url, execute_for(cards_of(connector, AVA)[0], "accept"), {}))
    assert taken["statusCode"] == 200
    for _ in range(200):  # bounded, as above: Ben's card is changed in place by the dispatcher
        if connector.to(BEN.conversation, "update"):
            break
        await asyncio.sleep(0.025)
    (update,) = connector.to(BEN.conversation, "update")
    assert update.activity_id == connector.to(BEN.conversation, "send")[0].activity_id
    assert "Taken by Ava Okafor" in card_text(update.body["attachments"][0]["content"])


def cards_of(connector: FakeConnector, user: TeamsUser) -> list[dict[str, Any]]:
    return [p.card for p in connector.to(user.conversation, "send") if p.card]



async def test_a_service_url_that_does_not_answer_is_a_502_without_a_traceback(
        teams: Teams, caplog: pytest.LogCaptureFixture) -> None:
    """The turn ran but its reply could not be delivered: said as a gateway failure, logged
    as one line (it is the connector's failure, not mashbot's)."""
    response = await teams.post(message(AVA, "http://127.0.0.1:1/", "help"))
    assert response.status == 502
    assert "connector" in (await response.json())["error"]
    assert not [r for r in caplog.records if r.exc_info]
    assert any("the connector failed on message" in r.getMessage() for r in caplog.records)
