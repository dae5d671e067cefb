"""Reading what the quarterly report counts: live challenges with their audit events, the
anonymised summaries of purged ones, and the complaint tallies."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from bot.calendar import calendar_of
from bot.facts import ChallengeFacts, challenge_facts
from bot.policy import Policy
from bot.report import Labels, QuarterlyReport, build_report
from dialogs.intake import COMPLAINT, RAISED_BY_LABELS, REASON_LABELS
from storage import report_queries
from storage.database import Database

# A challenge's raised date is local to its own policy snapshot; load a day either side and
# let bot.report pick the period by local date.
_MARGIN = timedelta(days=1)


def report_labels() -> Labels:
    """The intake's words for reasons and challenger types."""
    return Labels(reasons={k: v for k, v in REASON_LABELS.items() if k != COMPLAINT},
                  challenger_types={k.value: v for k, v in RAISED_BY_LABELS.items()})


async def load_facts(database: Database, policy: Policy, start: date, end: date) -> tuple[
        list[ChallengeFacts], list[tuple[str, str, date, int]]]:
    """Facts of the challenges raised around the period (live first, then the summaries of
    purged ones: a purge committing between the two reads cannot hide a challenge, and one
    read twice is counted once), and the tally rows of the period."""
    zone = calendar_of(policy).zone
    low = datetime.combine(start, time(0), tzinfo=zone) - _MARGIN
    high = datetime.combine(end + timedelta(days=1), time(0), tzinfo=zone) + _MARGIN
    async with database.uow(read_only=True) as uow:
        live = await report_queries.challenges_raised_between(uow.session, low, high)
        events = await report_queries.events_by_reference(uow.session, [c.reference for c in live])
        kept = await report_queries.summaries_raised_between(uow.session, low, high)
        tallies = await uow.tallies.between(start, end)
    facts = [challenge_facts(c, events[c.reference]) for c in live] + kept
    return facts, tallies


async def load_report(database: Database, policy: Policy, start: date, end: date,
                      now: datetime) -> QuarterlyReport:
    """The quarterly report over challenges raised from `start` to `end` (inclusive)."""
    facts, tallies = await load_facts(database, policy, start, end)
    return build_report(facts, tallies, start=start, end=end, generated_at=now, policy=policy,
                        labels=report_labels())
