"""The aiohttp application every channel adds its routes to (DESIGN.md §8)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

from aiohttp import web

from adapters import bootstrap
from adapters.settings import Settings

log = logging.getLogger("mashbot.web")
SERVICE = web.AppKey("service", bootstrap.Service)


async def healthz(request: web.Request) -> web.Response:
    """200 when the database answers; 503 with the reason otherwise."""
    service = request.app[SERVICE]
    try:
        await service.database.ping()
    except Exception as exc:  # any driver error means "not healthy"; the reason is logged, not echoed
        log.warning("health check: database unreachable (%s)", type(exc).__name__)
        return web.json_response({"status": "unhealthy", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok", "policy": service.policy.name})


def create_app(service: bootstrap.Service) -> web.Application:
    """The web app for a built service; the service is closed with the app."""
    app = web.Application()
    app[SERVICE] = service
    app.router.add_get("/healthz", healthz)

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        yield
        await service.close()

    app.cleanup_ctx.append(lifecycle)
    return app


async def run(settings: Settings, *, host: str, port: int) -> None:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = create_app(bootstrap.build(settings))
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    log.info("mashbot listening on http://%s:%s (policy %s)", host, port, app[SERVICE].policy.name)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
