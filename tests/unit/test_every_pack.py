"""What every pack does alike: notices name the case, packs say where they come from."""

from __future__ import annotations

from datetime import date

import pytest

from adapters.cli import main
from adapters.policy_files import describe_policy, load_policy, pack_names
from bot import views
from bot.errors import InvalidCommand
from bot.commands import Accept, Escalate, SendStage3Form, SetCpOrLookedAfter, TellCsapNonInvolvement
from bot.texts import render
from tests.ladder_harness import Ladder, local

MON = local("2027-01-04 10:00")


def bodies(lad: Ladder, kind: str) -> list[str]:
    return [render(m.kind, m.data)[1] for m in lad.store.sent(kind)]


async def test_iro_notices_carry_the_case_reference_the_challenger_gave() -> None:
    lad = Ladder("solihull")
    await lad.raise_(MON, cp_or_looked_after=True, case_reference="lcs778899")
    other = await lad.raise_(MON, case_reference="LCS445566")
    await lad.act(SetCpOrLookedAfter, other.reference, "practitioner", MON, value=True)
    assert [("LCS778899" in b, "LCS445566" in b) for b in bodies(lad, "iro_notice")] == [(True, False), (False, True)]


async def test_the_out_of_hours_edt_notice_carries_the_case_reference() -> None:
    lad = Ladder("coventry")
    await lad.raise_(local("2027-01-08 20:00"), rag="Red", urgent=True, urgent_reason="Immediate risk",
                     case_reference="LCS123999")
    [body] = bodies(lad, "edt_notice")
    assert "case reference LCS123999" in body


async def test_csap_notices_and_forms_carry_the_case_reference() -> None:
    lad = Ladder()
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Life-threatening", case_reference="LCS246810")
    await lad.act(TellCsapNonInvolvement, ch.reference, "pm-east-1", MON, detail="Agency declines involvement")
    assert "Case reference: LCS246810." in bodies(lad, "csap_non_involvement")[0]
    for stage_reviewer in ("pm-east-1", "team-manager", "senior-manager"):
        await lad.act(Accept, ch.reference, stage_reviewer, MON)
        await lad.act(Escalate, ch.reference, stage_reviewer, MON, reason="Needs the next level")
    assert lad.get(ch.reference).stage == 3
    assert "case reference LCS246810" in bodies(lad, "csap_form")[0]
    await lad.act(SendStage3Form, ch.reference, "practitioner", MON, family=(("parents", "Two parents"),))
    assert "case reference LCS246810" in bodies(lad, "stage3_form")[0]


# -- where each pack comes from, and whether its source is still in date --------------------

@pytest.mark.parametrize("name", pack_names())
def test_every_shipped_pack_names_its_source_document_version_and_dates(name: str) -> None:
    policy = load_policy(name)
    assert policy.source is not None and policy.source.documents and policy.source.version
    assert policy.source.approved is not None
    text = describe_policy(policy, date(2026, 12, 2))
    assert "Source:" in text and "Version:" in text and "Approved:" in text and "Review by:" in text


def test_north_tyneside_warns_that_its_review_date_passed_and_it_expired() -> None:
    policy = load_policy("north-tyneside")
    assert policy.review_warnings(date(2021, 12, 31)) == []  # in date on its review day
    warnings = policy.review_warnings(date(2022, 1, 1))
    assert len(warnings) == 1 and "review date 31 December 2021 has passed" in warnings[0]
    later = describe_policy(policy, date(2026, 12, 2))
    assert "WARNING: the source document expired on 31 March 2022" in later
    assert "Version:          1.0" in later and "Approved:         31 December 2019" in later


def test_a_pack_without_a_source_or_review_date_is_flagged() -> None:
    policy = load_policy("lancashire")
    assert policy.review_warnings(date(2026, 12, 2)) == [
        "the source document gives no review date; ask its owner whether it is current"]
    bare = policy.model_copy(update={"source": None})
    assert "does not say which document" in bare.review_warnings(date(2026, 12, 2))[0]


def test_policy_check_and_show_warn_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["policy", "check", "north-tyneside"]) == 0  # a warning, not a failure
    out = capsys.readouterr().out
    assert "Policy north-tyneside is valid" in out and "WARNING: the source document's review date 31 December 2021" in out
    assert main(["policy", "show", "solihull"]) == 0
    assert "WARNING: the source document's review date 01 October 2017 has passed" in capsys.readouterr().out


