"""Fuzz of Teams activities through the real HTTP edge (local mode, fake connector on
loopback): thousands of broken messages, card presses and updates, and not one 5xx or
traceback. Bounded and seeded (MASHBOT_FUZZ_SEED picks another run)."""

from __future__ import annotations

import logging
import os
import random
import time
from typing import Any

import pytest

from tests.security.fuzz import mutate, raw_json
from tests.teams import conftest as teams_fixtures
from tests.teams.support import (
    AVA,
    BEN,
    STRANGER,
    TARA,
    Teams,
    conversation_update,
    execute_for,
    installation_update,
    invoke,
    message,
    verbs,
)
from tests.teams.test_messages import GOOD_INTAKE

# The Teams tests' fixtures (the app in local mode, a fake connector), used here as they are.
clean_env, connector, db_url, teams, teams_template = (teams_fixtures.clean_env, teams_fixtures.connector,
                                                       teams_fixtures.db_url, teams_fixtures.teams,
                                                       teams_fixtures.teams_template)
CASES = 2000
SEED = int(os.environ.get("MASHBOT_FUZZ_SEED", "11"))
WORDS = ["help", "challenge", "/challenge", "challenges", "status CH-ABCDEF", "status", "", "list", "x" * 3000]


def _tracebacks(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [f"{r.name}: {r.getMessage()}" for r in caplog.records
            if r.exc_info or "Traceback" in r.getMessage() or r.levelno >= logging.ERROR]


async def _seeds(teams: Teams) -> list[dict[str, Any]]:
    """Real activities with real signed card actions: an intake and a Practice Manager's card."""
    url = teams.url
    for user in (AVA, BEN):
        await teams.install(user)
    (form,) = await teams.say(TARA, "challenge")
    raised = await teams.press(TARA, form, "intake", **GOOD_INTAKE)
    await teams.dispatch()
    manager_card = teams.connector.last_card(AVA.conversation)
    challenger_card = raised["value"]
    seeds = [message(user, url, word) for user in (TARA, AVA, STRANGER) for word in WORDS[:4]]
    seeds += [conversation_update(TARA, url), installation_update(BEN, url),
              invoke(TARA, url, execute_for(form, "intake"), GOOD_INTAKE)]
    seeds += [invoke(AVA, url, execute_for(manager_card, verb), {}) for verb in verbs(manager_card)]
    seeds += [invoke(TARA, url, execute_for(challenger_card, verb), {}) for verb in verbs(challenger_card)]
    return seeds


async def test_thousands_of_broken_activities_get_no_5xx_and_log_no_traceback(
        teams: Teams, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    seeds = await _seeds(teams)
    rng = random.Random(SEED)
    statuses: dict[int, int] = {}
    started = time.monotonic()
    for case in range(CASES):
        activity = rng.choice(seeds)
        broken = mutate(activity, rng) if rng.random() < 0.9 else activity
        raw = raw_json(broken, rng)
        headers = {"Content-Type": raw.content_type} if raw.content_type else {}
        response = await teams.client.post("/api/messages", data=raw.body, headers=headers)
        await response.read()
        statuses[response.status] = statuses.get(response.status, 0) + 1
        assert response.status < 500, (SEED, case, raw.content_type, raw.body[:500])
        if case % 100 == 0:
            await teams.dispatch()  # what the presses queued goes out too (and must not crash)
    assert not _tracebacks(caplog), _tracebacks(caplog)[:5]
    assert statuses.get(400, 0) > CASES // 4  # most cases are broken...
    assert sum(n for s, n in statuses.items() if s < 300) > CASES // 20  # ...and some still get through
    print(f"teams fuzz: {CASES} requests, seed {SEED}, {time.monotonic() - started:.1f}s, statuses {statuses}")
