"""Teams activities exactly as Teams sends them, the people who send them, and the harness
that posts them to /api/messages and reads what came back."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp.test_utils import TestClient

from adapters import bootstrap
from adapters.dispatcher import Dispatcher, DispatchReport
from bot.challenge import Challenge, Message
from bot.roster import Person
from cards.adaptive import DATA_KEY, input_id
from tests.teams.fake_connector import FakeConnector

LONDON = ZoneInfo("Europe/London")
START = datetime(2026, 12, 24, 10, 0, tzinfo=LONDON)
TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
BOT = {"id": "28:9e3f6b1e-1b7a-4c55-8a1e-4b0c6f3f2d10", "name": "mashbot"}
_ids = itertools.count(1)


@dataclass(frozen=True)
class TeamsUser:
    """Someone in Teams: their Teams id, Entra object id, and their 1:1 chat with mashbot."""

    key: str
    name: str
    aad: str
    email: str

    @property
    def user_id(self) -> str:
        return f"29:1{self.key}-teams-user-id"

    @property
    def conversation(self) -> str:
        return f"a:1{self.key}-personal-chat"

    def member(self) -> dict[str, Any]:
        """GET /v3/conversations/{id}/members/{id} as Teams answers it."""
        given, _, family = self.name.partition(" ")
        return {"id": self.user_id, "name": self.name, "aadObjectId": self.aad, "givenName": given,
                "surname": family, "email": self.email, "userPrincipalName": self.email,
                "tenantId": TENANT, "userRole": "user"}


# Entra ids in the demo roster for Tara, Ava, Ellen and Farid; Ben and Gwen have none there
# and are matched by the email Teams reports for them.
TARA = TeamsUser("tara", "Tara Nolan", "bff7c94f-f25c-4da5-b151-90f061ab99c6", "tara.nolan@example.org")
AVA = TeamsUser("ava", "Ava Okafor", "f704c66a-8b16-4f05-a33e-89bacd170931", "ava.okafor@example.org")
BEN = TeamsUser("ben", "Ben Hartley", "0b9f3c2a-5d8e-4f61-9a7b-2c4d6e8f0a1b", "ben.hartley@example.org")
ELLEN = TeamsUser("ellen", "Ellen Marsh", "94e19f57-c7be-4380-b5a8-a0161ec782a0", "ellen.marsh@example.org")
FARID = TeamsUser("farid", "Farid Khan", "1a47c4f2-bee2-4d25-8c6b-6bd2b8e32f71", "farid.khan@example.org")
GWEN = TeamsUser("gwen", "Gwen Talbot", "6d2e8a4c-3b1f-4e7d-9c5a-8f0b2d4e6a13", "gwen.talbot@example.org")
STRANGER = TeamsUser("stranger", "Sam Stranger", "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee", "sam@elsewhere.example")
EVERYONE = (TARA, AVA, BEN, ELLEN, FARID, GWEN, STRANGER)


def _common(user: TeamsUser, service_url: str, kind: str, conversation_type: str = "personal") -> dict[str, Any]:
    return {
        "type": kind,
        "id": f"f:{next(_ids)}",
        "timestamp": "2026-12-24T10:00:00.000Z",
        "localTimestamp": "2026-12-24T10:00:00.000+00:00",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "from": {"id": user.user_id, "name": user.name, "aadObjectId": user.aad},
        "conversation": {"conversationType": conversation_type, "tenantId": TENANT,
                         "id": user.conversation if conversation_type == "personal"
                         else "19:group-chat-id@thread.v2"},
        "recipient": dict(BOT),
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
    }


_CLIENT_INFO = [{"locale": "en-GB", "country": "GB", "platform": "Web", "timezone": "Europe/London",
                 "type": "clientInfo"}]


def message(user: TeamsUser, service_url: str, text: str, conversation_type: str = "personal") -> dict[str, Any]:
    return {**_common(user, service_url, "message", conversation_type), "text": text, "textFormat": "plain",
            "entities": _CLIENT_INFO, "localTimezone": "Europe/London"}


def invoke(user: TeamsUser, service_url: str, action: dict[str, Any], inputs: dict[str, str],
           reply_to: str = "1:card-message", trigger: str = "manual") -> dict[str, Any]:
    data = {**action["data"], **inputs}
    value = {"action": {"type": "Action.Execute", "id": f"action-{next(_ids)}", "title": action.get("title"),
                        "verb": action["verb"], "data": data}, "trigger": trigger}
    body = {**_common(user, service_url, "invoke"), "name": "adaptiveCard/action", "value": value,
            "replyToId": reply_to, "entities": _CLIENT_INFO}
    body["channelData"] = {**body["channelData"], "source": {"name": "message"}, "legacy": {"replyToId": reply_to}}
    return body


def conversation_update(user: TeamsUser, service_url: str) -> dict[str, Any]:
    body = _common(user, service_url, "conversationUpdate")
    body["membersAdded"] = [{"id": BOT["id"]}]
    body["from"] = {"id": user.user_id, "aadObjectId": user.aad}
    return body


def installation_update(user: TeamsUser, service_url: str, action: str = "add") -> dict[str, Any]:
    body = {**_common(user, service_url, "installationUpdate"), "action": action, "entities": _CLIENT_INFO}
    body["channelData"] = {**body["channelData"], "source": {"name": "message"}}
    return body


# --- cards --------------------------------------------------------------------------------------


def actions_of(card: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every action of a card: top level, in ShowCards, in ActionSets, and the refresh."""
    for action in card.get("actions", []):
        yield action
        if action["type"] == "Action.ShowCard":
            yield from actions_of(action["card"])
    for element in card.get("body", []):
        if element.get("type") == "ActionSet":
            for action in element["actions"]:
                yield action
                if action["type"] == "Action.ShowCard":
                    yield from actions_of(action["card"])
    if "refresh" in card:
        yield card["refresh"]["action"]


