"""Personal identifiers in free text, found so the bot can ask the person to remove them.

mashbot holds a case *reference*, never a child's details (DESIGN §9). Every free-text
answer is checked here before it is kept. The checks lean towards asking: a person can
always reword, but a detail once stored has to be purged. Yet an ordinary casework
sentence ("strategy meeting held on 12/03/2026", "Child: CP plan in place") must pass, or
staff learn to work around the tool. Callers must never log the matched text.

The finders live in bot.identifier_numbers (numbers and codes) and bot.identifier_people
(dates of birth, names, addresses); this module runs them and words the refusal.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from bot import identifier_numbers as numbers
from bot import identifier_people as people
from bot import texts
from bot.identifier_numbers import nhs_number_is_valid

__all__ = ["IdentifierFound", "find_identifiers", "identifiers_message", "nhs_number_is_valid"]

NHS_NUMBER = "NHS number"
NATIONAL_INSURANCE_NUMBER = "National Insurance number"
DATE_OF_BIRTH = "date of birth"
POSTCODE = "postcode"
STREET_ADDRESS = "street address"
PHONE_NUMBER = "phone number"
EMAIL_ADDRESS = "email address"
NAME = "name"

KINDS: tuple[str, ...] = (
    NHS_NUMBER, NATIONAL_INSURANCE_NUMBER, DATE_OF_BIRTH, POSTCODE, STREET_ADDRESS, PHONE_NUMBER, EMAIL_ADDRESS, NAME,
)
_ARTICLES = {NHS_NUMBER: "an", EMAIL_ADDRESS: "an"}

# How many findings a refusal lists before it says "and N more".
_LISTED = 3
_SHOWN_CHARACTERS = 2



@dataclass(frozen=True)
class IdentifierFound:
    """One personal identifier found in a text. `text` must never be logged.

    `shown` is the identifying value's first characters and an ellipsis, for the person's
    own form only; `word` is the number of the word it starts at.
    """

    kind: str
    text: str
    shown: str = field(default="", compare=False)
    word: int = field(default=0, compare=False)


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str
    value_start: int

    def overlaps(self, other: _Span) -> bool:
        return self.start < other.end and other.start < self.end


Finder = Callable[[str], Iterator[tuple[int, int, int]]]

# Earlier finders win where matches overlap (an email address holds a name, an NHS number
# looks like a phone number, a date can sit inside a "Name: … DOB …" line).
_FINDERS: tuple[tuple[str, Finder], ...] = (
    (EMAIL_ADDRESS, numbers.emails),
    (NHS_NUMBER, numbers.nhs_numbers),
    (NATIONAL_INSURANCE_NUMBER, numbers.national_insurance_numbers),
    (PHONE_NUMBER, numbers.phone_numbers),
    (DATE_OF_BIRTH, people.dates_of_birth),
    (POSTCODE, numbers.postcodes),
    (STREET_ADDRESS, people.addresses),
    (NAME, people.names),
)


def find_identifiers(text: str) -> list[IdentifierFound]:
    """Every personal identifier in `text`, in the order they appear."""
    spans: list[_Span] = []
    for kind, finder in _FINDERS:
        for start, end, value_start in finder(text):
            span = _Span(start, end, kind, value_start)
            if not any(span.overlaps(kept) for kept in spans):
                spans.append(span)
    spans.sort(key=lambda span: span.start)
    return [_found(text, span) for span in spans]


def _found(text: str, span: _Span) -> IdentifierFound:
    value = text[span.value_start : span.end].strip()
    before = text[: span.value_start]
    # A value inside a word ("(Jayden)") is at that word, not the next one.
    word = len(before.split()) + (1 if not before or before[-1].isspace() else 0)
    return IdentifierFound(span.kind, text[span.start : span.end], value[:_SHOWN_CHARACTERS] + "…", word)


def _describe(found: IdentifierFound) -> str:
    article = _ARTICLES.get(found.kind, "a")
    shown = found.shown or found.text.strip()[:_SHOWN_CHARACTERS] + "…"
    where = texts.IDENTIFIER_AT_WORD.format(word=found.word) if found.word else ""
    return texts.IDENTIFIER_FOUND.format(article=article, kind=found.kind, shown=shown, where=where)


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return texts.IDENTIFIER_LIST.format(items=", ".join(items[:-1]), last=items[-1])


def identifiers_message(found: list[IdentifierFound]) -> str | None:
    """What was found, where and how to fix it; None when nothing was.

    The message shows only each value's first characters, and belongs in the person's own
    form (a modal's error, their card, the console form), never in a shared message.
    """
    if not found:
        return None
    items = [_describe(item) for item in found[:_LISTED]]
    if len(found) > _LISTED:
        more = len(found) - _LISTED
        items.append(texts.IDENTIFIER_MORE.format(count=more, s="s" if more > 1 else ""))
    remove = texts.IDENTIFIER_REMOVE_ONE if len(found) == 1 else texts.IDENTIFIER_REMOVE_MANY
    return texts.IDENTIFIER_MESSAGE.format(items=_join(items), remove=remove)
