"""Tamper-evident audit trail: each event's hash covers the previous event's hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

GENESIS = "0" * 64


def canonical(record: Mapping[str, Any]) -> str:
    """A stable JSON text of an event record (sorted keys, no spaces)."""
    return json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def link_hash(previous: str, record: Mapping[str, Any]) -> str:
    """The hash of one link of the chain."""
    return hashlib.sha256((previous + "\n" + canonical(record)).encode()).hexdigest()


@dataclass(frozen=True)
class ChainLink:
    seq: int
    record: Mapping[str, Any]
    prev_hash: str
    hash: str


def first_broken(links: Iterable[ChainLink], start: str = GENESIS) -> int | None:
    """The seq of the first link that does not verify, or None when the chain is whole."""
    previous = start
    for link in links:
        if link.prev_hash != previous or link_hash(previous, link.record) != link.hash:
            return link.seq
        previous = link.hash
    return None