# -- urgent challenges record the immediate protective action ----------------------------------

@pytest.mark.parametrize("name", pack_names())
async def test_an_urgent_raise_needs_the_immediate_protective_action_and_the_reviewer_sees_it(name: str) -> None:
    lad = Ladder(name)
    extra = {"rag": "Red"} if lad.policy.rag_limits else {}
    with pytest.raises(InvalidCommand, match="whilst the dispute is ongoing"):
        await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk tonight", protective_action="  ", **extra)
    with pytest.raises(InvalidCommand, match="postcode"):
        await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk tonight",
                         protective_action="Police sent to PR1 2AB", **extra)
    assert lad.store.challenges == {}
    ch = await lad.raise_(MON, urgent=True, urgent_reason="Immediate risk tonight",
                          protective_action="Strategy discussion requested", **extra)
    assert ch.protective_action == "Strategy discussion requested"
    assert lad.store.events[0].detail["protective_action_recorded"] is True
    card = views.card_for(ch, lad.store.roster, ch.reviewers[0], MON)
    assert ("Protective action taken", "Strategy discussion requested") in [(f.label, f.value) for f in card.facts]


# -- areas are pack data ---------------------------------------------------------------------

@pytest.mark.parametrize(("name", "areas"), [
    ("lancashire", ("East", "Central", "North", "CSSH")), ("coventry", ("Coventry",)),
    ("north-tyneside", ("North Tyneside",)), ("solihull", ("Solihull",))])
async def test_each_pack_has_its_own_areas_for_the_intake_the_raise_and_the_roster_check(
        name: str, areas: tuple[str, ...]) -> None:
    from adapters.roster_files import check_roster, demo_roster_path, load_roster_file
    from dialogs.intake import form_for_policy, validate_for_policy

    policy = load_policy(name)
    assert policy.areas == areas
    form = form_for_policy(policy, default_area="East")
    if len(areas) > 1:  # Lancashire asks, with the person's own area preselected
        assert [c.value for c in form.field("area").choices] == list(areas)
        assert form.field("area").default == "East"
    else:  # a one-area pack does not ask: its only area is the answer
        assert not form.has("area") and ("area", areas[0]) in form.fixed
    lad = Ladder(name)
    extra = {"rag": "Amber"} if policy.rag_limits else {}
    wrong = "Central" if name != "lancashire" else "Coventry"
    with pytest.raises(InvalidCommand, match=f"Area must be one of {', '.join(areas)}"):
        await lad.raise_(MON, area=wrong, **extra)
    assert (await lad.raise_(MON, area=areas[-1], **extra)).area == areas[-1]
    if len(areas) > 1:
        assert "area" in validate_for_policy({"area": wrong}, policy).errors
    assert check_roster(load_roster_file(demo_roster_path()), policy) == []
    assert f"Areas:            {', '.join(areas)}" in describe_policy(policy)


def test_a_pack_with_an_unknown_area_is_refused() -> None:
    from bot.policy import Policy

    data = load_policy("coventry").model_dump(mode="json") | {"areas": ["Westshire"]}
    with pytest.raises(ValueError, match="unknown area"):
        Policy.model_validate(data)


# -- North Tyneside: the record made on Liquidlogic, and where its stage values come from -----

async def test_north_tyneside_asks_which_record_was_made_and_audits_it() -> None:
    from bot import buttons
    from bot.challenge import Outcome
    from bot.commands import Accept, RecordOutcome

    lad = Ladder("north-tyneside")
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "team-manager", MON)
    record = next(a for a in buttons.reviewer_actions(lad.get(ch.reference), lad.store.roster, "team-manager", MON)
                  if a.verb is buttons.Verb.RECORD_OUTCOME)
    field = next(i for i in record.inputs if i.id == "record_made")
    assert field.required and [c.value for c in field.choices] == ["Contact Record", "Case Note"]
    for wrong in (None, "Sticky note"):
        with pytest.raises(InvalidCommand, match="Contact Record or Case Note"):
            await lad.act(RecordOutcome, ch.reference, "team-manager", MON, outcome=Outcome.NEW_DECISION,
                          rationale="New information", record_made=wrong)
    assert lad.get(ch.reference).outcome is None
    await lad.act(RecordOutcome, ch.reference, "team-manager", MON, outcome=Outcome.NEW_DECISION,
                  rationale="New information", record_made="Case Note")
    assert lad.get(ch.reference).outcome.record_made == "Case Note"  # type: ignore[union-attr]
    assert lad.store.events[-1].detail["record_made"] == "Case Note"
    subject, body = render("outcome_record", lad.store.sent("outcome_record")[0].data)
    assert "not on the child's record" not in subject
    assert "Recorded on Liquidlogic" in body and "Recorded as: Case Note." in body


