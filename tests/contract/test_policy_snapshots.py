"""Policy snapshots stored once by digest, on SQLite and PostgreSQL, and the migration that
de-duplicates the copies older rows carry (upgrade and downgrade)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import func, make_url, select, text
from sqlalchemy.engine import Connection

from bot.challenge import Challenge
from bot.policy import Policy
from storage import tables as t
from storage.database import Database, make_engine
from storage.migrate import alembic_config, current_revision, head_revision, upgrade
from tests.conftest import _admin
from tests.contract.test_storage import POLICY, T0, add, challenge

BEFORE = "0004_slack_replay"  # the revision before policy snapshots


def edited(policy: Policy) -> Policy:
    """The same pack with Stage 0's limit changed: a different snapshot."""
    stages = list(policy.stages)
    stages[0] = stages[0].model_copy(update={"limit": stages[0].limit.model_copy(update={"amount": 3})})
    return policy.model_copy(update={"stages": tuple(stages)})


OTHER = edited(POLICY)


async def test_challenges_share_one_snapshot_per_policy_and_keep_their_own(database: Database) -> None:
    await add(database, challenge("CH-SNAP01"), challenge("CH-SNAP02"), challenge("CH-SNAP03", policy=OTHER))
    async with database.uow() as uow:
        snapshots = (await uow.session.execute(select(t.policy_snapshots.c.digest))).scalars().all()
        sizes = (await uow.session.execute(select(func.max(func.length(t.challenges.c.data))))).scalar_one()
    assert len(snapshots) == 2
    assert sizes < 2_000  # the row no longer carries a 4 KB copy of its policy
    fresh = Database(database.url)  # another process's view: nothing cached for this database
    try:
        async with fresh.uow(read_only=True) as uow:
            one, two, three = [await uow.challenges.get(f"CH-SNAP0{i}") for i in (1, 2, 3)]
    finally:
        await fresh.dispose()
    assert one is not None and two is not None and three is not None
    assert one.policy == POLICY and three.policy == OTHER
    assert three.policy.stages[0].limit.amount == 3 and one.policy.stages[0].limit.amount != 3
    assert one.policy is two.policy  # parsed once, shared


async def test_a_saved_change_keeps_the_policy_the_challenge_was_raised_under(database: Database) -> None:
    await add(database, challenge("CH-SNAP04", policy=OTHER))
    async with database.uow() as uow:
        loaded = await uow.challenges.get("CH-SNAP04")
        assert loaded is not None
        moved = loaded.model_copy(update={"version": 2, "due_at": T0 + timedelta(days=1)})
        assert await uow.challenges.update(moved, expected_version=1)
        await uow.commit()
    async with database.uow(read_only=True) as uow:
        again = await uow.challenges.get("CH-SNAP04")
    assert again is not None and again.version == 2 and again.policy == OTHER


# -- the migration -----------------------------------------------------------------------------

def _old_row(ch: Challenge) -> dict[str, Any]:
    """A challenge row as revision 0004 stored it: the whole policy inside `data`, and the audit
    columns of 0003_audit_key (unsealed, as before the first keyed start)."""
    return {"reference": ch.reference, "case_reference": ch.case_reference, "area": ch.area,
            "challenger_id": ch.challenger_id, "state": ch.state.value, "stage": ch.stage, "version": ch.version,
            "urgent": ch.urgent, "breached": ch.breached, "due_at": ch.due_at, "wake_at": ch.wake_at,
            "raised_at": ch.raised_at, "closed_at": ch.closed_at, "owner_id": ch.owner_id,
            "data": ch.model_dump_json(), "audit_seq": None, "audit_hash": None, "seal": None}


def _downgrade(connection: Connection, revision: str) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.downgrade(config, revision)