def execute_for(card: dict[str, Any], verb: str) -> dict[str, Any]:
    found = [a for a in actions_of(card) if a["type"] == "Action.Execute" and a["verb"] == verb]
    assert found, f"no {verb!r} button on the card; verbs: {verbs(card)}"
    return found[0]


def verbs(card: dict[str, Any]) -> list[str]:
    return [a["verb"] for a in actions_of(card) if a["type"] == "Action.Execute"]


def texts_of(card: dict[str, Any]) -> list[str]:
    out: list[str] = []
    stack = list(card.get("body", []))
    while stack:
        element = stack.pop(0)
        if element.get("type") == "TextBlock":
            out.append(element["text"])
        if element.get("type") == "FactSet":
            out += [f"{f['title']}: {f['value']}" for f in element["facts"]]
        stack = list(element.get("items", [])) + stack
    return out


def card_text(card: dict[str, Any]) -> str:
    return "\n".join(texts_of(card))


# --- email --------------------------------------------------------------------------------------


@dataclass
class FakeEmail:
    channel: str = "email"
    sent: list[tuple[Message, str]] = field(default_factory=list)

    async def send(self, message: Message, person: Person, *, key: str) -> str:
        self.sent.append((message, person.id))
        return f"<mashbot.{key}@example.org>"

    def to(self, person_id: str, kind: str | None = None) -> list[Message]:
        return [m for m, p in self.sent if p == person_id and (kind is None or m.kind == kind)]


# --- the harness -------------------------------------------------------------------------------


@dataclass
class Teams:
    client: TestClient
    service: bootstrap.Service
    connector: FakeConnector
    dispatcher: Dispatcher
    email: FakeEmail

    @property
    def url(self) -> str:
        return self.connector.url

    async def post(self, activity: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        return await self.client.post("/api/messages", json=activity, headers=headers or {})

    async def say(self, user: TeamsUser, text: str) -> list[Any]:
        """Send a message; returns what mashbot replied in that chat (cards or texts)."""
        before = len(self.connector.posted)
        response = await self.post(message(user, self.url, text))
        assert response.status in (200, 201), await response.text()
        replies = [p for p in self.connector.posted[before:] if p.conversation == user.conversation]
        return [p.card if p.card is not None else p.text for p in replies]

    async def press(self, user: TeamsUser, card: dict[str, Any], verb: str, **inputs: str) -> dict[str, Any]:
        """Press a button as Teams does; returns the invoke response body."""
        action = execute_for(card, verb)
        values = {key if verb == "intake" or "." in key else input_id(verb, key): value
                  for key, value in inputs.items()}
        response = await self.post(invoke(user, self.url, action, values))
        assert response.status == 200, await response.text()
        body: dict[str, Any] = await response.json()
        return body

    async def install(self, user: TeamsUser) -> None:
        response = await self.post(installation_update(user, self.url))
        assert response.status in (200, 201), await response.text()

    async def dispatch(self) -> DispatchReport:
        return await self.dispatcher.run_once()

    async def challenge(self, reference: str) -> Challenge:
        async with self.service.database.uow(read_only=True) as uow:
            found = await uow.challenges.get(reference)
        assert found is not None
        return found

    def data_token(self, card: dict[str, Any], verb: str) -> str:
        return str(execute_for(card, verb)["data"][DATA_KEY])
