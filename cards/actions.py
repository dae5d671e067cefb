"""Signed, versioned card-action payloads shared by every channel.

A button carries who the card was for, which challenge, which verb and the version the
card showed. It is signed with MASHBOT_SECRET so a forged or edited payload is refused,
and bound to the person so a forwarded card cannot be pressed by someone else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import asdict, dataclass


class BadAction(ValueError):
    """The payload was not made by this mashbot (bad signature, malformed, or edited)."""


@dataclass(frozen=True)
class ActionPayload:
    verb: str
    reference: str
    version: int
    for_id: str  # the roster person the card was rendered for


def _mac(body: bytes, secret: bytes) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret, body, hashlib.sha256).digest()[:18]).decode().rstrip("=")


def sign(payload: ActionPayload, secret: bytes) -> str:
    """A compact token `<body>.<mac>` (well under Slack's 2,000-character value limit)."""
    if not secret:
        raise ValueError("MASHBOT_SECRET is required to sign card actions")
    body = base64.urlsafe_b64encode(json.dumps(asdict(payload), separators=(",", ":")).encode())
    return body.decode().rstrip("=") + "." + _mac(body.rstrip(b"="), secret)


def verify(token: str, secret: bytes) -> ActionPayload:
    """The payload of a token this service signed; BadAction otherwise."""
    try:
        body, mac = token.rsplit(".", 1)
    except ValueError as exc:
        raise BadAction("malformed action") from exc
    if not secret or not hmac.compare_digest(_mac(body.encode(), secret), mac):
        raise BadAction("action signature does not match")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        return ActionPayload(verb=str(data["verb"]), reference=str(data["reference"]),
                             version=int(data["version"]), for_id=str(data["for_id"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise BadAction("malformed action") from exc
