"""Identifiers about a person written in words: dates of birth, names and street addresses.

A date is a date of birth when it follows a word about birth ("born", "DOB", "birthday")
or stands alone with nothing saying what happened then; a date after an event or a
preposition ("strategy meeting held on …", "seen on …", "by …") is when something
happened. A name is a capitalised word after a word for who someone is ("mum is Sarah",
"the child (Jayden)", "YP Tyler") or before an age ("Ella, aged 7"), unless it is one of
the ordinary words that follow such a word ("Mother: Declined", "Mum is Polish").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from bot.identifier_words import NOT_NAMES, RELATION_STARTS, RELATIONS

Found = Iterator[tuple[int, int, int]]
# How far back a word that changes a match's meaning is looked for (it sits in the same
# clause); looking further would make long answers slow for nothing.
_LOOK_BACK = 80

# --- dates of birth -------------------------------------------------------------------

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

_BIRTH_WORD = (
    r"(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b|\bborn\b|\bbirth\s?days?\b|\bbirth\s+date\b"
    r"|(?<![\w.])b\.(?=\s*\d))"
)
_PARTIAL_DATE = (
    rf"(?:the\s+)?\d{{1,2}}{_ORDINAL}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{2,4}})?"
    rf"|{_MONTH}\s+(?:the\s+)?\d{{1,2}}{_ORDINAL}(?:,?\s+\d{{4}})?|{_MONTH}\s+\d{{4}}"
    r"|\d{1,2}[/.-]\d{1,2}(?:[/.-]\d{2,4})?|\d{4}-\d{2}-\d{2}|\d{4}"
    r"|(?:the\s+)?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth"
    r"|\w+teenth|twentieth|twenty[-\s]\w+|thirtieth|thirty[-\s]first)\s+(?:of\s+)?" + _MONTH
)
_LABELLED_DATE = re.compile(
    rf"{_BIRTH_WORD}(?:\s+(?:is|was|of|falls))?(?:\s+(?:on|in))?\s*[:=–-]{{0,2}}\s*(?P<date>{_PARTIAL_DATE})(?!\w)"
    rf"|(?:\bd\.?\s?o\.?\s?b\b\.?|\bdate\s+of\s+birth\b)\s*[:=-]\s*(?P<value>[^\s,;.][^,;.\n]{{0,30}})",
    re.IGNORECASE,
)
# A date after one of these words (in the same clause) is when something happened.
_EVENT_BEFORE = re.compile(
    r"(?i:\b(?:on|by|from|to|until|till|since|of|dated|at|before|after|between|and|for|w/?c|wc"
    r"|meeting|met|referral|referred|contact|decision|decided|discussion|discussed|strategy"
    r"|conference|visit|visited|call|called|phoned|emailed|received|sent|held|review|reviewed"
    r"|assessment|closed|opened|escalated|due|attended|attendance|seen|icpc|rcpc|taf|cin|hearing"
    r"|court|incident|deadline|started|booked|made|log|letter|notification|initial|core\s+group"
    r"|plo|lado|medical|session|exclusion|placement|raised|agreed|planned|happened|occurred"
    r"|date|dates|day|week|weekend|listed|next|last|previous|latest|earliest)\b"
    r"[^.;!?\n]{0,40})$"
)


def _plausible_day_month(date_text: str) -> bool:
    match = re.match(r"(\d{1,2})[/.-](\d{1,2})[/.-]", date_text)
    if match is None:
        return True  # worded or ISO dates are checked by their shape alone
    return 1 <= int(match[1]) <= 31 and 1 <= int(match[2]) <= 12


def dates_of_birth(text: str) -> Found:
    labelled = []
    for match in _LABELLED_DATE.finditer(text):
        labelled.append(match.span())
        yield match.start(), match.end(), match.start("date") if match["date"] else match.start("value")
    for match in _FULL_DATE.finditer(text):
        inside_label = any(start <= match.start() < end for start, end in labelled)
        event = _EVENT_BEFORE.search(text, max(0, match.start() - _LOOK_BACK), match.start())
        if not inside_label and event is None and _plausible_day_month(match[0]):
            yield match.start(), match.end(), match.start()


# --- names ----------------------------------------------------------------------------

_WORD = r"[A-Za-z][A-Za-z'\u2019-]*"
_CAP = r"[A-Z][A-Za-z'\u2019-]*"
_NAME = rf"{_CAP}(?:\s+{_CAP}){{0,2}}"
_OWNER = rf"(?:(?:{RELATIONS})(?:'s|\u2019s|s')?\s+)"
_NAME_LABEL = rf"(?<!\w)(?i:{_OWNER}?(?:full\s+|first\s+|given\s+|sur|last\s+|family\s+|fore)?name)"
# "Name: jane" is a name whatever its case; after "name is" only a capitalised word is.
_NAME_COLON = re.compile(rf"{_NAME_LABEL}\s*[:=–-]\s*({_WORD}(?:\s+{_CAP}){{0,2}})")
_NAME_IS = re.compile(rf"{_NAME_LABEL}\s+(?i:is\s+|was\s+)?({_NAME})")
_NOT_A_PERSON_BEFORE = re.compile(
    r"(?i:\b(?:my|our|your|team|agency|school|service|organisation|organization|practice|unit|staff"
    r"|worker's|manager's|the|a|its)\s*)$"
)
# "Mum is Sarah", "Mother - Kelly", "YP Tyler", "Child A is Lily", "Mum's boyfriend, Lee,".
_RELATION = (
    rf"(?<![\w'\u2019])(?i:{_OWNER}?(?:{RELATIONS}))(?:\s+[A-Z](?![\w'\u2019]))?"
)
_RELATION_NAME = re.compile(
    rf"{_RELATION}(?:\s*[:=]\s*|\s+[-–]\s+|\s+(?i:is|was|is\s+called|was\s+called|called|named|known\s+as)\s+|\s+)"
    rf"({_NAME})"
)
_RELATION_COMMA = re.compile(rf"{_RELATION},\s+({_NAME})\s*[,)]")
_RELATION_BRACKET = re.compile(rf"{_RELATION}\s*\(\s*({_NAME})\s*[,)]")
# "Mr Khan (father)", "Mrs Patel", "Jessica (13)", "Alfie, 9, …", "Ella, aged 7".
_TITLE = re.compile(r"(?<!\w)(?:Mr|Mrs|Ms|Miss|Mx)\.?\s+([A-Z][A-Za-z'\u2019-]+)")
_AGED = re.compile(rf"(?<![\w'\u2019])({_NAME})(?:,\s*(?:aged\s+)?\d{{1,2}}\s*(?:,|\b(?:years?|yrs?)\b)|\s*\(\s*(?:aged\s+)?\d{{1,2}}\s*\))")
_NAMED = re.compile(rf"(?<!\w)(?i:named|called)\s+({_NAME})")
_RELATION_WORD = re.compile(rf"(?i:{RELATIONS})")


# Endings of English words that are almost never given names ("Dad is Unemployed").
_WORD_ENDING = re.compile(
    r"(?i:\w{3,}(?:ed|ing)|\w+(?:ful|less|ous|ive|able|ible|ment|ness|tion|sion|ism|ised|ized|ated)"
    r"|\w+(?:ively|ently|ously|fully|ately|ically|lessly)|un\w{5,}"
    r"|(?:non|self|co|well|pre|post|under|over|semi|part|full)-\w+)"
)


def _is_name(value: str) -> bool:
    first = value.split()[0].strip("'\u2019-")
    lower = first.lower()
    return (len(first) > 1 and lower not in NOT_NAMES and not _RELATION_WORD.fullmatch(first)
            and not _WORD_ENDING.fullmatch(first))


_WORD_AT_START = re.compile(r"(?<![\w'\u2019])[A-Za-z]+")
_RELATION_PATTERNS = (_RELATION_NAME, _RELATION_COMMA, _RELATION_BRACKET)


def _relation_matches(text: str) -> Iterator[re.Match[str]]:
    """The relation patterns, tried only at words that can start a relation (fast)."""
    for word in _WORD_AT_START.finditer(text):
        if word[0].lower().startswith(RELATION_STARTS):
            for pattern in _RELATION_PATTERNS:
                if match := pattern.match(text, word.start()):
                    yield match


def names(text: str) -> Found:
    lower = text.lower()
    if "name" in lower:
        for pattern in (_NAME_COLON, _NAME_IS):
            for match in pattern.finditer(text):
                before = max(0, match.start() - _LOOK_BACK)
                if pattern is _NAME_IS and _NOT_A_PERSON_BEFORE.search(text, before, match.start()):
                    continue  # "my name is", "the name was": staff and services may be named
                if _is_name(match[1]):
                    yield match.start(), match.end(), match.start(1)
    others = (_TITLE.finditer(text), _AGED.finditer(text), _NAMED.finditer(text) if "named" in lower or "called" in lower else ())
    for match in (*_relation_matches(text), *(m for found in others for m in found)):
        if _is_name(match[1]):
            yield match.start(), match.end(), match.start(1)


# --- street addresses -----------------------------------------------------------------

_STREET = (
    r"street|st|road|rd|avenue|ave|lane|ln|close|drive|dr|way|crescent|cres|court|ct|terrace|gardens"
    r"|grove|place|parade|row|walk|square|sq|mews|hill|view|rise|green|park|vale|croft|fold|brow"
)
_ADDRESS = re.compile(
    rf"(?<![\w/.£$-])\d{{1,4}}[A-Za-z]?,?\s+(?:(?i:the)\s+(?:{_CAP}\s+){{0,3}}|(?:{_CAP}\s+){{1,3}})(?i:{_STREET})\b",
)
_ADDRESS_LOWER = re.compile(
    rf"(?i:\b(?:lives|living|live|lived|staying|stays|resides|residing|moved|address(?:\s+is)?)\s+(?:at|to|in|is|:)?\s*"
    rf"(?:flat\s+\d+,?\s+)?)(\d{{1,4}}[a-z]?,?\s+(?:[a-z'\u2019]+\s+){{1,3}}(?:{_STREET}))\b",
    re.IGNORECASE,
)


def addresses(text: str) -> Found:
    for match in _ADDRESS.finditer(text):
        yield match.start(), match.end(), match.start()
    for match in _ADDRESS_LOWER.finditer(text):
        yield match.start(1), match.end(1), match.start(1)
