"""The console's lists at a county's size: one page of 50, open first and soonest due first,
filtered by area / stage / state, never every challenge ever raised (10,000 here)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import insert

from bench.seeding import challenges, row
from bot.challenge import State
from storage import tables as t
from storage.snapshots import snapshot_of
from tests.console.conftest import START, Console

N = 10_000


async def seed(console: Console) -> None:
    policy = console.service.policy
    digest, text = snapshot_of(policy)
    rows = []
    for i, c in enumerate(challenges(policy, N, 0, "CH-")):
        update: dict[str, object] = {"due_at": START + timedelta(days=1, minutes=N - i)}
        if c.area == "East":
            update.update(reviewers=("ava.okafor", "ben.hartley"), owner_id=None, state=State.OPEN)
        if i % 5 == 1:  # a fifth of them long finished
            update.update(state=State.CLOSED, closed_at=START - timedelta(days=30))
        rows.append(row(c.model_copy(update=update), digest))
    async with console.service.database.uow() as uow:
        await uow.session.execute(insert(t.policy_snapshots).values(digest=digest, name=policy.name, data=text))
        for start in range(0, N, 2_000):
            await uow.session.execute(insert(t.challenges), rows[start:start + 2_000])
        await uow.commit()


def references(page: str) -> list[str]:
    return re.findall(r'<a href="/challenges/(CH-\d+)">', page)


async def test_all_challenges_shows_one_page_open_first_soonest_due_with_case_references(console: Console) -> None:
    await seed(console)
    response = await console.client.get("/challenges")
    page = await response.text()
    assert response.status == 200
    shown = references(page)
    assert len(shown) == 50 and len(page) < 200_000  # not 10,000 rows and their action forms
    assert "Case reference" in page and "LCS009999" in page  # due soonest: the last raised
    assert shown[0] == "CH-0009999" and "Page 1 of 200" in page and "<td>Closed</td>" not in page
    assert 'action="/challenges/CH-' not in page  # the actions are on each challenge's own page
    last_open = await (await console.client.get("/challenges?page=160")).text()
    assert "<td>Closed</td>" not in last_open  # 8,000 open ones come first
    last = await (await console.client.get("/challenges?page=200")).text()
    assert "<td>Closed</td>" in last and "Next 50" not in last


async def test_all_challenges_filters_by_area_stage_and_state(console: Console) -> None:
    await seed(console)
    north = await (await console.client.get("/challenges?area=North&stage=1&state=open")).text()
    assert north.count("<td>North</td>") == 50 and "<td>East</td>" not in north
    finished = await (await console.client.get("/challenges?state=finished&area=East")).text()
    assert "<td>Closed</td>" in finished and "<td>Waiting to be accepted</td>" not in finished
    second = await (await console.client.get("/challenges?area=North&page=2")).text()
    assert 'href="/challenges?area=North&amp;page=1"' in second and 'href="/challenges?area=North&amp;page=3"' in second


async def test_bad_list_filters_are_refused_with_what_to_fix(console: Console) -> None:
    for query, fix in (("area=Mars", "use one of East"), ("stage=9", "from 0 to 4"), ("state=lost", "use one of"),
                       ("page=0", "use 1 or more"), ("page=abc", "use 1 or more")):
        response = await console.client.get(f"/challenges?{query}")
        assert response.status == 400 and fix in await response.text(), query


async def test_the_inbox_is_paged_and_shows_only_the_viewers_cards(console: Console) -> None:
    await seed(console)
    await console.act_as("ava.okafor")
    page = await (await console.client.get("/")).text()
    cards = set(re.findall(r'action="/challenges/(CH-\d+)/accept"', page))
    assert len(cards) == 50 and "Next 50" in page
    assert all(int(ref[3:]) % 4 == 0 for ref in cards)  # East's only (every fourth row)
    assert len(page) < 1_000_000
    other = await (await console.client.get("/?page=2")).text()
    assert cards.isdisjoint(re.findall(r'action="/challenges/(CH-\d+)/accept"', other))


async def test_the_digest_page_shows_a_bounded_number_of_lines(console: Console) -> None:
    await seed(console)
    page = await (await console.client.get("/digest")).text()
    assert "Senior Manager digest" in page and len(page) < 400_000
    assert "more: <a" in page  # the rest are on the all-challenges list


def test_the_digest_overview_counts_each_areas_open_urgent_overdue_due_today_closed_and_new() -> None:
    from adapters.console.paging import overview
    from bench.seeding import NOW, load_policy
    from bot.calendar import calendar_of

    policy = load_policy()
    cal = calendar_of(policy)
    base = challenges(policy, 1, 0, "CH-")[0]
    earlier = NOW - timedelta(days=3)
    end_of_today = cal.closing_of(cal.local(NOW).date())
    made = [
        base.model_copy(update={"area": "East", "raised_at": NOW - timedelta(minutes=5), "due_at": NOW + timedelta(days=2)}),
        base.model_copy(update={"area": "East", "raised_at": earlier, "due_at": NOW - timedelta(hours=1), "urgent": True}),
        base.model_copy(update={"area": "East", "raised_at": earlier, "state": State.CLOSED, "closed_at": NOW}),
        base.model_copy(update={"area": "North", "raised_at": earlier, "due_at": end_of_today - timedelta(minutes=1)}),
        base.model_copy(update={"area": "North", "raised_at": earlier, "due_at": NOW + timedelta(days=2),
                                "breached": True}),
    ]
    lines = {line["area"]: line for line in overview(made, NOW, cal)}
    assert {k: lines["East"][k] for k in ("open", "urgent", "overdue", "due_today", "closed", "raised_today")} == \
        {"open": 2, "urgent": 1, "overdue": 1, "due_today": 0, "closed": 1, "raised_today": 1}
    assert {k: lines["North"][k] for k in ("open", "urgent", "overdue", "due_today", "closed", "raised_today")} == \
        {"open": 2, "urgent": 0, "overdue": 1, "due_today": 1, "closed": 0, "raised_today": 0}
    assert lines["Central"]["open"] == lines["CSSH"]["open"] == 0
