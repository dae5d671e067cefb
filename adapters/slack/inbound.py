"""What a signed request to /slack/events must look like before bolt or a listener reads it.

Slack's signature proves who sent a body, not that the body is well formed: a bug, a
proxy or a replayed-and-edited request can still send a payload that is not JSON, a user
that is not an object or actions that are not a list. Bolt and the listeners read those
fields directly, so the edge checks their shapes first and answers 400 with what is wrong.
Only the fields bolt or mashbot read are checked; anything else Slack adds is let through.

`read(text, content_type)` parses the body the way bolt will (same function) and returns the
kind of request; `Refused` carries the 400's message (it never quotes the body).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from slack_bolt.request.internals import parse_body

from bot.texts import SLACK_COMMAND
from cards import slack as blocks


class Refused(Exception):
    """The body is not a Slack request mashbot can read; the message says what to fix."""


class Kind(Enum):
    COMMAND = "command"
    PRESS = "press"
    SUBMISSION = "submission"
    URL_VERIFICATION = "url_verification"
    IGNORED = "ignored"  # a kind of request mashbot does not serve (acknowledged, not acted on)


class _Shape(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)


class _Team(_Shape):
    id: str | None = None
    enterprise_id: str | None = None


class _Enterprise(_Shape):
    id: str | None = None


class _Authorization(_Shape):
    enterprise_id: str | None = None
    team_id: str | None = None
    user_id: str | None = None
    is_enterprise_install: bool | None = None


class _User(_Shape):
    id: str = Field(min_length=1, max_length=64)
    team_id: str | None = None


class _Channel(_Shape):
    id: str | None = None


class _Envelope(_Shape):
    """The fields bolt reads from every interactive payload to build its context."""

    type: str
    team: _Team | None = None
    enterprise: _Enterprise | str | None = None
    authorizations: list[_Authorization] | None = None
    is_enterprise_install: bool | str | None = None
    user: _User | None = None
    channel: _Channel | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    trigger_id: str | None = None
    response_url: str | None = None
    api_app_id: str | None = None
    team_id: str | None = None
    enterprise_id: str | None = None
    user_id: str | None = None
    channel_id: str | None = None
    function_execution_id: str | None = None
    function_data: dict[str, Any] | None = None


class _Action(_Shape):
    action_id: str
    value: str | None = None
    block_id: str | None = None
    type: str | None = None


class _Press(_Envelope):
    user: _User
    actions: list[_Action] = Field(min_length=1)


class _State(_Shape):
    values: dict[str, dict[str, dict[str, Any]]]


class _View(_Shape):
    id: str | None = None
    callback_id: str
    private_metadata: str = ""
    state: _State
    hash: str | None = None


class _Submission(_Envelope):
    user: _User
    view: _View


class _Command(_Shape):
    """A slash command arrives as a form: every value is a string."""

    command: str = Field(min_length=1)
    user_id: str = Field(min_length=1, max_length=64)
    text: str = ""
    trigger_id: str = ""
    response_url: str = ""
    team_id: str | None = None
    enterprise_id: str | None = None
    channel_id: str | None = None


@dataclass(frozen=True)
class Inbound:
    kind: Kind
    body: dict[str, Any]


def _why(exc: ValidationError) -> str:
    """The first problem, by field path; pydantic's message never includes the value."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    return f"{where}: {first['msg']}"


def _check(model: type[_Shape], body: dict[str, Any]) -> None:
    try:
        model.model_validate(body)
    except ValidationError as exc:
        raise Refused(f"malformed Slack request ({_why(exc)})") from None


def read(text: str, content_type: str | None) -> Inbound:
    """The request's kind and body as bolt will see them, or Refused."""
    try:
        body = parse_body(text, content_type)
    except ValueError:
        raise Refused("malformed Slack request (the body or its payload= is not valid JSON)") from None
    if not isinstance(body, dict):
        raise Refused("malformed Slack request (the body or its payload= must be a JSON object)")
    if "command" in body and "type" not in body:
        _check(_Command, body)
        if body["command"] != SLACK_COMMAND:
            raise Refused(f"mashbot serves only the {SLACK_COMMAND} command")
        return Inbound(Kind.COMMAND, body)
    kind = body.get("type")
    if not isinstance(kind, str):
        raise Refused("malformed Slack request (type: a string is required)")
    if kind == "url_verification":
        if not isinstance(body.get("challenge"), str):
            raise Refused("malformed Slack request (challenge: a string is required)")
        return Inbound(Kind.URL_VERIFICATION, body)
    if kind == "block_actions":
        _check(_Press, body)
        action_id = body["actions"][0]["action_id"]
        # Ours: a card button, or the intake's reason select (dispatched as soon as it is chosen).
        ours = action_id.startswith(blocks.ACTION_PREFIX) or action_id == blocks.REASON_FIELD
        return Inbound(Kind.PRESS if ours else Kind.IGNORED, body)
    if kind == "view_submission":
        _check(_Submission, body)
        if body["view"]["callback_id"] not in (blocks.INTAKE_CALLBACK, blocks.ACTION_CALLBACK):
            raise Refused("this form was not made by mashbot")
        return Inbound(Kind.SUBMISSION, body)
    return Inbound(Kind.IGNORED, body)
