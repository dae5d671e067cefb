"""Shared test set-up: a migrated database holding the fictional demo roster, and Chromium."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from adapters import bootstrap
from adapters.roster_files import demo_roster_path, load_roster_file
from adapters.settings import Settings
from storage.migrate import upgrade

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
BROWSER_TIMEOUT_MS = 20_000


async def import_demo_roster(service: bootstrap.Service) -> None:
    async with service.database.uow() as uow:
        await uow.people.replace(load_roster_file(demo_roster_path()), source="demo")
        await uow.commit()


async def demo_database(url: str) -> str:
    """Migrate `url` and load the demo roster into it; returns the url."""
    await upgrade(url)
    service = bootstrap.build(Settings(_env_file=None, MASHBOT_DATABASE_URL=url))  # type: ignore[call-arg]
    try:
        await import_demo_roster(service)
    finally:
        await service.close()
    return url


def need_chromium() -> None:
    """Browser tests fail (not skip) without Debian's Chromium, unless MASHBOT_SKIP_BROWSER=1."""
    if CHROMIUM.exists():
        return
    if os.environ.get("MASHBOT_SKIP_BROWSER") == "1":
        pytest.skip("Chromium is not installed and MASHBOT_SKIP_BROWSER=1")
    pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium), or set "
                "MASHBOT_SKIP_BROWSER=1 to skip the browser tests", pytrace=False)
