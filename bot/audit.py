"""Tamper-evident audit trail: each event's link is an HMAC-SHA256, under a key the database
does not hold, over the previous link and the event; each challenge row is sealed the same way
together with the link of its latest event.

Without the key, someone who can write to the database can neither re-link a changed event
(nor the events after it) nor re-seal a changed challenge row, and a cut-off tail is caught
because the rows that the dropped events changed still point at them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bot import texts

GENESIS = "0" * 64
MIN_KEY_CHARS = 16


def canonical(record: Mapping[str, Any]) -> str:
    """A stable JSON text of an event record (sorted keys, no spaces)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


@dataclass(frozen=True)
class AuditKey:
    """The secret that keys the chain. `development` marks the fixed key used when none is set:
    it is in this source file, so a trail signed with it proves nothing against an insider."""

    secret: bytes = field(repr=False)
    development: bool = False

    @property
    def key_id(self) -> str:
        """A short public fingerprint, stored with the chain, that tells keys apart without revealing them."""
        return hmac.new(self.secret, b"mashbot audit key id", hashlib.sha256).hexdigest()[:16]

    def link(self, previous: str, record: Mapping[str, Any]) -> str:
        """The link of one event: HMAC over the previous link and the event."""
        return hmac.new(self.secret, ("event\n" + previous + "\n" + canonical(record)).encode(),
                        hashlib.sha256).hexdigest()

    def seal(self, record: Mapping[str, Any]) -> str:
        """The seal of one challenge row (its columns and the link of its latest event)."""
        return hmac.new(self.secret, ("challenge\n" + canonical(record)).encode(), hashlib.sha256).hexdigest()


DEVELOPMENT_KEY = AuditKey(b"mashbot development audit key - not a secret", development=True)


def audit_key(value: str | None) -> AuditKey:
    """The key from MASHBOT_AUDIT_KEY's text, or the development key when it is unset."""
    if value is None or not value.strip():
        return DEVELOPMENT_KEY
    if len(value.strip()) < MIN_KEY_CHARS:
        raise ValueError(texts.AUDIT_KEY_TOO_SHORT.format(chars=MIN_KEY_CHARS))
    return AuditKey(value.strip().encode())


def legacy_link(previous: str, record: Mapping[str, Any]) -> str:
    """The unkeyed SHA-256 link of trails written before the chain was keyed (read once, to re-key)."""
    return hashlib.sha256((previous + "\n" + canonical(record)).encode()).hexdigest()
