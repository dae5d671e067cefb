"""The keyed audit trail on SQLite and PostgreSQL, attacked as an insider with database access
(but not MASHBOT_AUDIT_KEY) would: each attack verified clean with the unkeyed chain of before."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update

from adapters.purge import purge
from bot.audit import DEVELOPMENT_KEY, AuditKey, audit_key, legacy_link
from bot.commands import Accept, RaiseChallenge, Withdraw
from bot.handlers import Mashbot
from storage import tables as t
from storage.audit_keys import AuditKeyError, keep_keyed, rekey
from storage.database import Database
from storage.migrate import upgrade
from storage.repositories import chain_record
from storage.audit_chain import verify_database
from tests.clock.support import LANCASHIRE, import_roster, local, numbered

KEY = audit_key("k" * 32)
OTHER = audit_key("o" * 32)
MON = local("2027-01-04 10:00")


@pytest.fixture
async def keyed(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url, audit_key=KEY)
    await import_roster(database)
    yield database
    await database.dispose()


def core(database: Database) -> Mashbot:
    return Mashbot(uow=database.uow, policy=LANCASHIRE, new_reference=numbered("CH-K"))


async def two_challenges(database: Database) -> tuple[str, str]:
    """One accepted then escalated by the tick, one just raised; the first's events come first."""
    bot = core(database)
    refs = []
    for area in ("East", "North"):
        result = await bot.raise_challenge(RaiseChallenge(
            actor_id="practitioner", case_reference="LCS123456", area=area, decision_challenged="Level 2",
            requested_outcome="Level 3 assessment", reason_category="level_of_need",
            reason_text="Risk from missing episodes not weighed."), MON)
        assert result.challenge is not None
        refs.append(result.challenge.reference)
    first = refs[0]
    async with database.uow() as uow:
        challenge = await uow.challenges.get(first)
    assert challenge is not None
    await bot.handle(Accept(actor_id=challenge.reviewers[0], reference=first, version=challenge.version), MON)
    await bot.tick(local("2027-01-12 09:00"))  # both time out at Practice Manager: Team Manager
    return refs[0], refs[1]


async def rows(database: Database, query) -> list:  # type: ignore[no-untyped-def]
    async with database.uow(read_only=True) as uow:
        return list((await uow.session.execute(query)).all())


async def change(database: Database, *statements) -> None:  # type: ignore[no-untyped-def]
    async with database.session() as session, session.begin():
        for statement in statements:
            await session.execute(statement)


async def relink(database: Database, link, start: int = 1) -> None:  # type: ignore[no-untyped-def]
    """Recompute every link from `start` on with `link` and move the head: what an insider can do."""
    ev = t.challenge_events.c
    events = await rows(database, select(t.challenge_events).order_by(ev.seq))
    previous = events[start - 2].hash if start > 1 else "0" * 64
    statements = []
    for row in events[start - 1:]:
        record = chain_record(row.seq, row.reference, row.kind, row.at, row.actor_id, row.from_state,
                              row.to_state, row.stage, json.loads(row.detail))
        digest = link(previous, record)
        statements.append(update(t.challenge_events).where(ev.seq == row.seq).values(prev_hash=previous, hash=digest))
        previous = digest
    statements.append(update(t.audit_head).values(hash=previous))
    await change(database, *statements)


async def test_a_clean_keyed_trail_verifies_rows_and_all(keyed: Database) -> None:
    first, second = await two_challenges(keyed)
    check = await verify_database(keyed)
    assert check.ok and check.events >= 6
    [(seq, link, seal)] = await rows(keyed, select(t.challenges.c.audit_seq, t.challenges.c.audit_hash,
                                                   t.challenges.c.seal).where(t.challenges.c.reference == first))
    [last] = await rows(keyed, select(t.challenge_events.c.seq, t.challenge_events.c.hash)
                        .where(t.challenge_events.c.reference == first)
                        .order_by(t.challenge_events.c.seq.desc()).limit(1))
    assert (seq, link) == tuple(last) and seal
    [key_id] = await rows(keyed, select(t.audit_head.c.key_id))
    assert key_id == (KEY.key_id,)


