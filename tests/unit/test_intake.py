"""The /challenge intake: one form for every channel, and what it accepts."""

from __future__ import annotations

from collections.abc import Mapping

import pytest

from dialogs.intake import (
    TOGGLE_ON,
    FieldKind,
    IntakeAnswers,
    IntakeResult,
    intake_form,
    validate_intake,
)

LEVELS = ("Level 1", "Level 2", "Level 3", "Level 4")
PATTERN = r"[A-Z]{0,4}[0-9]{4,12}"
HINT = "A case reference looks like LCS123456"
IDENTIFIER_MESSAGE_START = "This looks like "

FIELD_IDS = (
    "case_reference",
    "area",
    "raised_by",
    "agency",
    "decision_challenged",
    "requested_outcome",
    "reason_category",
    "reason_text",
    "urgent",
    "urgent_reason",
    "protective_action",
    "cp_or_looked_after",
)
FREE_TEXT_FIELDS = ("agency", "requested_outcome", "reason_text", "urgent_reason", "protective_action")

GOOD: dict[str, str | bool | None] = {
    "case_reference": " lcs123456 ",
    "area": "East",
    "raised_by": "professional",
    "agency": "Police — Public Protection Unit",
    "decision_challenged": "Level 2",
    "requested_outcome": "Step up to level 3 for a Child and Family assessment",
    "reason_category": "level_of_need",
    "reason_text": "Two incidents in a month were not weighed together.",
    "urgent": False,
    "urgent_reason": None,
    "cp_or_looked_after": "",
}


def validate(changes: Mapping[str, str | bool | None] | None = None, **more: str | bool | None) -> IntakeResult:
    values = {**GOOD, **(changes or {}), **more}
    return validate_intake(values, case_reference_pattern=PATTERN, case_reference_hint=HINT, levels_of_need=LEVELS)


def error_for(field_id: str, value: str | bool | None, **more: str | bool | None) -> str:
    result = validate({**more, field_id: value})
    assert result.answers is None
    assert set(result.errors) == {field_id}, result.errors
    return result.errors[field_id]


# --- the form ---------------------------------------------------------------------------


def test_the_form_has_every_field_once_in_order() -> None:
    form = intake_form(levels_of_need=LEVELS)
    ids = [field.id for field in form.fields]
    assert ids == list(FIELD_IDS)
    assert len(set(ids)) == len(ids)


def test_the_form_offers_the_policy_levels_of_need_and_another_outcome() -> None:
    field = intake_form(levels_of_need=LEVELS).field("decision_challenged")
    assert field.kind is FieldKind.CHOICE
    assert [choice.label for choice in field.choices] == [*LEVELS, "Other outcome"]


def test_the_form_offers_the_areas_with_a_default() -> None:
    field = intake_form(levels_of_need=LEVELS, default_area="North").field("area")
    assert [choice.value for choice in field.choices] == ["East", "Central", "North", "CSSH"]
    assert field.default == "North"


def test_a_default_area_outside_the_areas_is_a_mistake() -> None:
    with pytest.raises(ValueError, match="Nowhere"):
        intake_form(levels_of_need=LEVELS, default_area="Nowhere")


def test_the_form_offers_a_complaint_as_a_reason_and_says_so() -> None:
    field = intake_form(levels_of_need=LEVELS).field("reason_category")
    values = [choice.value for choice in field.choices]
    assert values == ["level_of_need", "information_sharing", "outcome", "risk", "other", "complaint"]
    assert "this is a complaint" in field.choices[-1].label


def test_the_urgent_reason_shows_only_when_urgent() -> None:
    form = intake_form(levels_of_need=LEVELS)
    assert form.field("urgent").kind is FieldKind.TOGGLE
    assert form.field("urgent_reason").shown_when == ("urgent", TOGGLE_ON)
    assert not form.field("urgent_reason").required


def test_the_form_limits_free_text() -> None:
    form = intake_form(levels_of_need=LEVELS)
    assert form.field("reason_text").kind is FieldKind.LONG_TEXT
    assert form.field("reason_text").max_length == 1000
    assert form.field("agency").max_length == 100
    assert form.field("requested_outcome").max_length == 300


