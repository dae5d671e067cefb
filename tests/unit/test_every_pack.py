"""What every pack does alike: notices name the case, packs say where they come from."""

from __future__ import annotations

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
