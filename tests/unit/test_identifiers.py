"""Free text is checked for personal identifiers before mashbot keeps it (DESIGN §9)."""

from __future__ import annotations

import random
import re

import pytest

from bot.identifiers import (
    DATE_OF_BIRTH,
    EMAIL_ADDRESS,
    NAME,
    NATIONAL_INSURANCE_NUMBER,
    NHS_NUMBER,
    PHONE_NUMBER,
    POSTCODE,
    IdentifierFound,
    find_identifiers,
    identifiers_message,
    nhs_number_is_valid,
)


def kinds(text: str) -> list[str]:
    return [found.kind for found in find_identifiers(text)]


def with_check_digit(nine: str) -> str | None:
    """The NHS number for nine digits, computed independently of the module (None when 10)."""
    weighted = sum(int(nine[i]) * (10 - i) for i in range(9))
    check = 11 - (weighted % 11)
    if check == 11:
        check = 0
    return None if check == 10 else nine + str(check)


def valid_nhs_numbers(count: int) -> list[str]:
    rng = random.Random(20260105)
    numbers: list[str] = []
    while len(numbers) < count:
        number = with_check_digit(f"{rng.randrange(400_000_000, 800_000_000):09d}")
        if number is not None:
            numbers.append(number)
    return numbers


def wrong_check_digit(number: str) -> str:
    return number[:9] + str((int(number[9]) + 1) % 10)


# --- NHS numbers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "NHS no 943 476 5919 on the referral",
        "943-476-5919",
        "9434765919",
        "nhs:9434765919.",
    ],
)
def test_a_known_valid_nhs_number_is_found_plain_spaced_or_dashed(text: str) -> None:
    assert kinds(text) == [NHS_NUMBER]


@pytest.mark.parametrize("number", valid_nhs_numbers(20))
def test_numbers_with_a_correct_check_digit_are_nhs_numbers(number: str) -> None:
    spaced = f"{number[:3]} {number[3:6]} {number[6:]}"
    assert nhs_number_is_valid(number)
    assert kinds(f"the child's number is {spaced}") == [NHS_NUMBER]


@pytest.mark.parametrize("number", valid_nhs_numbers(20))
def test_a_ten_digit_number_with_a_wrong_check_digit_is_not_an_nhs_number(number: str) -> None:
    # One starting with 7 is still refused, as a mobile number written without its 0.
    wrong = wrong_check_digit(number)
    assert not nhs_number_is_valid(wrong)
    found = kinds(f"reference {wrong} and {wrong[:3]} {wrong[3:6]} {wrong[6:]}")
    assert NHS_NUMBER not in found
    assert found == ([PHONE_NUMBER, PHONE_NUMBER] if wrong.startswith("7") else [])


@pytest.mark.parametrize(
    "text",
    [
        "943 476 5918",  # check digit off by one
        "0000000000",  # a placeholder passes the sum but is no number
        "1111111111",
        "943 4765919",  # separators that do not make 3-3-4
        "19434765919",  # eleven digits
    ],
)
def test_numbers_that_are_not_nhs_numbers(text: str) -> None:
    assert NHS_NUMBER not in kinds(text)


def test_a_check_digit_of_ten_makes_no_valid_nhs_number() -> None:
    nine = next(f"{n:09d}" for n in range(400_000_000, 400_100_000) if with_check_digit(f"{n:09d}") is None)
    assert not any(nhs_number_is_valid(nine + str(digit)) for digit in range(10))


# --- dates of birth -------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "child born 01/02/2015",
        "01/02/2015",
        "dd-mm-yy: 01-02-15",
        "1.2.2015",
        "12 March 2015",
        "12th of March 2015",
        "March 12, 2015",
        "2015-03-12",
        "DOB 01/02/2015",
        "D.O.B: 12/03/2015",
        "d.o.b. 3 May 15",
        "date of birth is 12 March 2015",
        "born on 3rd May 2015",
        "born on the 3rd of May",
        "born in 2015",
        "DOB: twelfth of March",
    ],
)
def test_dates_that_may_be_dates_of_birth_are_found(text: str) -> None:
    assert kinds(text) == [DATE_OF_BIRTH]


@pytest.mark.parametrize(
    "text",
    [
        "meeting on Tuesday at 17:00",
        "strategy meeting held on 12/03/2026",
        "referral received 03/02/2026",
        "meeting on Tuesday 17 March 2026 at 17:00",
        "contact was 1.2.2026",
        "decided on 5 May 2026",
        "call back by 17:00 or 17.30",
        "the CP plan has been in place since 2024",
        "review on 12/03",
        "32/01/2015 is not a date",
        "12/13/2015 is not a date either",
        "see section 4.1.12",
        "a newborn baby",
        "she was born into a large family",
    ],
)
def test_meeting_dates_times_and_years_are_not_dates_of_birth(text: str) -> None:
    assert DATE_OF_BIRTH not in kinds(text)


