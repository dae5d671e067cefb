"""The inbox reads only the viewer's challenges from the database, and still finds every one
they belong to: raised, held, decided earlier, counterpart, or a joint-agreement role they hold.

Runs on SQLite and PostgreSQL (the `database` fixture, tests/conftest.py).
"""

from __future__ import annotations

from datetime import timedelta

from bot.challenge import Outcome, OutcomeRecord, State
from bot.roster import Person
from dialogs.desk import Desk
from storage.database import Database
from tests.contract.test_storage import T0, add, challenge


def staff(pid: str, role: str, area: str = "East") -> Person:
    return Person(id=pid, name=pid.replace("-", " ").title(), email=f"{pid}@example.org", roles=(role,),
                  areas=(area,))


ROSTER = (
    staff("tara.nolan", "practitioner"),
    staff("pm-east-1", "practice_manager"),
    staff("loc-sm-east", "locality_senior_manager"),
    staff("county-east", "mash_county_manager"),
    staff("county-north", "mash_county_manager", area="North"),
    staff("bystander", "practice_manager"),
)


def desk(database: Database) -> Desk:
    return Desk(None, lambda: database.uow(read_only=True), lambda: T0)  # type: ignore[arg-type]


async def seed(database: Database) -> None:
    async with database.uow() as uow:
        await uow.people.replace(ROSTER, "test", T0)
        await uow.commit()
    joint = OutcomeRecord(kind=Outcome.ASSESSMENT_CANCELLED, rationale="Fictional", stage=0, by="pm-east-1",
                          at=T0 - timedelta(hours=1), joint=True,
                          awaits=("mash_county_manager", "locality_senior_manager"))
    await add(database,
              challenge("CH-JOINT1", state=State.AWAITING_JOINT_AGREEMENT, owner_id="pm-east-1", outcome=joint),
              challenge("CH-CNTRP1", counterparts=((0, "loc-sm-east"),)),
              challenge("CH-OTHER1", challenger_id="someone-else", reviewers=("pm-east-9",)))


async def test_a_joint_agreement_role_holder_sees_the_challenge_waiting_for_them(database: Database) -> None:
    await seed(database)
    cards = await desk(database).inbox(staff("county-east", "mash_county_manager"))
    assert [c.reference for c in cards] == ["CH-JOINT1"]


async def test_a_counterpart_sees_the_challenges_they_were_sent(database: Database) -> None:
    await seed(database)
    cards = await desk(database).inbox(staff("loc-sm-east", "locality_senior_manager"))
    assert sorted(c.reference for c in cards) == ["CH-CNTRP1", "CH-JOINT1"]  # and the joint role they hold


async def test_the_inbox_leaves_out_another_areas_role_holder_and_bystanders(database: Database) -> None:
    await seed(database)
    assert await desk(database).inbox(staff("county-north", "mash_county_manager", area="North")) == []
    assert await desk(database).inbox(staff("bystander", "practice_manager")) == []
    raised = await desk(database).inbox(staff("tara.nolan", "practitioner"))
    assert sorted(c.reference for c in raised) == ["CH-CNTRP1", "CH-JOINT1"]


async def test_a_reviewer_who_decided_an_earlier_stage_still_follows_it(database: Database) -> None:
    await add(database, challenge("CH-DECID1", stage=1, reviewers=("sm-east-1",), deciders=("pm-east-1",)))
    cards = await desk(database).inbox(staff("pm-east-1", "practice_manager"))
    assert [c.reference for c in cards] == ["CH-DECID1"]
