"""`mashbot digest`: print each recipient's digest (`--dry-run`), or queue today's and send them."""

from __future__ import annotations

from datetime import date, datetime

from adapters.bootstrap import build, serving_dispatcher
from bot.calendar import calendar_of
from bot.digest import render_text
from bot.policy import DIGEST_TIME
from dialogs.digest import prepare_digests, queue_digests
from storage.digest_reads import SqlDigestStore


async def digest_command(dry_run: bool, day: date | None, now: datetime | None) -> int:
    """`mashbot digest --dry-run [--date D]` prints each recipient's digest; without --dry-run
    it queues today's (once per person and day, like the 08:30 job) and sends them."""
    if day is not None and not dry_run:
        # Queuing for another day would claim that day's digests and stop the real ones.
        print("mashbot: --date is for --dry-run only; without it the digest is today's")
        return 2
    service = build()
    cal = calendar_of(service.policy)
    if day is not None:
        now = datetime.combine(day, DIGEST_TIME, tzinfo=cal.zone)
    else:
        now = service.rehearsal_now(now)
    day = cal.local(now).date()
    try:
        if not dry_run:
            run = await queue_digests(SqlDigestStore(service.database), service.policy, now)
            if not run.working_day:
                print(f"{day.isoformat()} is not a working day: no digest sent.")
                return 0
            counts = (f"Digest for {day.isoformat()}: {len(run.queued)} queued, {len(run.already)} already sent, "
                      f"{len(run.empty)} with nothing to report")
            # The dispatcher `serve` runs, with every configured channel: a cron-only service sends too.
            async with serving_dispatcher(service) as dispatcher:
                report = await dispatcher.run_once()
            print(f"{counts}; {report.sent} message(s) sent, {report.waiting + report.retrying} waiting"
                  + (f", {report.failed} failed (see `mashbot outbox list --failed`)." if report.failed else "."))
            return 0
        if not cal.is_working_day(day):
            print(f"{day.isoformat()} is not a working day: the 08:30 job sends no digest then. As it would read:")
        digests = await prepare_digests(SqlDigestStore(service.database), service.policy, now)
    finally:
        await service.close()
    if not digests:
        print(f"Nobody in the roster holds a digest role ({', '.join(service.policy.notifications.digest)}).")
        return 1
    for d in digests:
        print(f"To: {d.person_name}")
        print(render_text(d))
    return 0
