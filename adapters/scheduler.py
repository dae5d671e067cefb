"""The clock that acts (DESIGN §6): APScheduler 3.x inside the aiohttp app's lifecycle.

Two jobs, and no state in APScheduler's own job store (a memory store, rebuilt at start):
- **tick** every MASHBOT_TICK_SECONDS (and once at start, to catch up after downtime):
  `Mashbot.tick(now)` claims due challenges from the database and applies them, then the
  outbox dispatcher sends what was committed.
- **digest** at 08:30 (policy zone) on the policy's office weekdays; the job itself skips
  bank holidays and closure days. Each "digest for <person, local date>" is claimed by an
  insert-unique row in `scheduler_marks` in the same transaction as its outbox row, so two
  replicas never queue it twice (the use case is dialogs/digest.py). A process started after
  08:30 on a working day sends the day's digests it finds unsent (before office close).

The last successful tick is kept in memory (for /healthz) and in `scheduler_marks`
(for other processes).
"""

from __future__ import annotations

import asyncio
import logging
import time as clock
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler  # type: ignore[import-untyped]
from apscheduler.triggers.cron import CronTrigger  # type: ignore[import-untyped]
from apscheduler.triggers.interval import IntervalTrigger  # type: ignore[import-untyped]

from adapters.bootstrap import Service, utc_now
from adapters.dispatcher import Dispatcher, DispatchReport, Sender
from adapters.metrics import Metrics
from adapters.settings import Settings
from bot.calendar import calendar_of
from bot.policy import DIGEST_TIME, WEEKDAYS
from storage.marks import LAST_SUCCESS, TICK

if TYPE_CHECKING:
    from bot.handlers import TickReport
    from dialogs.digest import DigestRun

log = logging.getLogger("mashbot.scheduler")

# A tick still running this long after it started counts as alive (a catch-up after a
# long outage may take minutes); beyond it /healthz says the tick is late.
RUNNING_TICK_GRACE = 600.0
STOP_TIMEOUT = 30.0
FIRST_TICK_AFTER = timedelta(seconds=0.5)


def safe_error(exc: BaseException) -> str:
    """An exception's type (and its driver error's type), never its message: database errors
    repeat the statement's parameters, which hold case details."""
    orig = getattr(exc, "orig", None)
    return type(exc).__name__ + (f" ({type(orig).__name__})" if orig is not None else "")


def _log_failure(what: str, exc: BaseException, *, again: bool = False) -> None:
    """The error's type and where it happened (code lines only, no values); a repeat of the
    same failure is one line."""
    if again:
        log.error("%s failed again: %s", what, safe_error(exc))
    else:
        log.error("%s failed: %s\n%s", what, safe_error(exc), "".join(traceback.format_tb(exc.__traceback__)))


# -- the scheduler ---------------------------------------------------------------------------

@dataclass
class Health:
    ok: bool
    scheduler: str  # "running" | "stopped"
    last_tick: datetime | None
    detail: str