async def test_lancashire_does_not_ask_for_a_record_and_says_it_is_by_email() -> None:
    from bot.challenge import Outcome
    from bot.commands import Accept, RecordOutcome

    lad = Ladder()
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "pm-east-1", MON)
    await lad.act(RecordOutcome, ch.reference, "pm-east-1", MON, outcome=Outcome.DECISION_UPHELD, rationale="r",
                  record_made="Case Note")
    assert lad.get(ch.reference).outcome.record_made is None  # type: ignore[union-attr]
    body = render("outcome_record", lad.store.sent("outcome_record")[0].data)[1]
    assert body.endswith("Recorded by email, not on the child's record.")


def test_north_tyneside_policy_show_says_its_stage_values_come_from_the_first_contact_decision() -> None:
    text = describe_policy(load_policy("north-tyneside"))
    assert "Record made:      asked at the outcome: Contact Record or Case Note" in text
    assert "Note:             The stage names and the \"one working day\" per stage are ASSUMED" in text
    assert "first-contact decision" in text
    assert "Decision only:    parent, carer, network, child are told only that a decision was made" in text


async def test_a_non_professional_challenger_is_told_only_that_a_decision_was_made() -> None:
    from bot.challenge import ChallengerType, Outcome
    from bot.commands import Accept, AcceptOutcome, RecordOutcome

    lad = Ladder("north-tyneside")
    ch = await lad.raise_(MON, raised_by=ChallengerType.PARENT)
    await lad.act(Accept, ch.reference, "team-manager", MON)
    await lad.act(RecordOutcome, ch.reference, "team-manager", MON, outcome=Outcome.NEW_DECISION,
                  rationale="SECRET-RATIONALE early help offered", record_made="Case Note")
    to_challenger = lad.store.sent(to="practitioner")
    assert [m.kind for m in to_challenger][-2:] == ["decision_made", "decision_made_record"]
    for message in to_challenger:
        words = " ".join(render(message.kind, message.data))
        assert "SECRET-RATIONALE" not in words and "New decision made" not in words, message.kind
    assert "A decision has been made" in render("decision_made", to_challenger[-2].data)[1]
    # the reviewer's own copy keeps the rationale
    reviewer_copy = lad.store.sent("outcome_record", to="team-manager")[0]
    assert "SECRET-RATIONALE" in render(reviewer_copy.kind, reviewer_copy.data)[1]
    card = views.card_for(lad.get(ch.reference), lad.store.roster, "practitioner", MON)
    assert card.outcome is not None and "SECRET-RATIONALE" not in card.outcome and "decision has been made" in card.outcome
    await lad.act(AcceptOutcome, ch.reference, "practitioner", MON)
    closed = lad.store.sent(to="practitioner")[-1]
    assert closed.kind == "closed_decision_only" and "New decision" not in render(closed.kind, closed.data)[1]


async def test_a_professional_challenger_in_north_tyneside_still_hears_the_outcome() -> None:
    from bot.challenge import Outcome
    from bot.commands import Accept, RecordOutcome

    lad = Ladder("north-tyneside")
    ch = await lad.raise_(MON)
    await lad.act(Accept, ch.reference, "team-manager", MON)
    await lad.act(RecordOutcome, ch.reference, "team-manager", MON, outcome=Outcome.NEW_DECISION,
                  rationale="early help offered", record_made="Contact Record")
    message = lad.store.sent("outcome_recorded", to="practitioner")[0]
    assert "early help offered" in render(message.kind, message.data)[1]
