"""Something a person is asked to fill in: an intake question or an input a button needs.

One definition, so Slack modals, Teams Adaptive Cards and the console render every form the
same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class FieldKind(StrEnum):
    TEXT = "text"
    LONG_TEXT = "long_text"
    CHOICE = "choice"
    TOGGLE = "toggle"


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@dataclass(frozen=True)
class Field:
    """One question. `shown_when=(field id, value)` shows it only when that answer is given."""

    id: str
    label: str
    kind: FieldKind
    required: bool
    help: str = ""
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    shown_when: tuple[str, str] | None = None
    default: str | None = None
