"""Retention: `mashbot purge [--dry-run]` and the daily scheduled purge.

Challenges closed or withdrawn more than the policy's `retention_days` (default 730) ago are
removed with their free text; their counts stay (challenge_summaries) so reports over old
quarters add up the same, and the audit trail still verifies (storage/audit_chain.py says how).
"""

from __future__ import annotations

import argparse
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from adapters.bootstrap import Service, build
from bot.calendar import calendar_of
from bot.policy import Policy
from storage.database import Database

if TYPE_CHECKING:
    from storage import retention

log = logging.getLogger("mashbot.purge")

PURGE_AT = time(2, 30)  # the daily job's local time (policy zone): quiet, before the digest
BATCH = 500  # challenges per transaction (each batch appends one "purged" event)


def cutoff_for(policy: Policy, now: datetime) -> datetime:
    """Challenges that ended before this instant are past retention."""
    return now - timedelta(days=policy.retention_days)


@dataclass
class PurgeRun:
    cutoff: datetime
    retention_days: int
    references: list[str] = field(default_factory=list)
    events: int = 0
    messages: int = 0
    batches: int = 0
    candidates: list[retention.Candidate] = field(default_factory=list)  # dry runs


async def plan(database: Database, policy: Policy, now: datetime) -> PurgeRun:
    """What a purge at `now` would remove (nothing is changed)."""
    from storage import retention

    run = PurgeRun(cutoff_for(policy, now), policy.retention_days)
    async with database.uow(read_only=True) as uow:
        run.candidates = await retention.purgeable(uow.session, run.cutoff)
    return run


async def purge(database: Database, policy: Policy, now: datetime, batch: int = BATCH) -> PurgeRun:
    """Purge everything past retention at `now`, a batch per transaction. Safe on several
    replicas at once (the audit head lock serialises them) and safe to run again."""
    # Imported when a purge runs: `serve` schedules this job at start and should not pay for it.
    from storage import retention

    run = PurgeRun(cutoff_for(policy, now), policy.retention_days)
    while True:
        async with database.uow() as uow:
            done = await retention.purge_batch(uow, cutoff=run.cutoff, now=now,
                                               retention_days=policy.retention_days, limit=batch)
            if done is None:
                break
            await uow.commit()
        run.batches += 1
        run.references.extend(done.references)
        run.events += done.events
        run.messages += done.messages
        if len(done.references) < batch:
            break
    return run


async def purge_job(service: Service) -> PurgeRun | None:
    """The daily scheduled purge (adapters/scheduler.py). Logs counts only, never case details."""
    try:
        run = await purge(service.database, service.policy, service.now())
    except Exception as exc:  # noqa: BLE001 - tomorrow's run tries again; the error type is logged
        orig = getattr(exc, "orig", None)
        log.error("retention purge failed: %s%s", type(exc).__name__,
                  f" ({type(orig).__name__})" if orig is not None else "")
        return None
    if run.references:
        log.info("retention purge: %d challenge(s) closed before %s purged, %d audit event(s) tombstoned",
                 len(run.references), run.cutoff.date().isoformat(), run.events)
    return run


async def purge_command(args: argparse.Namespace) -> int:
    from storage import retention

    service = build()
    cal = calendar_of(service.policy)
    now = service.rehearsal_now(args.now)
    try:
        if args.dry_run:
            run = await plan(service.database, service.policy, now)
        else:
            run = await purge(service.database, service.policy, now)
    except retention.PurgeRefused as exc:
        print(f"mashbot: purge refused: {exc}")
        return 1
    finally:
        await service.close()
    when = cal.describe_with_year(run.cutoff)
    if args.dry_run:
        if not run.candidates:
            print(f"Nothing to purge: no challenge closed before {when} (retention {run.retention_days} days).")
            return 0
        print(f"Would purge {len(run.candidates)} challenge(s) closed or withdrawn before {when} "
              f"(retention {run.retention_days} days); their counts would be kept:")
        for c in run.candidates:
            print(f"  {c.reference:<10} {c.area:<8} {c.state:<10} ended {cal.describe_with_year(c.closed_at)}")
        return 0
    if not run.references:
        print(f"Nothing to purge: no challenge closed before {when} (retention {run.retention_days} days).")
        return 0
    print(f"Purged {len(run.references)} challenge(s) closed or withdrawn before {when} "
          f"(retention {run.retention_days} days): {run.events} audit event(s) tombstoned, "
          f"{run.messages} outbox message(s) removed. Their counts are kept for reports; "
          "`mashbot audit verify` still verifies the trail.")
    return 0