@pytest.mark.parametrize("forger", [legacy_link, DEVELOPMENT_KEY.link], ids=["sha256", "development-key"])
async def test_rewriting_an_event_and_relinking_the_rest_is_caught_naming_the_challenge(
        keyed: Database, forger) -> None:  # type: ignore[no-untyped-def]
    first, _ = await two_challenges(keyed)
    ev = t.challenge_events.c
    [(seq,)] = await rows(keyed, select(ev.seq).where(ev.reference == first, ev.kind == "accepted"))
    await change(keyed, update(t.challenge_events).where(ev.seq == seq).values(actor_id="someone.else"))
    await relink(keyed, forger, start=seq)
    check = await verify_database(keyed)
    assert check.broken == seq and first in check.problems[0]


async def test_dropping_the_last_events_and_moving_the_head_back_is_caught(keyed: Database) -> None:
    first, second = await two_challenges(keyed)
    ev = t.challenge_events.c
    [(last_of_second,)] = await rows(keyed, select(ev.seq).where(ev.reference == second).order_by(ev.seq.desc()).limit(1))
    [(keep, keep_hash)] = await rows(keyed, select(ev.seq, ev.hash).where(ev.seq == last_of_second - 1))
    await change(keyed, delete(t.challenge_events).where(ev.seq > keep),
                 update(t.audit_head).values(seq=keep, hash=keep_hash))
    check = await verify_database(keyed)
    assert check.broken is None and not check.ok  # the chain itself is whole: the rows tell
    assert any(second in p and "removed from the end" in p for p in check.problems)


@pytest.mark.parametrize("edit", [{"state": "closed"}, {"stage": 3}, {"owner_id": "someone.else"}])
async def test_editing_a_challenge_row_is_caught(keyed: Database, edit: dict) -> None:
    first, _ = await two_challenges(keyed)
    c = t.challenges.c
    [(data,)] = await rows(keyed, select(c.data).where(c.reference == first))
    edited = json.loads(data) | edit  # columns and the stored challenge edited alike
    await change(keyed, update(t.challenges).where(c.reference == first).values(data=json.dumps(edited), **edit))
    check = await verify_database(keyed)
    assert not check.ok and [p for p in check.problems if p.startswith(first)]


async def test_putting_a_row_back_to_an_older_copy_is_caught(keyed: Database) -> None:
    first, _ = await two_challenges(keyed)
    c = t.challenges.c
    [old] = await rows(keyed, select(t.challenges).where(c.reference == first))
    await core(keyed).handle(Withdraw(actor_id="practitioner", reference=first,
                                      version=json.loads(old.data)["version"]), local("2027-01-12 10:00"))
    assert (await verify_database(keyed)).ok
    await change(keyed, update(t.challenges).where(c.reference == first).values(
        {name: getattr(old, name) for name in old._fields if name != "reference"}))
    check = await verify_database(keyed)
    assert any(first in p and "put back" in p for p in check.problems)


async def test_deleting_a_challenge_row_is_caught(keyed: Database) -> None:
    first, _ = await two_challenges(keyed)
    await change(keyed, delete(t.challenges).where(t.challenges.c.reference == first))
    check = await verify_database(keyed)
    assert any(first in p and "row is gone" in p for p in check.problems)


async def test_a_wrong_key_does_not_verify_and_a_start_with_it_is_refused(keyed: Database) -> None:
    await two_challenges(keyed)
    wrong = Database(keyed.url, audit_key=OTHER)
    try:
        check = await verify_database(wrong)
        assert check.broken == 1 and "MASHBOT_AUDIT_KEY" in check.problems[0]
        with pytest.raises(AuditKeyError, match="not the key this audit trail is signed with"):
            await keep_keyed(wrong)
    finally:
        await wrong.dispose()


