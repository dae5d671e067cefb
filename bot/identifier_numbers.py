"""Identifiers that are numbers or codes: NHS and National Insurance numbers, UK phone
numbers, postcodes and email addresses (plain or written out as "at … dot …").

Each finder yields (start, end, value_start) for every match: the span to refuse and
where the identifying value itself begins, so a refusal can show its first characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Found = Iterator[tuple[int, int, int]]
# How far back a word that changes a match's meaning is looked for (it sits in the same
# clause); looking further would make long answers slow for nothing.
_LOOK_BACK = 80

# --- email addresses ------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9._%+-]+\s?@\s?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}(?!\w)")
# Written out to dodge filters: "tom dot jones at gmail dot com", "jo[at]example.org".
_AT = r"(?:\s*[\[(]\s*at\s*[\])]\s*|\s+at\s+)"
_DOT = r"(?:\s*[\[(]\s*dot\s*[\])]\s*|\s+dot\s+|\.)"
_TLDS = r"(?:com|org|net|uk|co|gov|nhs|ac|sch|edu|info|me|io|biz|eu|ie)"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.%+-])[A-Za-z0-9_%+-]+(?:{_DOT}[A-Za-z0-9_%+-]+)*{_AT}[A-Za-z0-9-]+(?:{_DOT}[A-Za-z0-9-]+)*{_DOT}{_TLDS}(?!\w)",
    re.IGNORECASE,
)


def emails(text: str) -> Found:
    if "@" in text:
        for match in _EMAIL.finditer(text):
            yield match.start(), match.end(), match.start()
    for match in _SPELLED_EMAIL.finditer(text):
        yield match.start(), match.end(), match.start()


# --- NHS numbers ----------------------------------------------------------------------

# 10 digits, plain or 3-3-4 with any mix of space, dot and dash between the groups.
_NHS = re.compile(r"(?<![\w+])(?<!\d[ .-])(\d{3})(?:[ .\-]{1,3}|)(\d{3})(?:[ .\-]{1,3}|)(\d{4})(?![\w-]|\.\d)")
_NHS_SHAPE = re.compile(r"\d{10}|\d{3}[ .\-]{1,3}\d{3}[ .\-]{1,3}\d{4}")


def nhs_number_is_valid(digits: str) -> bool:
    """True when `digits` (10 digits) carries a correct Modulus 11 check digit."""
    if len(digits) != 10 or not digits.isdigit() or len(set(digits)) == 1:
        return False  # a run of one digit is a placeholder, not a number
    total = sum(int(digit) * weight for digit, weight in zip(digits[:9], range(10, 1, -1), strict=True))
    check = (11 - total % 11) % 11
    return check != 10 and check == int(digits[9])


# One number in eleven passes the check by chance: after "call" or "phone" it is a phone
# number written without its 0.
_PHONE_BEFORE = re.compile(r"(?i:\b(?:phone|mobile|mob|tel|telephone|landline|call|ring|text|whatsapp)\b[^.;\n]{0,20})$")


def nhs_numbers(text: str) -> Found:
    for match in _NHS.finditer(text):
        if not _NHS_SHAPE.fullmatch(match[0]) or not nhs_number_is_valid(match[1] + match[2] + match[3]):
            continue
        if "nhs" in text.lower() or not _PHONE_BEFORE.search(text, max(0, match.start() - _LOOK_BACK), match.start()):
            yield match.start(), match.end(), match.start()


# --- National Insurance numbers -------------------------------------------------------

# Two prefix letters (HMRC never issues D, F, I, Q, U or V first, nor D, F, I, O, Q, U or
# V second; QQ is the prefix of its published examples), six digits, a suffix A-D.
_NINO = re.compile(
    r"(?<![\w-])(?!(?:BG|GB|NK|KN|TN|NT|ZZ))(QQ|[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z])"
    r"[ -]?\d{2}[ -]?\d{2}[ -]?\d{2}[ -]?[A-D](?!\w)",
    re.IGNORECASE,
)


def national_insurance_numbers(text: str) -> Found:
    for match in _NINO.finditer(text):
        yield match.start(), match.end(), match.start()


# --- UK phone numbers -----------------------------------------------------------------

# Without its leading 0 a number is a phone number when it is a mobile (7…) or follows a
# word that says so; a bare 10-digit figure may be anything else.
_PHONE_WORDS = re.compile(
    r"(?i:\b(?:phone|mobile|mob|tel|telephone|landline|number|no|call|ring|rang|text|whatsapp|contact)\b[^.;\n\d]{0,20})$"
)
_DIGITS = re.compile(r"\d")
_UK_LEADING = frozenset("12378")


def phone_numbers(text: str) -> Found:
    if len(_DIGITS.findall(text)) < 9:
        return  # fewer digits than any UK number has
    import phonenumbers  # on first use: its metadata is a noticeable part of start-up

    for match in phonenumbers.PhoneNumberMatcher(text, "GB", leniency=phonenumbers.Leniency.POSSIBLE):
        number = match.number
        national = str(number.national_number)
        if number.country_code != 44 or len(national) not in (9, 10) or national[0] not in _UK_LEADING:
            continue
        raw = match.raw_string.lstrip("(")
        with_prefix = raw.startswith(("0", "+"))
        if with_prefix or national[0] == "7" or _PHONE_WORDS.search(text, max(0, match.start - _LOOK_BACK), match.start):
            yield match.start, match.end, match.start


# --- UK postcodes ---------------------------------------------------------------------

# Outward code (A9, A99, AA9, AA99, A9A, AA9A) then inward code (9AA), with no, one or a
# doubled space between; the letters follow Royal Mail's rules, which keeps ordinary
# words and references out.
_POSTCODE = re.compile(r"(?<![\w-])[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]?[ \t]{0,3}(\d[ABD-HJLNP-UW-Z]{2})(?!\w)", re.IGNORECASE)
_ORDINAL_WORD = re.compile(r"[1-9](?:st|nd|rd|th)", re.IGNORECASE)


def postcodes(text: str) -> Found:
    for match in _POSTCODE.finditer(text):
        if not _ORDINAL_WORD.fullmatch(match[1]):  # "Y7 2nd" is a school year, not a postcode
            yield match.start(), match.end(), match.start()