# --- postcodes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["lives at PR1 2AB", "M1 1AE", "EC1A 1BB", "W1A 0AX", "pr1 2ab", "m1 1ae", "B12 4PP", "PR12AB", "(SW1A 2AA)"],
)
def test_full_postcodes_are_found_in_any_case(text: str) -> None:
    assert kinds(text) == [POSTCODE]


@pytest.mark.parametrize(
    "text",
    [
        "the PR1 area",
        "ABC",
        "LCS123456",
        "LCS 123456",
        "Y7 2nd time",
        "the M6 5am traffic",
        "level 3 and stage 2",
        "S47 enquiry",
    ],
)
def test_outward_codes_words_and_references_are_not_postcodes(text: str) -> None:
    assert POSTCODE not in kinds(text)


# --- phone numbers --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "call 07700 900123",
        "07700900123",
        "07700 900 123",
        "07700-900-123",
        "+44 7700 900123",
        "+447700900123",
        "0044 7700 900123",
        "+44 (0)161 496 0000",
        "0161 496 0000",
        "Tel: 01772 123456",
        "(01772) 123456",
        "020 7946 0000",
        "0300 123 4567",
    ],
)
def test_uk_phone_numbers_are_found(text: str) -> None:
    assert kinds(text) == [PHONE_NUMBER]


@pytest.mark.parametrize(
    "text",
    [
        "1234567",
        "ref 0123456",
        "17:00",
        "07:30 to 09:00",
        "£1,200.50",
        "45% of contacts",
        "07700 900",  # too short for a mobile
        "the year 2026",
    ],
)
def test_short_numbers_times_and_money_are_not_phone_numbers(text: str) -> None:
    assert kinds(text) == []


# --- email addresses ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["jane.smith@example.org", "write to j_smith+mash@mail.example.co.uk today", "<JS@EXAMPLE.COM>"],
)
def test_email_addresses_are_found(text: str) -> None:
    assert kinds(text) == [EMAIL_ADDRESS]


@pytest.mark.parametrize("text", ["email the MASH @ 17:00", "sent by email", "a@b", "user@localhost"])
def test_things_that_are_not_email_addresses(text: str) -> None:
    assert EMAIL_ADDRESS not in kinds(text)


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Name: Jane Smith",
        "name: jane smith",
        "Full name = Jane Smith",
        "Surname: Smith",
        "child's name is Jane",
        "Child\u2019s name is Jane O\u2019Brien",
        "Child: Firstname Surname",
        "Mother: Mary",
        "Father = John Smith",
        "Mum: Sarah Jones, Dad: Tom Jones",
        "a girl named Jane",
    ],
)
def test_name_like_patterns_are_found(text: str) -> None:
    assert set(kinds(text)) == {NAME}


@pytest.mark.parametrize(
    "text",
    [
        "Mother: Not known",
        "Child: level 3",
        "the name was changed",
        "team name: MASH East",
        "my name is Sam Jones",
        "the Named Person service",
        "Name of agency: Police",
        "the child was seen by the GP",
    ],
)
def test_text_about_names_without_a_name_is_not_flagged(text: str) -> None:
    assert NAME not in kinds(text)


# --- false positives across the board ---------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Case LCS123456 was stepped down to level 2 at stage 1.",
        "ref 1234567, meeting on Tuesday at 17:00",
        "75% of the £2,000 budget in 2026",
        "Stage 3 by Friday; level of need 3 or 4",
        "The referral was closed with no further action.",
        "",
    ],
)
def test_ordinary_challenge_text_has_no_identifiers(text: str) -> None:
    assert find_identifiers(text) == []


def test_every_identifier_in_a_text_is_found_in_order() -> None:
    text = "Name: Jane Smith, DOB 01/02/2015, NHS 943 476 5919, PR1 2AB, 07700 900123, js@example.org"
    assert find_identifiers(text) == [
        IdentifierFound(NAME, "Name: Jane Smith"),
        IdentifierFound(DATE_OF_BIRTH, "DOB 01/02/2015"),
        IdentifierFound(NHS_NUMBER, "943 476 5919"),
        IdentifierFound(POSTCODE, "PR1 2AB"),
        IdentifierFound(PHONE_NUMBER, "07700 900123"),
        IdentifierFound(EMAIL_ADDRESS, "js@example.org"),
    ]