def test_the_case_reference_help_gives_the_hint_and_forbids_names() -> None:
    help_text = intake_form(levels_of_need=LEVELS, case_reference_hint=HINT).field("case_reference").help
    assert HINT in help_text
    assert "never the child's name" in help_text


# --- a good submission -------------------------------------------------------------------


def test_a_good_submission_validates() -> None:
    result = validate()
    assert result.errors == {}
    assert result.answers == IntakeAnswers(
        case_reference="LCS123456",
        area="East",
        raised_by="professional",
        agency="Police — Public Protection Unit",
        decision_challenged="Level 2",
        requested_outcome="Step up to level 3 for a Child and Family assessment",
        reason_category="level_of_need",
        reason_text="Two incidents in a month were not weighed together.",
        urgent=False,
        urgent_reason=None,
        cp_or_looked_after=False,
        is_complaint=False,
    )


def test_an_urgent_challenge_keeps_its_reason() -> None:
    result = validate(urgent="on", urgent_reason="Immediate risk of harm tonight.", cp_or_looked_after="yes",
                      protective_action="Police visit arranged.")
    assert result.answers is not None
    assert result.answers.urgent and result.answers.cp_or_looked_after
    assert result.answers.urgent_reason == "Immediate risk of harm tonight."


def test_a_reason_for_urgency_is_dropped_when_not_urgent() -> None:
    result = validate(urgent=False, urgent_reason="left over from an earlier tick")
    assert result.answers is not None and result.answers.urgent_reason is None


def test_other_outcome_can_be_challenged() -> None:
    result = validate(decision_challenged="other")
    assert result.answers is not None and result.answers.decision_challenged == "other"


@pytest.mark.parametrize("raised_by", ["professional", "parent", "carer", "network", "child"])
def test_anyone_the_policies_allow_may_raise(raised_by: str) -> None:
    result = validate(raised_by=raised_by)
    assert result.answers is not None and result.answers.raised_by == raised_by


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        ("true", True),
        ("on", True),
        ("yes", True),
        ("1", True),
        (False, False),
        ("false", False),
        ("", False),
        (None, False),
    ],
)
def test_toggles_accept_what_each_channel_sends(value: str | bool | None, expected: bool) -> None:
    result = validate(cp_or_looked_after=value)
    assert result.answers is not None and result.answers.cp_or_looked_after is expected


def test_a_toggle_that_is_neither_yes_nor_no_is_refused() -> None:
    assert error_for("cp_or_looked_after", "maybe") == "Answer yes or no."


# --- the case reference ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["", "   ", None])
def test_a_case_reference_is_required(value: str | None) -> None:
    message = error_for("case_reference", value)
    assert "Enter the case reference" in message and HINT in message


@pytest.mark.parametrize("value", ["LCS-12", "12", "LCS12345678901234", "lcs 123456", "ABCDE123456"])
def test_a_case_reference_must_match_the_pattern(value: str) -> None:
    message = error_for("case_reference", value)
    assert "not a case reference" in message and HINT in message


@pytest.mark.parametrize("value", ["Jane Smith", "jane smith", "Mary-Jane O'Brien"])
def test_a_name_is_refused_as_a_case_reference(value: str) -> None:
    message = error_for("case_reference", value)
    assert "looks like a name" in message and HINT in message


def test_an_nhs_number_is_refused_as_a_case_reference() -> None:
    message = error_for("case_reference", "9434765919")
    assert "NHS number" in message and HINT in message


# --- every other bad input ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("field_id", "value", "expected"),
    [
        ("area", "West", "Choose the area: East, Central, North or CSSH."),
        ("area", "", "Choose the area: East, Central, North or CSSH."),
        ("raised_by", "neighbour", "Choose who is raising the challenge."),
        ("raised_by", None, "Choose who is raising the challenge."),
        ("decision_challenged", "Level 9", "Choose the decision you are challenging."),
        ("reason_category", "unhappy", "Choose the reason for the challenge."),
        ("reason_category", None, "Choose the reason for the challenge."),
        ("agency", " ", "Enter your agency and team."),
        ("requested_outcome", "", "Say what outcome you are asking for."),
        ("reason_text", None, "Say briefly why you disagree."),
    ],
)
def test_each_bad_answer_gives_its_field_an_error(field_id: str, value: str | None, expected: str) -> None:
    assert error_for(field_id, value) == expected


