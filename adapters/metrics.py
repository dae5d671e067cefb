"""Prometheus metrics (prometheus-client), on a registry of our own per app.

Counters and the tick histogram are per process; the gauges (challenges by state, overdue,
outbox backlog) are read from the database at scrape time, so every replica reports the
same shared numbers.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from bot.challenge import State
from storage.database import Database
from storage.dispatch_queries import challenge_counts, overdue_count
from storage.outbox_admin import trouble as outbox_trouble

CONTENT_TYPE = CONTENT_TYPE_LATEST
_OUTBOX_STATUSES = ("pending", "sent", "failed")


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.challenges = Gauge("mashbot_challenges", "Challenges by state", ["state"], registry=r)
        self.overdue = Gauge("mashbot_challenges_overdue", "Undecided challenges past their due time or breached",
                             registry=r)
        self.tick_duration = Histogram("mashbot_tick_duration_seconds", "Time one scheduler tick took",
                                       buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
                                       registry=r)
        self.ticks = Counter("mashbot_ticks", "Scheduler ticks by result", ["result"], registry=r)
        self.last_tick = Gauge("mashbot_last_successful_tick_timestamp_seconds",
                               "Unix time of this process's last successful tick", registry=r)
        self.outbox = Gauge("mashbot_outbox_messages", "Outbox rows by status", ["status"], registry=r)
        self.backlog = Gauge("mashbot_outbox_backlog", "Outbox rows waiting to be sent", registry=r)
        self.failed = Gauge("mashbot_outbox_failed", "Messages given up on (see `mashbot outbox list --failed`)",
                            registry=r)
        self.stuck = Gauge("mashbot_outbox_stuck", "Messages still pending 15 minutes or more after they were "
                           "queued", registry=r)
        self.sends = Counter("mashbot_messages_sent", "Messages sent, by channel", ["channel"], registry=r)
        self.send_failures = Counter("mashbot_send_failures", "Failed send attempts, by channel and whether "
                                     "the dispatcher gave up", ["channel", "gave_up"], registry=r)
        self.digests = Counter("mashbot_digests_queued", "Daily digests queued", registry=r)

    # -- what the dispatcher and the scheduler report -------------------------------------------
    def sent(self, channel: str) -> None:
        self.sends.labels(channel=channel).inc()

    def send_failed(self, channel: str, gave_up: bool) -> None:
        self.send_failures.labels(channel=channel, gave_up="true" if gave_up else "false").inc()

    def tick_done(self, seconds: float, at: datetime) -> None:
        self.tick_duration.observe(seconds)
        self.ticks.labels(result="ok").inc()
        self.last_tick.set(at.timestamp())

    def tick_failed(self) -> None:
        self.ticks.labels(result="error").inc()

    # -- scrape ---------------------------------------------------------------------------------
    async def refresh(self, database: Database, now: datetime) -> None:
        """Read the shared numbers from the database."""
        async with database.uow(read_only=True) as uow:
            by_state = await challenge_counts(uow.session)
            overdue = await overdue_count(uow.session, now)
            outbox = await uow.outbox.counts()
            trouble = await outbox_trouble(uow.session, now)
        for state in State:
            self.challenges.labels(state=state.value).set(by_state.get(state.value, 0))
        self.overdue.set(overdue)
        for status in _OUTBOX_STATUSES:
            self.outbox.labels(status=status).set(outbox.get(status, 0))
        self.backlog.set(outbox.get("pending", 0))
        self.failed.set(trouble.failed)
        self.stuck.set(trouble.stuck)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