async def test_a_purged_trail_verifies_and_rekeys(keyed: Database) -> None:
    first, second = await two_challenges(keyed)
    async with keyed.uow(read_only=True) as uow:
        challenge = await uow.challenges.get(first)
    assert challenge is not None
    await core(keyed).handle(Withdraw(actor_id="practitioner", reference=first, version=challenge.version),
                             local("2027-01-12 10:00"))
    run = await purge(keyed, LANCASHIRE, local("2027-01-12 10:00") + timedelta(days=800))
    assert list(run.references) == [first]
    assert (await verify_database(keyed)).ok
    moved = Database(keyed.url, audit_key=OTHER)
    try:
        done = await rekey(moved, KEY)
        assert done.events > 0 and done.challenges == 1
        assert (await verify_database(moved)).ok
        assert not (await verify_database(keyed)).ok  # the old key no longer verifies it
        await core(moved).handle(Withdraw(actor_id="practitioner", reference=second, version=await _version(
            moved, second)), local("2027-01-12 11:00"))
        assert (await verify_database(moved)).ok
    finally:
        await moved.dispose()


async def _version(database: Database, reference: str) -> int:
    async with database.uow(read_only=True) as uow:
        challenge = await uow.challenges.get(reference)
    assert challenge is not None
    return challenge.version


async def test_rekey_refuses_a_trail_that_does_not_verify_under_the_old_key(keyed: Database) -> None:
    first, _ = await two_challenges(keyed)
    await change(keyed, update(t.challenges).where(t.challenges.c.reference == first).values(stage=2))
    moved = Database(keyed.url, audit_key=OTHER)
    try:
        with pytest.raises(AuditKeyError, match="does not verify under the old key"):
            await rekey(moved, KEY)
        assert (await verify_database(keyed)).problems  # nothing was re-signed
    finally:
        await moved.dispose()


async def as_before_keying(database: Database) -> None:
    """Turn the trail into what mashbot wrote before 0003 (unkeyed links), then migrate it back to 0002."""
    await relink(database, legacy_link)
    await change(database, update(t.audit_head).values(key_id=None))
    await downgrade(database.url, "0002")


async def downgrade(url, revision: str) -> None:  # type: ignore[no-untyped-def]
    from alembic import command

    from storage.database import make_engine
    from storage.migrate import alembic_config

    def run(connection) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    engine = make_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(run)
    finally:
        await engine.dispose()


@pytest.fixture
async def back_to_head(keyed: Database) -> AsyncIterator[Database]:
    yield keyed
    await upgrade(keyed.url)  # the session's PostgreSQL database must stay at head for the next test


async def test_a_trail_from_before_keying_is_migrated_and_rekeyed_once(back_to_head: Database) -> None:
    database = back_to_head
    first, second = await two_challenges(database)
    await as_before_keying(database)
    async with database.session() as session:
        columns = list((await session.execute(text("SELECT * FROM challenges"))).keys())
    assert "seal" not in columns  # really at 0002
    await upgrade(database.url)
    assert not (await verify_database(database)).ok  # migrated, not yet re-keyed: rows unsealed
    done = await keep_keyed(database)
    assert done is not None and done.from_legacy and done.challenges == 2
    assert (await verify_database(database)).ok
    assert await keep_keyed(database) is None  # once
    bot = core(database)
    await bot.handle(Withdraw(actor_id="practitioner", reference=second,
                              version=await _version(database, second)), local("2027-01-12 11:00"))
    assert (await verify_database(database)).ok


async def test_a_trail_changed_before_keying_is_not_laundered_by_the_rekey(back_to_head: Database) -> None:
    database = back_to_head
    first, _ = await two_challenges(database)
    await as_before_keying(database)
    ev = t.challenge_events.c
    await change(database, update(t.challenge_events).where(ev.seq == 2).values(actor_id="someone.else"))
    await upgrade(database.url)
    with pytest.raises(AuditKeyError, match="does not verify"):
        await keep_keyed(database)
    [(key_id,)] = await rows(database, select(t.audit_head.c.key_id))
    assert key_id is None  # nothing was re-signed


def test_a_short_key_is_refused_and_the_development_key_is_marked() -> None:
    with pytest.raises(ValueError, match="at least 16"):
        audit_key("short")
    assert audit_key(None).development and audit_key("").development
    assert not KEY.development and KEY.key_id != OTHER.key_id
    assert "k" * 32 not in repr(KEY)
    assert AuditKey(b"x" * 16).link("0", {}) != legacy_link("0", {})