class Clockwork:
    """The scheduler, its jobs and what they report (last tick, durations)."""

    def __init__(self, service: Service, dispatcher: Dispatcher, metrics: Metrics | None = None, *,
                 tick_seconds: float | None = None, digest_at: time = DIGEST_TIME,
                 startup_grace: float | None = None, send_empty_digests: bool = False,
                 monotonic: Callable[[], float] = clock.monotonic) -> None:
        self.service = service
        self.dispatcher = dispatcher
        self.metrics = metrics
        self.tick_seconds = float(tick_seconds or service.settings.tick_seconds)
        self.digest_at = digest_at
        self.startup_grace = startup_grace if startup_grace is not None else 3 * self.tick_seconds
        self.send_empty_digests = send_empty_digests
        self._monotonic = monotonic
        self.scheduler: AsyncIOScheduler | None = None
        self.started_at: float | None = None
        self.last_tick_ok: float | None = None  # monotonic
        self.last_tick_at: datetime | None = None  # wall clock, UTC
        self.last_tick_error: str | None = None
        self._tick_lock = asyncio.Lock()
        self._tick_started: float | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.service.policy.zone)

    # -- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Create and start the scheduler on the running loop (call inside the app's lifecycle)."""
        zone = self.zone
        aps = logging.getLogger("apscheduler")
        if aps.level == logging.NOTSET:  # it logs every run at INFO: one line per tick is noise
            aps.setLevel(logging.WARNING)
        scheduler = AsyncIOScheduler(timezone=zone)
        # The first tick runs just after start rather than inside it: its work (and the core it
        # imports on first use) would otherwise hold up the listener's first answers.
        scheduler.add_job(self._job(self.tick), IntervalTrigger(seconds=self.tick_seconds, timezone=zone),
                          id="tick", name="tick", next_run_time=datetime.now(zone) + self._first_tick_after(),
                          max_instances=1,
                          coalesce=True, misfire_grace_time=None)
        scheduler.add_job(self._job(self.digest), self.digest_trigger(), id="digest", name="digest",
                          max_instances=1, coalesce=True, misfire_grace_time=3600)
        # Whether today's digest is still owed is decided by the job, a second after start: the
        # check loads the bank-holiday calendar (slow to import), which the first request to a
        # starting service should not wait for.
        scheduler.add_job(self._job(self._digest_catch_up), id="digest-catch-up", name="digest (catch-up)",
                          next_run_time=datetime.now(zone) + timedelta(seconds=1))
        # --- governance: the daily retention purge (adapters/purge.py) ---
        from adapters.purge import PURGE_AT, purge_job

        scheduler.add_job(self._job(lambda: purge_job(self.service)),
                          CronTrigger(hour=PURGE_AT.hour, minute=PURGE_AT.minute, timezone=zone),
                          id="purge", name="retention purge", max_instances=1, coalesce=True,
                          misfire_grace_time=6 * 3600)
        # --- end governance ---
        scheduler.start()
        self.scheduler = scheduler
        self.started_at = self._monotonic()
        log.info("scheduler started: tick every %gs, digest at %s on %s (%s)", self.tick_seconds,
                 self.digest_at.strftime("%H:%M"), self._digest_days(), self.service.policy.zone)

    def _first_tick_after(self) -> timedelta:
        """FIRST_TICK_AFTER, but never later than one tick interval (health counts from start)."""
        return min(FIRST_TICK_AFTER, timedelta(seconds=self.tick_seconds))

    async def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop starting jobs, let a running tick or digest finish (bounded), then shut down."""
        scheduler, self.scheduler = self.scheduler, None
        if scheduler is None:
            return
        scheduler.pause()
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            _, late = await asyncio.wait(pending, timeout=timeout)
            if late:
                log.warning("scheduler stopping: %d job(s) still running after %gs are cancelled",
                            len(late), timeout)
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down in a loop callback

    def kick(self) -> None:
        """Send what was just committed without waiting for the next tick (channels call this)."""
        task = asyncio.get_running_loop().create_task(self.dispatch())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _job(self, func: Callable[[], Any]) -> Callable[[], Any]:
        async def job() -> None:
            task = asyncio.current_task()
            if task is not None:
                self._tasks.add(task)
            try:
                await func()
            finally:
                if task is not None:
                    self._tasks.discard(task)
        job.__name__ = getattr(func, "__name__", "job")
        return job

    # -- jobs ---------------------------------------------------------------------------------
    async def tick(self) -> TickReport | None:
        """One tick, then a dispatch. Overlapping ticks in one process are skipped."""
        if self._tick_lock.locked():
            return None
        async with self._tick_lock:
            self._tick_started = started = self._monotonic()
            report: TickReport | None = None
            try:
                report = await self.service.mashbot.tick(self.service.now())
                await self._record_tick()
            except Exception as exc:  # noqa: BLE001 - the next tick tries again; health shows it
                again = self.last_tick_error == safe_error(exc)
                self.last_tick_error = safe_error(exc)
                _log_failure("tick", exc, again=again)
                if self.metrics:
                    self.metrics.tick_failed()
            else:
                self.last_tick_ok = self._monotonic()
                self.last_tick_error = None
                if self.metrics:
                    self.metrics.tick_done(self.last_tick_ok - started, self.last_tick_at or utc_now())
                if report is not None and report.changed:
                    log.info("tick: %d challenge(s) changed, %d event(s), %d message(s) queued",
                             report.changed, report.events, report.messages)
            finally:
                self._tick_started = None
        await self.dispatch()
        return report

    async def _record_tick(self) -> None:
        at = utc_now()
        async with self.service.database.uow() as uow:
            await uow.marks.set(TICK, LAST_SUCCESS, at)
            await uow.commit()
        self.last_tick_at = at

    async def dispatch(self) -> DispatchReport | None:
        try:
            return await self.dispatcher.run_once()
        except Exception as exc:  # noqa: BLE001 - rows stay pending; the next run retries
            _log_failure("outbox dispatch", exc)
            return None

    async def digest(self, now: datetime | None = None) -> DigestRun | None:
        """Queue today's digests (once per person and day across replicas), then send them."""
        # The digest's code is loaded by its first run, not while the service starts.
        from dialogs.digest import queue_digests
        from storage.digest_reads import SqlDigestStore

        now = now or self.service.now()
        try:
            run = await queue_digests(SqlDigestStore(self.service.database), self.service.policy, now,
                                      self.digest_at, self.send_empty_digests)
        except Exception as exc:  # noqa: BLE001 - logged without case details
            _log_failure("digest", exc)
            return None
        if not run.working_day:
            log.info("digest: %s is not a working day; none sent", run.day.isoformat())
            return run
        log.info("digest for %s: %d queued, %d already sent, %d with nothing to report",
                 run.day.isoformat(), len(run.queued), len(run.already), len(run.empty))
        if self.metrics:
            self.metrics.digests.inc(len(run.queued))
        if run.queued:
            await self.dispatch()
        return run

    async def _digest_catch_up(self) -> None:
        """Started after 08:30 on a working day, before office close: send today's digests now."""
        if self._digest_due_at_start():
            await self.digest()

    # -- triggers -----------------------------------------------------------------------------
    def _digest_days(self) -> str:
        hours = self.service.policy.office_hours
        return ",".join(day[:3] for day in WEEKDAYS if hours.get(day)) or "mon-fri"

    def digest_trigger(self) -> CronTrigger:
        return CronTrigger(day_of_week=self._digest_days(), hour=self.digest_at.hour,
                           minute=self.digest_at.minute, timezone=self.zone)

    def _digest_due_at_start(self) -> bool:
        cal = calendar_of(self.service.policy)
        now = self.service.now()
        day = cal.local(now).date()
        if not cal.is_working_day(day):
            return False
        start = datetime.combine(day, self.digest_at, tzinfo=cal.zone)
        return start + timedelta(minutes=1) < now < cal.closing_of(day)

    # -- health -------------------------------------------------------------------------------
    def health(self) -> Health:
        """Late when the last successful tick is older than 3 ticks (after a start-up grace)."""
        now = self._monotonic()
        last = self.last_tick_at
        if self.scheduler is None or not self.scheduler.running or self.started_at is None:
            return Health(False, "stopped", last, "scheduler not running")
        limit = 3 * self.tick_seconds
        if self.last_tick_ok is not None and now - self.last_tick_ok <= limit:
            return Health(True, "running", last, "ok")
        if self._tick_started is not None and now - self._tick_started <= max(limit, RUNNING_TICK_GRACE):
            return Health(True, "running", last, "tick in progress")
        if self.last_tick_ok is None and now - self.started_at <= max(limit, self.startup_grace):
            return Health(True, "running", last, "starting")
        error = f" (last error: {self.last_tick_error})" if self.last_tick_error else ""
        return Health(False, "running", last, f"tick late{error}")