@pytest.mark.parametrize(("field_id", "limit"), [("agency", 100), ("requested_outcome", 300), ("reason_text", 1000)])
def test_free_text_over_its_limit_is_refused(field_id: str, limit: int) -> None:
    assert error_for(field_id, "x" * (limit + 1)) == f"Keep this to {limit} characters — it has {limit + 1}."
    assert validate({field_id: "x" * limit}).answers is not None


def test_urgent_without_a_reason_is_refused() -> None:
    message = error_for("urgent_reason", "  ", urgent=True, protective_action="Police visit arranged.")
    assert message == "Say why this is urgent: what is the immediate risk?"


def test_urgent_asks_for_the_immediate_protective_action_taken() -> None:
    form = intake_form(levels_of_need=LEVELS)
    assert form.field("protective_action").shown_when == ("urgent", TOGGLE_ON)
    message = error_for("protective_action", " ", urgent=True, urgent_reason="Immediate risk tonight.")
    assert message == "Say what immediate protective action has been taken whilst the dispute is ongoing."
    result = validate(urgent=True, urgent_reason="Immediate risk tonight.", protective_action=" Police visit arranged. ")
    assert result.answers is not None and result.answers.protective_action == "Police visit arranged."
    assert validate(protective_action="left over").answers.protective_action is None  # type: ignore[union-attr]


def test_every_error_is_reported_at_once() -> None:
    result = validate(case_reference="", area="West", reason_text="", urgent="yes")
    assert result.answers is None
    assert set(result.errors) == {"case_reference", "area", "reason_text", "urgent_reason", "protective_action"}


# --- identifiers are refused in free text --------------------------------------------------


@pytest.mark.parametrize("field_id", FREE_TEXT_FIELDS)
@pytest.mark.parametrize(
    ("identifier", "found"),
    [
        ("NHS 943 476 5919", "an NHS number: '94…' (at word 3)"),
        ("NI number QQ 12 34 56 C", "a National Insurance number: 'QQ…' (at word 4)"),
        ("DOB 01/02/2015", "a date of birth: '01…' (at word 3)"),
        ("lives at PR1 2AB", "a postcode: 'PR…' (at word 4)"),
        ("lives at 12 Elm Grove Avenue", "a street address: '12…' (at word 4)"),
        ("call 7700 900123", "a phone number: '77…' (at word 3)"),
        ("jo at example dot org", "an email address: 'jo…' (at word 2)"),
        ("Child: Jane Smith", "a name: 'Ja…' (at word 3)"),
    ],
)
def test_identifiers_are_refused_in_every_free_text_field(field_id: str, identifier: str, found: str) -> None:
    message = error_for(field_id, f"see {identifier}", urgent=True, urgent_reason="Immediate risk tonight.",
                        protective_action="Police asked to visit tonight.")
    assert message.startswith(f"{IDENTIFIER_MESSAGE_START}{found}. Please remove it")
    assert "use the case reference instead" in message


def test_the_identifier_message_says_what_to_remove() -> None:
    message = error_for("reason_text", "Mother: Mary, PR1 2AB")
    assert message == (
        "This looks like a name: 'Ma…' (at word 2) and a postcode: 'PR…' (at word 3). "
        "Please remove them — mashbot must not hold personal details; use the case reference instead."
    )


@pytest.mark.parametrize("field_id", FREE_TEXT_FIELDS)
def test_event_dates_and_labels_without_names_are_kept(field_id: str) -> None:
    text = "Strategy meeting held on 12/03/2026. Child: CP plan in place. Parent: both parents agree."
    result = validate({"urgent": True, "urgent_reason": "Immediate risk tonight.",
                       "protective_action": "Police asked to visit tonight.", field_id: text})
    assert result.answers is not None, result.errors
    assert getattr(result.answers, field_id) == text


# --- a complaint is not a challenge ---------------------------------------------------------


def test_a_complaint_needs_only_the_reference_and_area() -> None:
    result = validate_intake(
        {"case_reference": "LCS123456", "area": "North", "reason_category": "complaint"},
        case_reference_pattern=PATTERN,
        case_reference_hint=HINT,
        levels_of_need=LEVELS,
    )
    assert result.errors == {}
    assert result.answers is not None
    assert result.answers.is_complaint
    assert (result.answers.case_reference, result.answers.area) == ("LCS123456", "North")


