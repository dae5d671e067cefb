"""The shipped policy packs, and the errors a service sees when its own pack is wrong."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from pathlib import Path

import pytest

from adapters.policy_files import PolicyFileError, describe_policy, load_policy, pack_names
from bot.policy import Duty, LimitUnit, Policy, Scope

PACKS = ("coventry", "lancashire", "north-tyneside", "solihull")

GOOD_PACK = """\
# a small pack of a service's own
name: test-pack
title: Test pack
office_hours:
  monday: {opens: "09:00", closes: "17:00"}
  friday: {opens: "09:00", closes: "16:30"}
stages:
  - name: Team Manager
    role: mash_team_manager
    limit: {amount: 5, unit: working_days}
  - name: Senior Manager
    role: mash_senior_manager
    limit: {amount: 5, unit: working_days}
  - name: Head of Service
    role: head_of_service_mash
    limit: {amount: 5, unit: working_days}
levels_of_need: [Level 1, Level 2]
record_location: Recorded by email.
complaint_text: Please use the complaints procedure.
"""


def write_pack(tmp_path: Path, text: str, name: str = "own-pack.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str) -> int:
    """1-based line of the only line holding `fragment`."""
    hits = [n for n, line in enumerate(text.splitlines(), start=1) if fragment in line]
    assert len(hits) == 1, hits
    return hits[0]


def load_error(tmp_path: Path, text: str) -> PolicyFileError:
    path = write_pack(tmp_path, text)
    with pytest.raises(PolicyFileError) as caught:
        load_policy(str(path))
    message = str(caught.value)
    assert path.name in message
    return caught.value


# --- the shipped packs -----------------------------------------------------------------------


def test_every_shipped_pack_is_listed() -> None:
    assert pack_names() == sorted(PACKS)


@pytest.mark.parametrize("name", PACKS)
def test_every_shipped_pack_loads_and_is_named_after_its_file(name: str) -> None:
    policy = load_policy(name)
    assert isinstance(policy, Policy)
    assert policy.name == name
    assert len([s for s in policy.stages if not s.optional]) == 4
    assert policy.calendar().is_working_day(date(2026, 1, 6))


@pytest.mark.parametrize("name", PACKS)
def test_a_pack_loads_the_same_from_its_file_path(name: str) -> None:
    path = Path(__file__).parents[2] / "bot" / "packs" / f"{name}.yaml"
    assert load_policy(str(path)) == load_policy(name)


def test_lancashire_ladder_matches_the_design() -> None:
    policy = load_policy("lancashire")
    names = [stage.name for stage in policy.stages]
    assert names == ["Practice Manager", "Team Manager", "Senior Manager", "Head of Service",
                     "Strategic Head of Service / Director"]
    roles = [stage.role for stage in policy.stages]
    assert roles == ["practice_manager", "mash_team_manager", "mash_senior_manager", "head_of_service_mash",
                     "strategic_head_of_service"]
    counterparts = [stage.counterpart for stage in policy.stages]
    assert counterparts == [
        "locality_team_manager",
        "locality_team_manager",
        "locality_senior_manager",
        "locality_head_of_service",
        None,
    ]
    # Senior Managers "work together"; Heads of Service "work together to make a final decision"
    assert [stage.joint for stage in policy.stages] == [False, False, True, True, False]
    assert [stage.optional for stage in policy.stages] == [False, False, False, False, True]
    assert policy.last_required_stage == 3 and policy.stage_label(4) == "beyond Stage 3, optional"
    assert [stage.scope for stage in policy.stages] == [Scope.AREA, *[Scope.GLOBAL] * 4]
    assert [stage.limit.amount for stage in policy.stages] == [1, 5, 5, 5, 5]
    assert all(stage.limit.unit is LimitUnit.WORKING_DAYS for stage in policy.stages)
    urgent = {(stage.urgent_limit.amount, stage.urgent_limit.unit) for stage in policy.stages}
    assert urgent == {(4, LimitUnit.HOURS)}
    assert [stage.counts_to_cap for stage in policy.stages] == [False, True, True, True, False]


def test_lancashire_caps_stages_one_to_three_at_fifteen_working_days() -> None:
    policy = load_policy("lancashire")
    assert policy.overall_cap is not None
    assert (policy.overall_cap.amount, policy.overall_cap.unit) == (15, LimitUnit.WORKING_DAYS)
    assert policy.cap_starts_at_stage() == 1


def test_lancashire_sends_the_csap_form_at_stage_three_only() -> None:
    policy = load_policy("lancashire")
    assert [Duty.CSAP_FORM in stage.duties for stage in policy.stages] == [False, False, False, True, False]
    assert [Duty.CSAP_SENIOR_NOTICE in stage.duties for stage in policy.stages] == [False] * 4 + [True]
    assert policy.notifications.csap == "csap_mailbox"


def test_lancashire_cancelling_an_assessment_needs_county_and_locality_senior_manager() -> None:
    policy = load_policy("lancashire")
    assert policy.joint_agreement is not None
    assert policy.joint_agreement.outcome == "assessment_cancelled"
    assert policy.joint_agreement.roles == ("mash_county_manager", "locality_senior_manager")
    assert policy.outcomes == ("decision_revised", "decision_upheld", "de_escalated", "assessment_cancelled")


def test_lancashire_office_hours_notices_and_record() -> None:
    policy = load_policy("lancashire")
    weekdays = ("monday", "tuesday", "wednesday", "thursday", "friday")
    assert all(policy.office_hours[d] is not None for d in weekdays)
    assert policy.office_hours["saturday"] is None and policy.office_hours["sunday"] is None
    monday = policy.office_hours["monday"]
    assert monday is not None and (monday.opens, monday.closes) == (time(9), time(17))
    assert (policy.zone, policy.holiday_region) == ("Europe/London", "England")
    assert policy.notifications.breach == ("mash_senior_manager", "head_of_service_mash", "csap_mailbox")
    assert policy.notifications.iro_when_cp_or_looked_after is False
    assert policy.record_location == "Recorded by email, not on the child's record."
    assert policy.raised_by == ("professional",)
    assert policy.retention_days == 730


def test_coventry_closes_at_half_past_four_on_friday_and_five_otherwise() -> None:
    calendar = load_policy("coventry").calendar()
    friday, thursday = date(2026, 1, 9), date(2026, 1, 8)
    assert calendar.local(calendar.closing_of(friday)).time() == time(16, 30)
    assert calendar.local(calendar.closing_of(thursday)).time() == time(17, 0)
    assert calendar.local(calendar.opening_of(friday)).time() == time(8, 30)
    assert not calendar.is_open(datetime(2026, 1, 9, 16, 45, tzinfo=UTC))


def test_coventry_limits_follow_the_rag_rating_and_edt_covers_out_of_hours() -> None:
    policy = load_policy("coventry")
    assert {rag: (limit.amount, limit.unit) for rag, limit in policy.rag_limits.items()} == {
        "Red": (4, LimitUnit.HOURS),
        "Amber": (24, LimitUnit.WORKING_HOURS),
        "Green": (72, LimitUnit.WORKING_HOURS),
        "Blue": (24, LimitUnit.WORKING_HOURS),
    }
    assert len(policy.levels_of_need) == 4
    assert policy.notifications.edt == "edt_mailbox"
    assert policy.notifications.edt_outside_office_hours is True


def test_north_tyneside_is_one_working_day_a_stage_open_to_families() -> None:
    policy = load_policy("north-tyneside")
    assert [stage.role for stage in policy.stages] == [
        "mash_team_manager",
        "front_door_service_manager",
        "mash_senior_manager",
        "assistant_director",
    ]
    assert all((s.limit.amount, s.limit.unit) == (1, LimitUnit.WORKING_DAYS) for s in policy.stages)
    assert all(Duty.NEW_DECISION in s.duties for s in policy.stages)
    assert "new_decision" in policy.outcomes
    assert set(policy.raised_by) == {"professional", "parent", "carer", "network", "child"}
    assert "Liquidlogic" in policy.record_location
    assert policy.joint_agreement is None


def test_solihull_is_five_working_days_a_stage_with_iro_and_lscp_notices() -> None:
    policy = load_policy("solihull")
    assert all((s.limit.amount, s.limit.unit) == (5, LimitUnit.WORKING_DAYS) for s in policy.stages)
    assert policy.notifications.iro == "iro_mailbox"
    assert policy.notifications.iro_when_cp_or_looked_after is True
    assert policy.notifications.lessons_learned == "lscp_business_manager"


@pytest.mark.parametrize("name", PACKS)
def test_every_pack_says_what_it_assumed(name: str) -> None:
    path = Path(__file__).parents[2] / "bot" / "packs" / f"{name}.yaml"
    head = path.read_text(encoding="utf-8").split("\nname:")[0]
    assert "ASSUMED" in head


# --- describe_policy (`mashbot policy show`) -------------------------------------------------


@pytest.mark.parametrize("name", PACKS)
def test_description_lists_every_stage(name: str) -> None:
    policy = load_policy(name)
    text = describe_policy(policy)
    for stage in policy.stages:
        assert stage.name in text
    assert "Office hours" in text and "Retention" in text


def test_lancashire_description_shows_roles_limits_cap_and_hours() -> None:
    text = describe_policy(load_policy("lancashire"))
    assert "MASH/CSSH Practice Manager" in text
    assert "Locality Senior Manager" in text
    assert "5 working days" in text and "4 hours" in text
    assert "CSAP Stage 3 form" in text
    assert "15 working days from the start of stage 1 (Team Manager)" in text
    assert "Saturday   closed" in text
    assert "Friday     09:00-17:00" in text
    assert "730 days" in text


def test_coventry_description_shows_rag_limits_and_friday_hours() -> None:
    text = describe_policy(load_policy("coventry"))
    assert "Red 4 hours, Amber 24 working hours, Green 72 working hours, Blue 24 working hours" in text
    assert "Friday     08:30-16:30" in text
    assert "Emergency Duty Team" in text


# --- a service's own pack --------------------------------------------------------------------


def test_a_good_own_pack_loads_from_its_path(tmp_path: Path) -> None:
    policy = load_policy(str(write_pack(tmp_path, GOOD_PACK)))
    assert policy.name == "test-pack"
    assert policy.office_hours["friday"] is not None


def test_unquoted_times_are_read_as_times_not_base_60_numbers(tmp_path: Path) -> None:
    text = GOOD_PACK.replace('closes: "17:00"', "closes: 17:00")
    policy = load_policy(str(write_pack(tmp_path, text)))
    monday = policy.office_hours["monday"]
    assert monday is not None and monday.closes == time(17, 0)


def test_unknown_role_names_file_line_field_and_role(tmp_path: Path) -> None:
    text = GOOD_PACK.replace("role: mash_senior_manager", "role: foo")
    error = load_error(tmp_path, text)
    assert error.line == line_of(text, "role: foo")
    assert f"line {error.line}:" in str(error)
    assert "stages[1].role" in str(error)
    assert "unknown role 'foo'" in str(error)


def test_negative_limit_names_the_amount(tmp_path: Path) -> None:
    text = GOOD_PACK.replace(
        "role: head_of_service_mash\n    limit: {amount: 5,", "role: head_of_service_mash\n    limit: {amount: -5,"
    )
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'amount: -5')}:" in str(error)
    assert "stages[2].limit.amount" in str(error)
    assert "Input should be greater than 0" in str(error)


def test_missing_stages_is_reported(tmp_path: Path) -> None:
    text = GOOD_PACK.split("stages:")[0] + "levels_of_need: [Level 1]\nrecord_location: x\ncomplaint_text: y\n"
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'name: test-pack')}:" in str(error)
    assert "stages: missing required field 'stages'" in str(error)


def test_impossible_time_names_the_weekday(tmp_path: Path) -> None:
    text = GOOD_PACK.replace('monday: {opens: "09:00"', 'monday: {opens: "25:00"')
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, '25:00')}:" in str(error)
    assert "office_hours.monday.opens" in str(error)
    assert "time" in str(error) and "hour value is outside expected range" in str(error)


def test_closing_before_opening_names_the_weekday(tmp_path: Path) -> None:
    text = GOOD_PACK.replace('friday: {opens: "09:00", closes: "16:30"}', 'friday: {opens: "09:00", closes: "08:00"}')
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'friday:')}:" in str(error)
    assert "office_hours.friday" in str(error)
    assert "closes (08:00) must be after opens (09:00)" in str(error)


def test_yaml_syntax_error_gives_the_line(tmp_path: Path) -> None:
    text = GOOD_PACK.replace("title: Test pack", "title: 'Test pack")
    error = load_error(tmp_path, text)
    assert error.line is not None
    assert f"line {error.line}:" in str(error)
    assert "YAML syntax error" in str(error)
    assert error.line >= line_of(text, "title: 'Test pack")


def test_bad_indentation_is_a_syntax_error_on_its_line(tmp_path: Path) -> None:
    text = GOOD_PACK.replace("    role: mash_team_manager", "   role: mash_team_manager")
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, '   role: mash_team_manager')}:" in str(error)
    assert "YAML syntax error" in str(error)


def test_unknown_field_is_named(tmp_path: Path) -> None:
    text = GOOD_PACK.replace("title: Test pack", "title: Test pack\ncolour: blue")
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'colour')}: colour: unknown field 'colour'" in str(error)


def test_every_problem_is_listed_with_its_own_line(tmp_path: Path) -> None:
    text = GOOD_PACK.replace("role: mash_team_manager", "role: foo").replace("role: head_of_service_mash", "role: bar")
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'role: foo')}: stages[0].role" in str(error)
    assert f"also line {line_of(text, 'role: bar')}: stages[2].role" in str(error)


def test_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(PolicyFileError, match="nowhere.yaml: file not found"):
        load_policy(str(missing))


def test_unknown_pack_name_lists_the_packs() -> None:
    with pytest.raises(PolicyFileError, match="no such policy pack or file; packs: coventry, lancashire"):
        load_policy("atlantis")


def test_empty_file_is_reported(tmp_path: Path) -> None:
    error = load_error(tmp_path, "# nothing here\n")
    assert "the file is empty" in str(error)


def test_a_list_is_not_a_pack(tmp_path: Path) -> None:
    error = load_error(tmp_path, "- name: x\n")
    assert "must be a mapping" in str(error)


def test_unknown_challenger_type_is_named(tmp_path: Path) -> None:
    text = GOOD_PACK + "raised_by: [professional, neighbour]\n"
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'raised_by')}: raised_by: unknown challenger type(s) neighbour" in str(error)


def test_joint_agreement_outcome_must_be_a_listed_outcome(tmp_path: Path) -> None:
    text = GOOD_PACK + "outcomes: [decision_revised, decision_upheld]\njoint_agreement:\n  outcome: assessment_cancelled\n"
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'joint_agreement')}: joint_agreement:" in str(error)
    assert "'assessment_cancelled' is not one of this pack's outcomes" in str(error)


def test_joint_agreement_roles_must_be_known(tmp_path: Path) -> None:
    text = GOOD_PACK + "joint_agreement:\n  roles: [mash_county_manager, county_boss]\n"
    error = load_error(tmp_path, text)
    assert f"line {line_of(text, 'county_boss')}: joint_agreement.roles[1]: unknown role 'county_boss'" in str(error)