async def downgrade(url: str, revision: str) -> None:
    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_downgrade, revision)
    finally:
        await engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A brand-new, empty database (never migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    server: str = request.getfixturevalue("postgres_server")
    name = f"mashbot_mig_{os.getpid()}_{secrets.token_hex(4)}"
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def test_the_migration_moves_copies_into_one_snapshot_per_policy_and_back(unmigrated_url: str) -> None:
    url = unmigrated_url
    await upgrade(url, BEFORE)
    old = [challenge(f"CH-OLD{i:03d}", policy=POLICY if i % 3 else OTHER) for i in range(30)]
    engine = make_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(t.challenges.insert(), [_old_row(ch) for ch in old])

        await upgrade(url)
        assert await current_revision(url) == head_revision() == "0006_action_links"
        async with engine.connect() as conn:
            names = (await conn.execute(select(t.policy_snapshots.c.name))).scalars().all()
            datas = (await conn.execute(select(t.challenges.c.data))).scalars().all()
        assert sorted(names) == [POLICY.name, POLICY.name]  # two distinct snapshots of one pack
        assert all('"policy"' not in json.loads(d) for d in datas)
        database = Database(url)
        try:
            async with database.uow(read_only=True) as uow:
                loaded = {ch.reference: ch for ch in await uow.challenges.listing()}
        finally:
            await database.dispose()
        assert loaded == {ch.reference: ch for ch in old}  # every field, and each its own policy
        assert loaded["CH-OLD000"].policy == OTHER and loaded["CH-OLD001"].policy == POLICY

        await downgrade(url, BEFORE)
        assert await current_revision(url) == BEFORE
        async with engine.connect() as conn:
            rows = dict((await conn.execute(select(t.challenges.c.reference, t.challenges.c.data))).all())
            tables = await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync))
            index = await conn.run_sync(lambda sync: [ix["name"] for ix in sync.dialect.get_indexes(
                sync, "challenges")])
        assert "policy_snapshots" not in tables and "ix_challenges_wake_at" in index
        assert {ref: Challenge.model_validate_json(data) for ref, data in rows.items()} == {
            ch.reference: ch for ch in old}
        await upgrade(url)  # and up again: the same two snapshots
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT count(*) FROM policy_snapshots"))).scalar_one() == 2
    finally:
        await engine.dispose()


async def test_the_digest_reads_summaries_with_the_stages_that_timed_out(database: Database) -> None:
    from bot.commands import RaiseChallenge
    from bot.digest import build_digests
    from bot.handlers import Mashbot
    from bot.summary import ChallengeSummary
    from storage import summaries
    from tests.clock.support import LANCASHIRE, import_roster, local, numbered

    await import_roster(database)
    bot = Mashbot(uow=database.uow, policy=LANCASHIRE, new_reference=numbered("CH-D"))
    refs = []
    for at in ("2027-01-04 10:00", "2027-01-11 10:00"):
        result = await bot.raise_challenge(RaiseChallenge(
            actor_id="practitioner", case_reference="LCS123456", area="East", decision_challenged="Level 2",
            requested_outcome="Level 3 assessment", reason_category="level_of_need",
            reason_text="Risk from missing episodes not weighed."), local(at))
        assert result.challenge is not None
        refs.append(result.challenge.reference)
    now = local("2027-01-11 12:00")
    await bot.tick(now)  # the first one's Practice Manager stage ran out
    async with database.uow(read_only=True) as uow:
        found = {c.reference: c for c in await summaries.for_digest(uow.session, database.snapshots,
                                                                    local("2027-01-08 08:30"))}
        roster = await uow.people.roster()
        every = await uow.challenges.listing(active_only=False)
    assert all(isinstance(c, ChallengeSummary) for c in found.values())
    assert [p.stage for p in found[refs[0]].timeouts] == [0] and found[refs[1]].timeouts == ()
    since = local("2027-01-08 08:30")
    assert build_digests(list(found.values()), roster, LANCASHIRE, now, since) == build_digests(
        every, roster, LANCASHIRE, now, since)  # the same digests as from the whole challenges
    async with database.uow(read_only=True) as uow:  # a stage's timeout is read for its reviewers only
        ran_out = found[refs[0]].timeouts[0].reviewers
        assert (await summaries.for_digest(uow.session, database.snapshots, since, ran_out))[0].timeouts
        assert not (await summaries.for_digest(uow.session, database.snapshots, since, ["someone-else"]))[0].timeouts
