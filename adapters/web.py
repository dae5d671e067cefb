"""The aiohttp application every channel adds its routes to (DESIGN.md §8)."""

from __future__ import annotations

import asyncio
import gc
import signal
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters import bootstrap, local_modes
from adapters.composition import connect
from adapters.console import mount_console  # console
from adapters.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from adapters.metrics import Metrics
from adapters.scheduler import Clockwork, build_clockwork
from adapters.settings import Settings
from adapters.slack import mount_slack  # --- slack ---
from adapters.teams.lazy import mount_teams_when_needed
from adapters.web_page import mount_web_page
from storage.outbox_admin import Trouble
from storage.outbox_admin import trouble as outbox_trouble

log = logging.getLogger("mashbot.web")
SERVICE = web.AppKey("service", bootstrap.Service)
METRICS = web.AppKey("metrics", Metrics)
CLOCKWORK = web.AppKey("clockwork", Clockwork)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers (and the scheduler's tick is on time); 503 with the reason."""
    service = request.app[SERVICE]
    try:
        await service.database.ping()
    except Exception as exc:  # noqa: BLE001 - any driver error means "not healthy"; logged, not echoed
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    body = {"status": "ok", "database": "ok", "policy": service.policy.name}
    # --- scheduler -------------------------------------------------------------------
    clockwork = request.app.get(CLOCKWORK)
    if clockwork is not None:
        health = clockwork.health()
        body |= {"scheduler": health.scheduler, "tick": health.detail,
                 "last_tick": health.last_tick.isoformat() if health.last_tick else None}
        if not health.ok:
            body["status"] = "unhealthy"
            return web.json_response(body, status=503)
    # --- end scheduler -------------------------------------------------------------------------
    # Messages given up on or stuck make the service "degraded", still 200: this replica serves
    # presses and raises as well as any other, so a load balancer must keep it in rotation;
    # monitoring reads the status field (and /metrics) and someone runs `mashbot outbox list`.
    trouble = await _outbox_trouble(service)
    if trouble is not None:
        body["outbox"] = {"failed": trouble.failed, "stuck": trouble.stuck}
        if trouble.failed or trouble.stuck:
            body["status"] = "degraded"
    return web.json_response(body)


async def _outbox_trouble(service: bootstrap.Service) -> Trouble | None:
    try:
        async with service.database.uow(read_only=True) as uow:
            return await outbox_trouble(uow.session, service.now())
    except Exception as exc:  # noqa: BLE001 - the database answered the ping; report what we have
        log.warning("health check: outbox counts unavailable (%s)", type(exc).__name__)
        return None


# --- metrics -----------------------------------------------------------------------
async def metrics_view(request: web.Request) -> web.Response:
    """Prometheus exposition: shared numbers read from the database, process counters."""
    service, metrics = request.app[SERVICE], request.app[METRICS]
    try:
        await metrics.refresh(service.database, service.now())
    except Exception as exc:  # noqa: BLE001 - counters are still worth scraping; gauges keep their last value
        log.warning("metrics: database read failed (%s)", type(exc).__name__)
    return web.Response(body=metrics.exposition(), headers={"Content-Type": METRICS_CONTENT_TYPE})
# --- end metrics -----------------------------------------------------------------------------


def create_app(service: bootstrap.Service, *, scheduler: bool = False, host: str | None = None,
               jobs: bool = True) -> web.Application:
    """The web app for a built service; the service is closed with the app.

    `scheduler=True` (what `mashbot serve` uses) starts the tick and digest jobs with the app
    and stops them, letting a running tick finish, before the service closes. `jobs=False`
    wires the same scheduler and dispatcher (with every channel's sender) without starting
    the jobs: what a one-off command such as cron's `mashbot tick` sends with."""
    app = web.Application()
    app[SERVICE] = service
    app[METRICS] = Metrics()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics_view)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        await service.close()

    app.cleanup_ctx.append(lifecycle)
    # --- scheduler: cleanup runs in reverse, so it stops before the service closes ---
    if scheduler:
        app[CLOCKWORK] = build_clockwork(service, app[METRICS])

        async def clock_lifecycle(app: web.Application) -> AsyncIterator[None]:
            if jobs:
                app[CLOCKWORK].start()
            try:
                yield
            finally:
                await app[CLOCKWORK].stop()

        app.cleanup_ctx.append(clock_lifecycle)
    # --- end scheduler -------------------------------------------------------------------------
    # A local-only mode (console, demo clock, unauthenticated Teams) off loopback: LocalOnlyError.
    local_modes.check(service.settings, service.settings.host if host is None else host)
    # --- console: the local web console at "/" when enabled (see adapters/console) ---
    mount_console(app, service, host=host)  # `host`: the address served on (default settings.host)
    # --- end console ---------------------------------------------------------------------------
    # --- slack: POST /slack/events when SLACK_SIGNING_SECRET is set (see adapters/slack) ---
    slack = mount_slack(app, service, clockwork=app.get(CLOCKWORK))
    # --- end slack ---
    # --- teams: POST /api/messages, always mounted (see adapters/teams/route.py) ---
    teams = mount_teams_when_needed(app, service, clockwork=app.get(CLOCKWORK), host=host)
    # --- end teams ---
    # --- web page: /web and the emailed action links, when public https + mail + secret ---
    mount_web_page(app, service)
    # --- end web page ---
    if CLOCKWORK in app:  # one place where the channels' senders join the dispatcher
        connect(app[CLOCKWORK].dispatcher, (slack, teams))
    return app


async def run(settings: Settings, *, host: str, port: int, service: bootstrap.Service | None = None) -> None:
    """Serve until interrupted (the service given, or one built from settings; closed with the app)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(service or bootstrap.build(settings), scheduler=True, host=host)  # host: console
    from adapters.web_page.access_log import RedactingAccessLogger

    runner = web.AppRunner(app, access_log_class=RedactingAccessLogger)  # no link tokens in the log
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port  # the real port when asked for 0
    # What start-up made (the web app, its routes and templates) lives as long as the process:
    # frozen, the collector skips it from now on, as it does the imports (adapters/entry.py).
    gc.freeze()
    log.info("mashbot listening on http://%s:%s (policy %s)", host, bound, app[SERVICE].policy.name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # systemd/docker stop: let a running tick finish
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
        log.info("mashbot stopping")
    finally:
        await runner.cleanup()
