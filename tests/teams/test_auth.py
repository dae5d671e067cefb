"""With an app id set, /api/messages answers 401 — never 500 — to a missing, garbage or
forged bearer token; a token signed with the channel's key gets through (the control).

The Bot Framework's key cache for the channel's OpenID document is seeded with a test key
(no network): exactly what it holds after its daily download, but of a key we own."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any
from unittest import mock

import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request
from botframework.connector.auth import AuthenticationConstants, JwtTokenExtractor
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from adapters import bootstrap
from adapters.teams.lazy import teams_channel
from adapters.teams.route import mount_teams, serve_messages
from tests.teams.conftest import make_settings, pin
from tests.teams.support import STRANGER, TARA, message

APP_ID = "5c3a8f0e-2b6d-4c1e-9f7a-1d2e3f4a5b6c"
ISSUER = AuthenticationConstants.TO_BOT_FROM_CHANNEL_TOKEN_ISSUER
KID = "mashbot-test-key"
SERVICE_URL = "https://smba.trafficmanager.net/emea/"


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


CHANNEL_KEY, FORGER_KEY = _key(), _key()


@pytest.fixture(autouse=True)
def channel_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """The channel's signing keys as the Bot Framework caches them: only CHANNEL_KEY's public half."""
    url = AuthenticationConstants.TO_BOT_FROM_CHANNEL_OPENID_METADATA_URL
    jwk = json.loads(RSAAlgorithm.to_jwk(CHANNEL_KEY.public_key())) | {"kid": KID, "endorsements": ["msteams"]}
    metadata = JwtTokenExtractor.get_open_id_metadata(url)
    monkeypatch.setattr(metadata, "keys", [jwk])
    monkeypatch.setattr(metadata, "last_updated", datetime.now())


def token(key: rsa.RSAPrivateKey, kid: str = KID, **claims: Any) -> str:
    now = int(time.time())
    payload = {"iss": ISSUER, "aud": APP_ID, "serviceurl": SERVICE_URL, "nbf": now - 10, "exp": now + 600,
               **claims}
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid})


@pytest.fixture
async def client(db_url: str) -> AsyncIterator[TestClient]:
    """The Teams route of a bot registered as APP_ID."""
    service = bootstrap.build(make_settings(db_url, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="not-used"))
    pin(service)
    app = web.Application()
    mount_teams(app, service)
    try:
        async with TestClient(TestServer(app, host="127.0.0.1")) as test_client:
            yield test_client
    finally:
        await service.close()


def group_chat_update() -> dict[str, Any]:
    """An activity mashbot accepts without answering (so no outbound token is needed)."""
    activity = message(STRANGER, SERVICE_URL, "hi", conversation_type="groupChat")
    activity["type"] = "conversationUpdate"
    return activity


@pytest.mark.parametrize("header", [
    None,
    "Bearer garbage",
    "Bearer ",
    "Basic dXNlcjpwYXNz",
    "Bearer eyJhbGciOiJub25lIn0.eyJpc3MiOiJodHRwczovL2FwaS5ib3RmcmFtZXdvcmsuY29tIn0.",  # alg none
])
async def test_missing_or_garbage_auth_is_401(client: TestClient, header: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = await client.post("/api/messages", json=group_chat_update(), headers=headers)
    assert response.status == 401


@pytest.mark.parametrize("kid", [KID, "unknown-key"])
async def test_a_token_signed_with_another_key_is_401(client: TestClient, kid: str) -> None:
    forged = token(FORGER_KEY, kid=kid)
    response = await client.post("/api/messages", json=group_chat_update(),
                                 headers={"Authorization": f"Bearer {forged}"})
    assert response.status == 401


@pytest.mark.parametrize("claims", [{"aud": "another-bot"}, {"serviceurl": "https://evil.example/"},
                                    {"exp": int(time.time()) - 3600}, {"iss": "https://evil.example"}])
async def test_a_real_signature_with_wrong_claims_is_401(client: TestClient, claims: dict[str, Any]) -> None:
    response = await client.post("/api/messages", json=group_chat_update(),
                                 headers={"Authorization": f"Bearer {token(CHANNEL_KEY, **claims)}"})
    assert response.status == 401


async def test_a_token_from_the_channel_gets_through(client: TestClient) -> None:
    response = await client.post("/api/messages", json=group_chat_update(),
                                 headers={"Authorization": f"Bearer {token(CHANNEL_KEY)}"})
    assert response.status == 201


async def test_without_a_content_type_or_json_body_it_is_still_401_then_400(client: TestClient) -> None:
    response = await client.post("/api/messages", data=b"not json")
    assert response.status == 401
    response = await client.post("/api/messages", data=b"not json",
                                 headers={"Authorization": f"Bearer {token(CHANNEL_KEY)}"})
    assert response.status == 400


async def test_the_app_as_served_refuses_bad_auth_with_401(db_url: str) -> None:
    """create_app with MICROSOFT_APP_ID set: nothing is reached that needs the network."""
    from adapters.web import create_app

    service = bootstrap.build(make_settings(db_url, MICROSOFT_APP_ID=APP_ID, MICROSOFT_APP_PASSWORD="x"))
    async with TestClient(TestServer(create_app(service, host="127.0.0.1"), host="127.0.0.1")) as client:
        for headers in ({}, {"Authorization": "Bearer garbage"}):
            response = await client.post("/api/messages", json=message(TARA, SERVICE_URL, "help"), headers=headers)
            assert response.status == 401


async def test_anonymous_mode_serves_loopback_clients_only(teams: Any) -> None:
    app = teams.client.server.app
    transport = mock.Mock()
    transport.get_extra_info.side_effect = lambda name, default=None: (
        ("203.0.113.7", 40000) if name == "peername" else default)
    request = make_mocked_request("POST", "/api/messages", app=app, transport=transport,
                                  headers={"Content-Type": "application/json"})
    channel = teams_channel(app)  # without an app id the channel is built on first use
    assert channel.config.anonymous
    response = await serve_messages(channel, request)
    assert response.status == 401