def build_dispatcher(service: Service, metrics: Metrics | None = None,
                     clock: Callable[[], datetime] | None = None) -> Dispatcher:
    """The dispatcher for a service: email by SMTP or Microsoft Graph (MASHBOT_MAIL), no chat senders yet."""
    from adapters.mail import mail_sender

    email: Sender | None = mail_sender(service.settings)
    if email is not None:  # the action links' code is only loaded when there is mail to add them to
        from adapters.web_page.mail_links import with_action_links

        email = with_action_links(service, email)
    if email is None:
        log.warning("no mail is configured (MASHBOT_SMTP_URL, or MASHBOT_MAIL=graph): emails wait in the outbox")
    # The service's clock: outbox rows are dated by it (the console's demo clock may run ahead).
    return Dispatcher(service.database, email=email, clock=clock or service.now, metrics=metrics,
                      **outbox_lease(service.settings))


def outbox_lease(settings: Settings) -> dict[str, float]:
    """The claim lease and its heartbeat; a heartbeat of more than a third of the lease could
    let a claim lapse under a slow database, so it is shortened (with a warning)."""
    lease, heartbeat = settings.outbox_lease_seconds, settings.outbox_heartbeat_seconds
    if heartbeat > lease / 3:
        log.warning("MASHBOT_OUTBOX_HEARTBEAT_SECONDS=%g is more than a third of MASHBOT_OUTBOX_LEASE_SECONDS=%g: "
                    "using %g", heartbeat, lease, lease / 3)
        heartbeat = lease / 3
    return {"lease": lease, "heartbeat": heartbeat}


def build_clockwork(service: Service, metrics: Metrics | None = None, **kwargs: Any) -> Clockwork:
    return Clockwork(service, build_dispatcher(service, metrics), metrics, **kwargs)
