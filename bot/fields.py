"""Something a person is asked to fill in: an intake question or an input a button needs.

One definition, so Slack modals, Teams Adaptive Cards and the console render every form the
same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot import texts


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


def shown_when_words(field: Field, siblings: Sequence[Field]) -> str:
    """'Only when outcome is “de-escalated”. ' for a field shown only after another answer
    ('' for one always shown): the words every channel puts before the field's help, so a
    channel that cannot hide a field still says when it is needed."""
    if field.shown_when is None:
        return ""
    source_id, value = field.shown_when
    source = next((f for f in siblings if f.id == source_id), None)
    if source is None:
        return texts.SHOWN_WHEN.format(label=source_id, value=value)
    if source.kind is FieldKind.TOGGLE:
        return texts.SHOWN_WHEN_TICKED.format(label=source.label)
    shown = next((c.label for c in source.choices if c.value == value), value)
    return texts.SHOWN_WHEN.format(label=source.label.lower(), value=shown.lower())
