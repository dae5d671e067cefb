"""The identifier check as it was before the corpus-driven rewrite, kept so bench/identifier_bench.py
can time today's check against it in the same run. Not used by mashbot."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

NHS_NUMBER = "NHS number"
DATE_OF_BIRTH = "date of birth"
POSTCODE = "postcode"
PHONE_NUMBER = "phone number"
EMAIL_ADDRESS = "email address"
NAME = "name"

# The order kinds are listed in a message.
KINDS: tuple[str, ...] = (NHS_NUMBER, DATE_OF_BIRTH, POSTCODE, PHONE_NUMBER, EMAIL_ADDRESS, NAME)

PLURALS: dict[str, str] = {
    NHS_NUMBER: "NHS numbers",
    DATE_OF_BIRTH: "dates of birth",
    POSTCODE: "postcodes",
    PHONE_NUMBER: "phone numbers",
    EMAIL_ADDRESS: "email addresses",
    NAME: "names",
}

REMOVE_MESSAGE = (
    "Please remove the {items} from this text — mashbot must not hold personal details; use the case reference instead."
)


@dataclass(frozen=True)
class IdentifierFound:
    """One personal identifier found in a text. `text` must never be logged."""

    kind: str
    text: str


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    kind: str

    def overlaps(self, other: _Span) -> bool:
        return self.start < other.end and other.start < self.end


Finder = Callable[[str], Iterator[tuple[int, int]]]

# --- email addresses ---------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")


def _emails(text: str) -> Iterator[tuple[int, int]]:
    for match in _EMAIL.finditer(text):
        yield match.span()


# --- NHS numbers -------------------------------------------------------------------

# 10 digits, plain or 3-3-4 with the same separator (space or dash) twice.
_NHS = re.compile(r"(?<![\w+])(?<!\d[ -])(\d{3})([ -]?)(\d{3})\2(\d{4})(?!\w)")


def nhs_number_is_valid(digits: str) -> bool:
    """True when `digits` (10 digits) carries a correct Modulus 11 check digit."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False  # a run of one digit is a placeholder, not a number
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


def _nhs_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _NHS.finditer(text):
        if nhs_number_is_valid(match[1] + match[3] + match[4]):
            yield match.span()


# --- UK phone numbers --------------------------------------------------------------

_PHONE = re.compile(
    r"""(?<![\w+])
    (?: (?:\+|00)44[\s-]?(?:\(0\)[\s-]?)? | \(?0 )   # +44, 0044, +44 (0) or a leading 0
    [1237]                                        # landlines 01/02/03, mobiles 07
    (?:[\s\-)]{0,2}\d){8,9}
    (?!\d)""",
    re.VERBOSE,
)


def _phone_numbers(text: str) -> Iterator[tuple[int, int]]:
    for match in _PHONE.finditer(text):
        digits = re.sub(r"\D", "", match[0].replace("(0)", ""))
        national = re.sub(r"^(?:0044|44|0)", "", digits)
        if len(national) == 10 or (len(national) == 9 and national[0] == "1"):
            yield match.span()


# --- dates that may be dates of birth ----------------------------------------------

_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_ORDINAL = r"(?:st|nd|rd|th)?"
_NUMERIC_DATE = r"\d{1,2}([/-])\d{1,2}\1(?:\d{4}|\d{2})|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}"
_WORDED_DATE = (
    rf"\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{1,2}}{_ORDINAL},?\s+\d{{4}}"
)
_FULL_DATE = re.compile(rf"(?<![\w/.:-])(?:{_NUMERIC_DATE}|{_WORDED_DATE})(?![\w/-]|\.\d)", re.IGNORECASE)

_BIRTH_LABEL = r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b(?:\s+(?:on|in))?)"
_PARTIAL_DATE = (
    rf"(?:the\s+)?\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{2,4}})?"
    rf"|{_MONTH}\s+\d{{1,2}}{_ORDINAL}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{4}}"
    r"|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{4}"
)
_LABELLED_DATE = re.compile(
    rf"{_BIRTH_LABEL}(?:\s+is|\s+was)?\s*[:=-]?\s*(?:{_PARTIAL_DATE})(?!\w)"
    rf"|(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b)\s*[:=-]\s*[^\s,;.][^,;.\n]{{0,30}}",
    re.IGNORECASE,
)

# A date just after words like these is the date of an event, not of a birth.
_EVENT_BEFORE = re.compile(
    r"\b(?:meeting|met|referral|referred|contact|decision|decided|discussion|discussed"
    r"|strategy|conference|visit|visited|call|called|phoned|emailed|received|sent|held"
    r"|dated|review|reviewed|assessment|closed|opened|escalated|due)"
    r"(?:\s+(?:was|were|is|on|of|at|the|made|took\s+place|monday|tuesday|wednesday"
    r"|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun),?)*\s*$",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-]")


def _plausible_day_month(date_text: str) -> bool:
    match = _DAY_MONTH.match(date_text)
    if match is None:
        return True  # worded or ISO dates are checked by their shape alone
    return 1 <= int(match[1]) <= 31 and 1 <= int(match[2]) <= 12


