"""Fictional rows for the benchmarks, bulk-inserted through the storage tables (not the core)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert, make_url, text

from bot.challenge import Challenge, PastStage, State
from bot.policy import Policy
from bot.roster import Person
from storage import tables as t
from storage.database import Database, make_engine
from storage.snapshots import challenge_data, snapshot_of

NOW = datetime(2027, 1, 13, 10, 0, tzinfo=UTC)  # Wed 13 Jan 2027, office hours
AREAS = ("East", "Central", "North", "CSSH")
CHUNK = 5_000


def load_policy() -> Policy:
    from adapters.policy_files import load_policy as load

    return load("lancashire")


def people() -> list[Person]:
    def p(pid: str, *roles: str, areas: tuple[str, ...] = ()) -> Person:
        return Person(id=pid, name=pid.replace("-", " ").title(), email=f"{pid}@example.org", roles=roles,
                      areas=areas)

    return [
        *(p(f"pm-{a.lower()}-{i}", "practice_manager", areas=(a,)) for a in AREAS for i in (1, 2)),
        p("team-manager", "mash_team_manager"), p("senior-manager", "mash_senior_manager", "senior_manager"),
        p("head-of-service", "head_of_service_mash"), p("county-manager", "mash_county_manager"),
        p("sm-east", "senior_manager", areas=("East",)), p("practitioner", "practitioner"),
        p("csap-team", "csap_mailbox"),
    ]


def template(policy: Policy) -> Challenge:
    """A fictional open Practice Manager stage challenge (no child's details)."""
    raised = NOW - timedelta(days=3)
    return Challenge(
        reference="CH-TEMPLATE", case_reference="LCS000000", area="East", challenger_id="practitioner",
        decision_challenged="Level 2", requested_outcome="Level 3 assessment", reason_category="level_of_need",
        reason_text="Fictional benchmark row.", policy=policy, raised_at=raised, stage_started_at=raised,
        due_at=raised, reviewers=("pm-east-1", "pm-east-2"),
    )


def challenges(policy: Policy, n_open: int, n_due: int, prefix: str) -> list[Challenge]:
    """n_open challenges, the first n_due overdue (wake in the past), the rest due next week."""
    base = template(policy)
    out = []
    for i in range(n_open):
        area = AREAS[i % 4]
        due = NOW - timedelta(hours=1, seconds=i) if i < n_due else NOW + timedelta(days=7, seconds=i)
        pool = (f"pm-{area.lower()}-1", f"pm-{area.lower()}-2")
        raised = NOW - timedelta(days=3, seconds=i)
        # A third are at the next stage because the first one ran out (a few of them since the
        # last digest), as a busy service's are: the digest names those stages' reviewers.
        history = () if i % 3 else (PastStage(stage=0, how="timeout", reviewers=pool, at=(
            NOW - timedelta(hours=1) if i % 300 == 0 else raised + timedelta(days=1))),)
        out.append(base.model_copy(update={
            "reference": f"{prefix}{i:07d}", "area": area, "due_at": due, "case_reference": f"LCS{i:06d}",
            "reviewers": pool, "history": history,
            "raised_at": raised, "stage": 0 if i % 3 else 1,
            "state": State.OPEN if i % 5 else State.ACCEPTED,
            "owner_id": None if i % 5 else f"pm-{area.lower()}-1",
        }))
    return out


def row(c: Challenge, digest: str) -> dict[str, Any]:
    return {
        "reference": c.reference, "case_reference": c.case_reference, "area": c.area,
        "challenger_id": c.challenger_id, "state": c.state.value, "stage": c.stage, "version": c.version,
        "urgent": c.urgent, "breached": c.breached, "due_at": c.due_at, "wake_at": c.wake_at,
        "raised_at": c.raised_at, "closed_at": None, "owner_id": c.owner_id, "data": challenge_data(c),
        "reviewers": json.dumps(list(c.reviewers), separators=(",", ":")), "outcome_kind": None,
        "policy_digest": digest,
    }


async def seed(db: Database, policy: Policy, n_open: int, n_due: int, prefix: str) -> None:
    digest, snapshot = snapshot_of(policy)
    all_rows = [row(c, digest) for c in challenges(policy, n_open, n_due, prefix)]
    async with db.uow() as uow:
        if not (await uow.session.execute(t.policy_snapshots.select().where(
                t.policy_snapshots.c.digest == digest))).first():
            await uow.session.execute(insert(t.policy_snapshots).values(digest=digest, name=policy.name,
                                                                         data=snapshot))
        await uow.commit()
    for start in range(0, len(all_rows), CHUNK):
        async with db.uow() as uow:
            await uow.session.execute(insert(t.challenges), all_rows[start:start + CHUNK])
            await uow.commit()
    async with db.engine.connect() as conn:  # fresh planner statistics, as autovacuum would
        await conn.execute(text("ANALYZE"))
        await conn.commit()


async def clear(db: Database) -> None:
    async with db.uow() as uow:
        for table in (t.outbox, t.challenge_events, t.challenges):
            await uow.session.execute(table.delete())
        await uow.session.execute(t.audit_head.update().values(seq=0, hash=t.singleton_rows()[0][1]["hash"]))
        await uow.commit()


async def add_people(db: Database) -> None:
    async with db.uow() as uow:
        await uow.people.replace(people(), source="bench", now=NOW)
        await uow.commit()


async def postgres_url() -> tuple[str, Callable[[], Awaitable[None]]] | None:
    server = os.environ.get("MASHBOT_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
    name = f"mashbot_bench_{secrets.token_hex(4)}"
    admin = make_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - reported, and the SQLite half still runs
        print(f"PostgreSQL unavailable ({type(exc).__name__}); skipping it")
        await admin.dispose()
        return None

    async def drop() -> None:
        async with admin.connect() as conn:
            await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()

    return make_url(server).set(database=name).render_as_string(hide_password=False), drop