async def test_an_empty_trail_takes_the_key_it_is_started_with(database_url: str) -> None:
    for key in (DEVELOPMENT_KEY, KEY):  # a demo start, then the first start with a real key
        database = Database(database_url, audit_key=key)
        try:
            assert await keep_keyed(database) is None
            [(key_id,)] = await rows(database, select(t.audit_head.c.key_id))
            assert key_id == key.key_id
        finally:
            await database.dispose()


# -- policy snapshots (migration 0005): the seal covers the row's snapshot digest ---------------

async def test_pointing_a_challenge_at_another_policy_snapshot_is_caught(keyed: Database) -> None:
    from storage.snapshots import snapshot_of

    first, _ = await two_challenges(keyed)
    stages = list(LANCASHIRE.stages)
    stages[1] = stages[1].model_copy(update={"limit": stages[1].limit.model_copy(update={"amount": 50})})
    lenient = LANCASHIRE.model_copy(update={"stages": tuple(stages)})
    digest, data = snapshot_of(lenient)
    await change(keyed, t.policy_snapshots.insert().values(digest=digest, name=lenient.name, data=data),
                 update(t.challenges).where(t.challenges.c.reference == first).values(policy_digest=digest))
    check = await verify_database(keyed)
    assert any(first in p and "seal does not match" in p for p in check.problems)


async def test_editing_a_policy_snapshot_is_caught(keyed: Database) -> None:
    await two_challenges(keyed)
    [(digest, data)] = await rows(keyed, select(t.policy_snapshots.c.digest, t.policy_snapshots.c.data))
    await change(keyed, update(t.policy_snapshots).values(data=data.replace('"amount":5', '"amount":50', 1)))
    check = await verify_database(keyed)
    assert check.problems and all("content does not match its digest" in p for p in check.problems)


async def seal_as_0004(database: Database, key: AuditKey) -> None:
    """Seal every row as mashbot at revision 0004 did (its `data` with the policy inside)."""
    from storage.seals import SEALED_COLUMNS_0004, seal_record

    c = t.challenges.c
    found = await rows(database, select(c.reference, c.audit_seq, c.audit_hash, *(c[n] for n in SEALED_COLUMNS_0004)))
    await change(database, *(
        update(t.challenges).where(c.reference == row.reference).values(seal=key.seal(seal_record(
            row.reference, dict(row._mapping), row.audit_seq, row.audit_hash, SEALED_COLUMNS_0004)))
        for row in found))


async def test_a_keyed_trail_is_checked_and_resealed_once_after_the_snapshot_migration(
        back_to_head: Database) -> None:
    database = back_to_head
    first, second = await two_challenges(database)
    await downgrade(database.url, "0004_slack_replay")
    await seal_as_0004(database, KEY)
    await upgrade(database.url)
    assert (await verify_database(database)).ok  # each row against the seal it had before
    assert await rows(database, select(t.pre_snapshot_seals.c.reference))
    done = await keep_keyed(database)
    assert done is not None and not done.from_legacy and done.challenges == 2
    assert not await rows(database, select(t.pre_snapshot_seals.c.reference))
    assert (await verify_database(database)).ok
    assert await keep_keyed(database) is None  # once
    bot = core(database)
    await bot.handle(Withdraw(actor_id="practitioner", reference=second,
                              version=await _version(database, second)), local("2027-01-12 11:00"))
    assert (await verify_database(database)).ok


async def test_a_row_edited_around_the_snapshot_migration_is_caught_and_not_resealed(
        back_to_head: Database) -> None:
    database = back_to_head
    first, _ = await two_challenges(database)
    await downgrade(database.url, "0004_slack_replay")
    await seal_as_0004(database, KEY)
    await upgrade(database.url)
    c = t.challenges.c
    [(data,)] = await rows(database, select(c.data).where(c.reference == first))
    edited = json.loads(data)
    edited["reason_text"] = "Something else."
    await change(database, update(t.challenges).where(c.reference == first).values(
        data=json.dumps(edited, separators=(",", ":"))))
    check = await verify_database(database)
    assert any(first in p and "seal does not match" in p for p in check.problems)
    with pytest.raises(AuditKeyError, match="Nothing was re-sealed"):
        await keep_keyed(database)
    assert await rows(database, select(t.pre_snapshot_seals.c.reference))