def _dates_of_birth(text: str) -> Iterator[tuple[int, int]]:
    labelled = [match.span() for match in _LABELLED_DATE.finditer(text)]
    yield from labelled
    for match in _FULL_DATE.finditer(text):
        inside_label = any(start <= match.start() < end for start, end in labelled)
        event = _EVENT_BEFORE.search(text, 0, match.start())
        if not inside_label and event is None and _plausible_day_month(match[0]):
            yield match.span()


# --- UK postcodes ------------------------------------------------------------------

# Outward code (A9, A99, AA9, AA99, A9A, AA9A) then inward code (9AA); the letters
# follow Royal Mail's rules, which keeps ordinary words and references out.
_POSTCODE = re.compile(r"(?<!\w)[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?\s?(\d[ABD-HJLNP-UW-Z]{2})(?!\w)", re.IGNORECASE)
_ORDINAL_WORD = re.compile(r"\d(?:st|nd|rd|th)")


def _postcodes(text: str) -> Iterator[tuple[int, int]]:
    for match in _POSTCODE.finditer(text):
        if not _ORDINAL_WORD.fullmatch(match[1]):  # "Y7 2nd" is a school year, not a postcode
            yield match.span()


# --- "name:"-like patterns ---------------------------------------------------------

_PERSON = (
    r"child|mother|mum|father|dad|parent|carer|young\s+person|yp|baby|sibling|brother|sister"
    r"|step-?(?:father|mother|dad|mum)|grand(?:mother|father|ma|pa)|pupil|patient"
)
_WORD = r"[A-Za-z][A-Za-z'\u2019-]*"
_CAPITALISED = r"[A-Z][A-Za-z'\u2019-]*"
_NAME_LABEL = rf"(?<!\w)(?i:(?:(?:{_PERSON})(?:'s|\u2019s|s')?\s+)?(?:full\s+|first\s+|sur|last\s+|family\s+)?name)"
# "Name: jane" is a name whatever its case; after "name is" only a capitalised word is.
_NAME_COLON = re.compile(rf"{_NAME_LABEL}\s*[:=]\s*({_WORD}(?:\s+{_CAPITALISED}){{0,3}})")
_NAME_IS = re.compile(rf"{_NAME_LABEL}\s+(?i:is|was)\s+({_CAPITALISED}(?:\s+{_CAPITALISED}){{0,3}})")
_ROLE_LABEL = re.compile(rf"(?<!\w)(?i:{_PERSON})\s*[:=]\s*({_CAPITALISED}(?:\s+{_CAPITALISED}){{0,3}})")
_NAMED = re.compile(rf"(?<!\w)(?i:named)\s+({_CAPITALISED}(?:\s+{_CAPITALISED}){{0,3}})")
_NOT_A_PERSON_BEFORE = re.compile(
    r"(?i:\b(?:my|team|agency|school|service|organisation|organization|practice|unit|staff|worker's|manager's)\s*)$"
)
# First words that follow a label but are not names ("Mother: Not known", "Named Person").
NOT_NAMES = frozenset(
    "not no yes unknown none n na tbc redacted withheld the a an she he they level stage see as on in person".split()
)


def _is_name_value(value: str) -> bool:
    first = value.split()[0].lower() if value.split() else ""
    return first.strip("'\u2019-") not in NOT_NAMES


def _names(text: str) -> Iterator[tuple[int, int]]:
    for pattern in (_NAME_COLON, _NAME_IS, _ROLE_LABEL, _NAMED):
        for match in pattern.finditer(text):
            if pattern in (_NAME_COLON, _NAME_IS) and _NOT_A_PERSON_BEFORE.search(text, 0, match.start()):
                continue  # "my name is", "team name:" — staff and services may be named
            if _is_name_value(match[1]):
                yield match.span()


# Earlier finders win where matches overlap (an email address holds a name, a date can
# sit inside a "Name: … DOB …" line).
_FINDERS: tuple[tuple[str, Finder], ...] = (
    (EMAIL_ADDRESS, _emails),
    (NHS_NUMBER, _nhs_numbers),
    (PHONE_NUMBER, _phone_numbers),
    (DATE_OF_BIRTH, _dates_of_birth),
    (POSTCODE, _postcodes),
    (NAME, _names),
)


def find_identifiers(text: str) -> list[IdentifierFound]:
    """Every personal identifier in `text`, in the order they appear."""
    spans: list[_Span] = []
    for kind, finder in _FINDERS:
        for start, end in finder(text):
            span = _Span(start, end, kind)
            if not any(span.overlaps(kept) for kept in spans):
                spans.append(span)
    spans.sort(key=lambda span: span.start)
    return [IdentifierFound(span.kind, text[span.start : span.end]) for span in spans]


def _join(items: list[str]) -> str:
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def identifiers_message(found: list[IdentifierFound]) -> str | None:
    """One sentence asking the person to remove what was found; None when nothing was."""
    if not found:
        return None
    counts = {kind: sum(1 for item in found if item.kind == kind) for kind in KINDS}
    items = [kind if count == 1 else PLURALS[kind] for kind, count in counts.items() if count]
    return REMOVE_MESSAGE.format(items=_join(items))
