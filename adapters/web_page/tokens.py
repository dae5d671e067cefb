"""The tokens in emailed links and the page's CSRF values.

A link token is `<body>.<mac>`: the body says whose link it is, for which challenge, version
and action, until when, with a random nonce; the mac is an HMAC with MASHBOT_SECRET, so a
changed or made-up link is refused before the database is asked. The database keeps only the
SHA-256 of the whole token (single use), never the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

ACTION = "action"
SIGN_IN = "sign_in"
MAX_TOKEN = 600  # characters; a real token is about 200


class BadLink(ValueError):
    """Not a link this service made (changed, cut short, or signed with another secret)."""


@dataclass(frozen=True)
class LinkClaim:
    purpose: str  # ACTION or SIGN_IN
    person_id: str
    reference: str
    version: int
    verb: str
    expires: int  # seconds since the epoch
    nonce: str

    @property
    def expires_at(self) -> datetime:
        return datetime.fromtimestamp(self.expires, UTC)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _mac(secret: bytes, purpose: str, body: str) -> str:
    return _b64(hmac.new(secret, f"mashbot-link:{purpose}:{body}".encode(), hashlib.sha256).digest()[:24])


def make_token(claim: LinkClaim, secret: bytes) -> str:
    if not secret:
        raise ValueError("MASHBOT_SECRET is required to sign emailed links")
    body = _b64(json.dumps(asdict(claim), separators=(",", ":")).encode())
    return f"{body}.{_mac(secret, claim.purpose, body)}"


def new_claim(purpose: str, person_id: str, expires_at: datetime, *, reference: str = "", version: int = 0,
              verb: str = "") -> LinkClaim:
    return LinkClaim(purpose, person_id, reference, version, verb, int(expires_at.timestamp()),
                     secrets.token_urlsafe(12))


def read_token(token: str, secret: bytes, purpose: str) -> LinkClaim:
    """The claim of a token this service signed for `purpose`; BadLink otherwise."""
    if not token or len(token) > MAX_TOKEN or token.count(".") != 1 or not token.isascii():
        raise BadLink("malformed")
    body, mac = token.split(".")
    if not secret or not hmac.compare_digest(_mac(secret, purpose, body), mac):
        raise BadLink("signature")
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
        claim = LinkClaim(purpose=str(data["purpose"]), person_id=str(data["person_id"]),
                          reference=str(data["reference"]), version=int(data["version"]), verb=str(data["verb"]),
                          expires=int(data["expires"]), nonce=str(data["nonce"]))
    except (ValueError, KeyError, TypeError, RecursionError) as exc:
        raise BadLink("malformed") from exc
    if claim.purpose != purpose:
        raise BadLink("purpose")
    return claim


def digest(token: str) -> str:
    """What the database keeps of a token or session id."""
    return hashlib.sha256(token.encode()).hexdigest()


def csrf_value(secret: bytes, anchor: str, scope: str) -> str:
    """The hidden form value for a page: bound to the browser's CSRF cookie (`anchor`) and to
    what the form is for (`scope`: a link's hash, or the session)."""
    return _b64(hmac.new(secret, f"mashbot-csrf:{anchor}:{scope}".encode(), hashlib.sha256).digest()[:24])


def csrf_matches(secret: bytes, anchor: str | None, scope: str, given: str | None) -> bool:
    if not anchor or not given or len(given) > 100 or not given.isascii() or not anchor.isascii():
        return False
    return hmac.compare_digest(csrf_value(secret, anchor, scope), given)


def known_value(secret: bytes, person_id: str) -> str:
    """The "last signed in here" cookie: a person id and its mac."""
    body = _b64(person_id.encode())
    return f"{body}.{_b64(hmac.new(secret, f'mashbot-known:{body}'.encode(), hashlib.sha256).digest()[:18])}"


def read_known(secret: bytes, value: str) -> str | None:
    if not value or len(value) > 300 or value.count(".") != 1 or not value.isascii():
        return None
    body, mac = value.split(".")
    expected = _b64(hmac.new(secret, f"mashbot-known:{body}".encode(), hashlib.sha256).digest()[:18])
    if not hmac.compare_digest(expected, mac):
        return None
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
