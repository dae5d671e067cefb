"""A fake Entra ID token endpoint (https, as msal requires) and a fake Microsoft Graph
sendMail, both aiohttp on 127.0.0.1 port 0, answering like the real services: the token
endpoint takes a form POST and returns `expires_in`; sendMail answers 202 with an empty body,
401 InvalidAuthenticationToken for a token it does not accept, 404 ErrorInvalidUser for an
unknown mailbox, 403 ErrorAccessDenied without Mail.Send; scripted answers add 429 with
Retry-After, 503 with an HTML page, 500 text/plain, broken JSON and slow answers."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
from aiohttp import web

from tests.mail.tls import loopback_tls

TENANT = "0a1b2c3d-0000-4000-8000-00000000c0c1"
CLIENT_ID = "11111111-2222-4333-8444-555555555555"
SECRET = "fake-secret-value~not-a-real-one"
MAILBOX = "mashbot@council.example.org"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@dataclass
class Answer:
    """One scripted HTTP answer (used before the fake's normal behaviour)."""

    status: int
    body: str = ""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.body, content_type=self.content_type, headers=self.headers)


def graph_error(status: int, code: str, message: str = "", **headers: str) -> Answer:
    return Answer(status, json.dumps({"error": {"code": code, "message": message or code,
                                                "innerError": {"request-id": "r-1", "date": "2027-01-04T10:00:00"}}}),
                  headers=dict(headers))


@dataclass
class FakeEntra:
    """POST /{tenant}/oauth2/v2.0/token (client_credentials, secret or certificate assertion)."""

    expires_in: int = 3599
    public_key_pem: bytes | None = None  # set: a certificate credential is accepted, checked by signature
    answers: list[Answer] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    issued: list[str] = field(default_factory=list)
    url: str = ""  # https://127.0.0.1:port (the authority host)
    ca_path: Path | None = None

    async def discovery(self, request: web.Request) -> web.Response:
        tenant = request.match_info["tenant"]
        if tenant != TENANT:
            return web.json_response({"error": "invalid_tenant", "error_description": "AADSTS90002: Tenant not found.",
                                      "error_codes": [90002]}, status=400)
        base = f"{self.url}/{tenant}"
        return web.json_response({"token_endpoint": f"{base}/oauth2/v2.0/token",
                                  "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                                  "issuer": f"{self.url}/{tenant}/v2.0"})

    async def token(self, request: web.Request) -> web.Response:
        if request.content_type != "application/x-www-form-urlencoded":
            return web.json_response({"error": "invalid_request"}, status=400)
        form = {k: str(v) for k, v in (await request.post()).items()}
        self.token_requests.append({k: ("***" if k in {"client_secret", "client_assertion"} else v)
                                    for k, v in form.items()})
        if self.answers:
            answer = self.answers.pop(0)
            await asyncio.sleep(answer.delay)
            return answer.response()
        if form.get("grant_type") != "client_credentials" or not form.get("scope", "").endswith("/.default"):
            return self._error(400, "invalid_request", 900144)
        if form.get("client_id") != CLIENT_ID:
            return self._error(400, "unauthorized_client", 700016)
        if not self._credential_ok(form):
            return self._error(401, "invalid_client", 7000215)
        token = f"at-{len(self.issued) + 1}-{form['scope']}"
        self.issued.append(token)
        return web.json_response({"token_type": "Bearer", "expires_in": self.expires_in,
                                  "ext_expires_in": self.expires_in, "access_token": token})

    def _credential_ok(self, form: dict[str, str]) -> bool:
        if self.public_key_pem is None:
            return form.get("client_secret") == SECRET
        if form.get("client_assertion_type") != JWT_BEARER:
            return False
        try:
            jwt.decode(form["client_assertion"], self.public_key_pem, algorithms=["RS256", "PS256"],
                       audience=f"{self.url}/{TENANT}/oauth2/v2.0/token")
        except (jwt.PyJWTError, KeyError):
            return False
        return True

    @staticmethod
    def _error(status: int, error: str, code: int) -> web.Response:
        return web.json_response({"error": error, "error_description": f"AADSTS{code}: something the test chose.",
                                  "error_codes": [code], "timestamp": "2027-01-04 10:00:00Z"}, status=status)


@dataclass
class FakeGraph:
    """POST /v1.0/users/{sender}/sendMail, accepting only tokens the fake Entra issued."""

    entra: FakeEntra
    mailboxes: set[str] = field(default_factory=lambda: {MAILBOX})
    can_send_as: set[str] = field(default_factory=lambda: {MAILBOX})  # Mail.Send + access policy
    answers: list[Answer] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    tokens_seen: list[str] = field(default_factory=list)
    url: str = ""

    async def send_mail(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        self.tokens_seen.append(token)
        if self.answers:
            answer = self.answers.pop(0)
            await asyncio.sleep(answer.delay)
            return answer.response()
        if token not in self.entra.issued or token in self.revoked:
            return graph_error(401, "InvalidAuthenticationToken", "Access token validation failure.").response()
        sender = request.match_info["sender"]
        if sender not in self.mailboxes:
            return graph_error(404, "ErrorInvalidUser", f"The requested user '{sender}' is invalid.").response()
        if sender not in self.can_send_as:
            return graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.").response()
        try:
            body = await request.json()
            message = body["message"]
            assert message["toRecipients"][0]["emailAddress"]["address"]
            assert message["body"]["contentType"] in {"Text", "HTML"}
        except (ValueError, KeyError, IndexError, TypeError, AssertionError):
            return graph_error(400, "ErrorInvalidRequest", "The request body is not a message.").response()
        self.sent.append(body)
        return web.Response(status=202)


@asynccontextmanager
async def _serve(app: web.Application, ssl_context: Any = None) -> AsyncIterator[int]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ssl_context)
    await site.start()
    try:
        yield runner.addresses[0][1]
    finally:
        await runner.cleanup()


@asynccontextmanager
async def microsoft(folder: Path, **entra_options: Any) -> AsyncIterator[tuple[FakeEntra, FakeGraph]]:
    """The fake Entra ID (https, its CA in `entra.ca_path`) and the fake Graph (http)."""
    tls = loopback_tls(folder)
    entra = FakeEntra(ca_path=tls.ca_path, **entra_options)
    graph = FakeGraph(entra)
    login = web.Application()
    login.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", entra.discovery)
    login.router.add_post("/{tenant}/oauth2/v2.0/token", entra.token)
    api = web.Application()
    api.router.add_post("/v1.0/users/{sender}/sendMail", graph.send_mail)
    async with _serve(login, tls.server_context()) as login_port, _serve(api) as api_port:
        entra.url, graph.url = f"https://127.0.0.1:{login_port}", f"http://127.0.0.1:{api_port}"
        yield entra, graph


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()