# --- the message ------------------------------------------------------------------------


def test_no_identifiers_no_message() -> None:
    assert identifiers_message([]) is None


def test_the_message_says_what_was_found_where_and_how_to_fix_it() -> None:
    found = find_identifiers("PR1 2AB and 943 476 5919")
    assert identifiers_message(found) == (
        "This looks like a postcode: 'PR…' (at word 1) and an NHS number: '94…' (at word 4). "
        "Please remove them — mashbot must not hold personal details; use the case reference instead."
    )


def test_the_message_for_one_national_insurance_number() -> None:
    assert identifiers_message(find_identifiers("Mum's NI number is AB 12 34 56 C.")) == (
        "This looks like a National Insurance number: 'AB…' (at word 5). "
        "Please remove it — mashbot must not hold personal details; use the case reference instead."
    )


def test_a_name_is_shown_by_its_own_first_letters_not_its_label() -> None:
    message = identifiers_message(find_identifiers("Seen today. Mother - Kelly Brown"))
    assert message is not None and "a name: 'Ke…' (at word 5)" in message


def test_the_message_lists_three_findings_then_counts_the_rest() -> None:
    found = find_identifiers("07700 900123, 07700 900124, Name: Jane, DOB 1/2/2015, js@example.org")
    assert [item.kind for item in found] == [PHONE_NUMBER, PHONE_NUMBER, NAME, DATE_OF_BIRTH, EMAIL_ADDRESS]
    assert identifiers_message(found) == (
        "This looks like a phone number: '07…' (at word 1), a phone number: '07…' (at word 3), "
        "a name: 'Ja…' (at word 6) and 2 more identifiers. "
        "Please remove them — mashbot must not hold personal details; use the case reference instead."
    )


@pytest.mark.parametrize(
    "text",
    ["call 07700 900123", "NINO QQ123456C", "lives at 12 Elm Grove Avenue", "tom dot jones at gmail dot com",
     "Mum is Sarah Jones", "NHS no. 943.476.5919", "birthday is 3rd March"],
)
def test_the_message_never_repeats_what_was_found(text: str) -> None:
    found = find_identifiers(text)
    message = identifiers_message(found)
    assert found and message is not None
    words = [word for item in found for word in re.findall(r"\w{4,}", item.text)]
    assert words and not [word for word in words if word in message]


# --- National Insurance numbers, phone numbers without their 0, written-out emails -------


@pytest.mark.parametrize("text", ["AB123456C", "ab 12 34 56 c", "NINO: JT-45-67-89-A", "QQ 12 34 56 D"])
def test_national_insurance_numbers_are_found_spaced_dashed_or_not_in_any_case(text: str) -> None:
    assert kinds(text) == [NATIONAL_INSURANCE_NUMBER]


@pytest.mark.parametrize(
    "text",
    ["BG 12 34 56 A", "GB123456A", "DA123456A", "AB123456", "AB 12 34 56 E", "LCS123456", "CH-7K2M9Q", "LC123456A1"],
)
def test_prefixes_hmrc_never_issues_and_references_are_not_national_insurance_numbers(text: str) -> None:
    assert NATIONAL_INSURANCE_NUMBER not in kinds(text)


def test_a_landline_without_its_0_needs_a_word_saying_it_is_a_phone_number() -> None:
    assert kinds("ring her on 1632 960123") == [PHONE_NUMBER]
    assert kinds("log 1632 960123 refers") == []
    assert kinds("7700 900123") == [PHONE_NUMBER]  # a mobile without its 0 is one anyway


@pytest.mark.parametrize(
    "text",
    ["the school inbox at mash dot east", "meet at the office dot", "Sent by email at 16:05", "mum at home dot"],
)
def test_at_and_dot_in_ordinary_words_are_not_email_addresses(text: str) -> None:
    assert EMAIL_ADDRESS not in kinds(text)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Dates: 12/03/2026 and 13/03/2026", []),
        ("Next review 12 April 2026", []),
        ("child born 01/02/2015", [DATE_OF_BIRTH]),
        ("her date of birth: 3/4/2015", [DATE_OF_BIRTH]),
    ],
)
def test_a_date_is_a_date_of_birth_when_it_says_so_or_says_nothing(text: str, found: list[str]) -> None:
    assert kinds(text) == found


def test_an_nhs_number_after_call_is_a_phone_number_written_without_its_0() -> None:
    assert nhs_number_is_valid("1614960666")
    assert kinds("phone 161 496 0666") == [PHONE_NUMBER]
    assert kinds("NHS 161 496 0666") == [NHS_NUMBER]