def test_a_complaint_keeps_none_of_the_free_text() -> None:
    result = validate(reason_category="complaint", reason_text="Name: Jane Smith was rude", urgent=True)
    assert result.errors == {}
    assert result.answers is not None
    assert result.answers.reason_text == "" and result.answers.agency == "" and result.answers.requested_outcome == ""
    assert not result.answers.urgent and result.answers.urgent_reason is None


@pytest.mark.parametrize(("field_id", "value"), [("case_reference", ""), ("area", "West")])
def test_a_complaint_still_needs_a_reference_and_area(field_id: str, value: str) -> None:
    result = validate_intake(
        {"case_reference": "LCS123456", "area": "North", "reason_category": "complaint", field_id: value},
        case_reference_pattern=PATTERN,
        case_reference_hint=HINT,
        levels_of_need=LEVELS,
    )
    assert result.answers is None
    assert set(result.errors) == {field_id}


def test_coventry_intake_asks_for_the_rag_rating_and_the_command_carries_it() -> None:
    from bot.commands import RaiseChallenge, RedirectComplaint
    from dialogs.intake import form_for_policy, to_command, validate_for_policy
    from tests.ladder_harness import pack

    coventry = pack("coventry")
    assert form_for_policy(coventry).field("rag").choices[0].value == "Red"
    assert not form_for_policy(pack("lancashire")).has("rag")
    values = {"case_reference": "LCS123456", "area": "Coventry", "raised_by": "professional", "agency": "School",
              "decision_challenged": coventry.levels_of_need[0], "requested_outcome": "Assessment",
              "reason_category": "risk", "reason_text": "Risk not weighed", "urgent": "", "cp_or_looked_after": ""}
    assert "rag" in validate_for_policy(values, coventry).errors
    result = validate_for_policy(values | {"rag": "Amber"}, coventry)
    assert result.answers is not None
    command = to_command(result.answers, "tara.nolan")
    assert isinstance(command, RaiseChallenge) and command.rag == "Amber"
    complaint = validate_for_policy({"case_reference": "LCS123456", "area": "East",
                                     "reason_category": "complaint"}, pack("lancashire"))
    assert complaint.answers is not None
    assert isinstance(to_command(complaint.answers, "tara.nolan"), RedirectComplaint)


def test_a_policy_open_only_to_professionals_does_not_ask_who_raises_it() -> None:
    from dialogs.intake import form_for_policy, validate_for_policy
    from tests.ladder_harness import pack

    lancashire = form_for_policy(pack("lancashire"))
    assert not lancashire.has("raised_by")  # a one-option select is no choice: not shown
    assert dict(lancashire.fixed) == {"raised_by": "professional"}
    answers = {"case_reference": "LCS123456", "area": "East", "agency": "Police", "requested_outcome": "A visit",
               "decision_challenged": lancashire.field("decision_challenged").choices[0].value,
               "reason_category": "level_of_need", "reason_text": "Risk not weighed."}
    result = validate_for_policy(answers, pack("lancashire"))
    assert result.errors == {} and result.answers is not None and result.answers.raised_by == "professional"
    assert len(form_for_policy(pack("north-tyneside")).field("raised_by").choices) == 5


def test_the_reference_hint_reads_as_two_sentences() -> None:
    from dialogs.intake import form_for_policy
    from tests.ladder_harness import pack

    hint = form_for_policy(pack("lancashire")).field("case_reference").help
    assert "e.g. LCS123456. Use the reference only" in hint


def test_a_refused_form_does_not_echo_a_personal_detail_back() -> None:
    from dialogs.intake import refill

    values = {"case_reference": "Jane Smith", "reason_text": "Call 07700 900123", "agency": "Police x" * 30,
              "area": "East"}
    errors = {"case_reference": "looks like a name", "reason_text": "phone number", "agency": "too long"}
    kept = refill(values, errors)
    assert "case_reference" not in kept and "reason_text" not in kept
    assert kept["agency"] == values["agency"] and kept["area"] == "East"  # nothing personal: kept to fix
