"""The quarterly report over a generated quarter of 500 challenges with known counts."""

from __future__ import annotations

import csv
import io
from collections import Counter
from datetime import date
from pathlib import Path

from sqlalchemy import select

from adapters.reports.data import load_facts, load_report
from adapters.reports.files import write_csv
from bot.challenge import Challenge, Event
from bot.facts import NOTICE_LABELS, challenge_facts
from bot.report import build_report, render_text
from storage import report_queries
from storage import tables as t
from storage.database import Database
from tests.governance.conftest import REPORTED_AT, Generated, policy
from tests.governance.quarter import QUARTER_END, QUARTER_START


async def report_of(database: Database, start: date = QUARTER_START, end: date = QUARTER_END):  # type: ignore[no-untyped-def]
    return await load_report(database, policy(), start, end, REPORTED_AT)


async def test_the_report_counts_what_the_500_scenarios_say(quarter500: Generated, quarter_db: Database) -> None:
    quarter = quarter500.quarter
    assert len(quarter.expects) == 500
    assert len({e.scenario for e in quarter.expects}) == 16  # every scenario ran
    report = await report_of(quarter_db)
    expected = quarter.counts()
    got = report.counts()
    assert set(got) == set(expected)
    for key, rows in expected.items():
        assert got[key] == rows, key
    assert report.raised == 500
    # the fixed lists keep their order (zero rows included) so quarters line up side by side
    assert [r.label for r in report.section("area").rows] == ["East", "Central", "North", "CSSH"]
    assert [r.label for r in report.section("stage_reached").rows] == [
        "Practice Manager", "Team Manager", "Senior Manager", "Head of Service",
        "Strategic Head of Service / Director"]  # the optional top step: a row even when none reach it
    assert next(iter(got["agency"])) == "Police"  # "Police — …", "police - CAIT" grouped, biggest first


async def test_some_headline_numbers_by_hand(quarter500: Generated, quarter_db: Database) -> None:
    """A few numbers counted straight from the scenario list, as a reader would check them."""
    ex = quarter500.quarter.expects
    by = Counter(e.scenario for e in ex)
    summary = (await report_of(quarter_db)).section("summary").as_dict()
    assert summary["Auto-escalations"] == (by["timeout_tm"] + 3 * by["breach"] + by["urgent_timeout"]
                                           + sum(e.scenario == "withdrawn" and e.stage_reached == 1 for e in ex))
    assert summary["Breached at the final stage"] == by["breach"]
    assert summary["Still open"] == by["open"] == 20
    assert summary["Complaints redirected (not challenges)"] == 37
    notices = (await report_of(quarter_db)).section("notices").as_dict()
    assert notices[NOTICE_LABELS["csap_form"]] == by["full_ladder"] + by["breach"]
    assert notices[NOTICE_LABELS["edt_notice"]] == by["urgent_out_of_hours"]
    assert notices[NOTICE_LABELS["csap_non_involvement"]] == by["csap_told"]


async def test_the_report_agrees_with_each_challenge_as_stored(quarter_db: Database) -> None:
    """What `challenges show` prints (the stored challenge) and the report's facts agree."""
    async with quarter_db.uow(read_only=True) as uow:
        challenges = await uow.challenges.listing(active_only=False)
        events = await report_queries.events_by_reference(uow.session, [c.reference for c in challenges])
    assert len(challenges) == 500
    for ch in challenges:
        facts = challenge_facts(ch, events[ch.reference])
        assert facts.stage_reached == ch.stage, ch.reference
        assert facts.status == {"closed": "closed", "withdrawn": "withdrawn"}.get(ch.state.value, "open")
        assert facts.breached == ch.breached
        if ch.state.value == "closed":
            assert ch.outcome is not None and facts.outcome == ch.outcome.kind.value
        assert facts.urgent_at_raise or facts.marked_urgent or not ch.urgent
        assert facts.cp_or_looked_after == ch.cp_or_looked_after


async def test_notices_counted_from_events_match_the_outbox(quarter_db: Database) -> None:
    """The report derives notices from the audit events; the outbox holds what was queued."""
    report = await report_of(quarter_db)
    o = t.outbox.c
    async with quarter_db.uow(read_only=True) as uow:
        rows = (await uow.session.execute(
            select(o.reference, o.kind, o.created_at).where(o.kind.in_(list(NOTICE_LABELS))).distinct())).all()
    queued = Counter(kind for _, kind, _ in rows)
    assert report.section("notices").as_dict() == {NOTICE_LABELS[k]: queued[k] for k in NOTICE_LABELS}
    assert all(queued[k] > 0 for k in NOTICE_LABELS)


async def test_the_period_is_by_local_date_raised(quarter500: Generated, quarter_db: Database) -> None:
    april = await report_of(quarter_db, date(2026, 4, 1), date(2026, 4, 30))
    expected = sum(e.raised_at.date() <= date(2026, 4, 30) for e in quarter500.quarter.expects)
    assert april.raised == expected > 0
    empty = await report_of(quarter_db, date(2025, 1, 1), date(2025, 3, 31))
    assert empty.raised == 0
    assert empty.section("summary").as_dict()["Challenges raised"] == 0
    assert all(t.median_working_days is None for t in empty.timeliness)
    assert "Lessons learned\n  none raised" in render_text(empty)


async def test_the_html_report_leaves_out_empty_charts_and_says_lessons_learned_once(
        quarter500: Generated, quarter_db: Database) -> None:
    import re

    from adapters.reports.html import render_html

    empty = render_html(await report_of(quarter_db, date(2025, 1, 1), date(2025, 3, 31)))
    assert "<img" not in empty and "Nothing to chart" not in empty  # all-zero sections: tables only
    full = render_html(await report_of(quarter_db, QUARTER_START, QUARTER_END))
    headings = re.findall(r"<h2[^>]*>([^<]*)</h2>", full)
    assert headings.count("Lessons learned") == 1 and "Lessons learned raised" not in headings
    assert "<img" in full  # charts where there is something to chart


async def test_lessons_learned_are_listed_with_their_text(quarter500: Generated, quarter_db: Database) -> None:
    report = await report_of(quarter_db)
    expected = sum(len(e.lessons) for e in quarter500.quarter.expects)
    assert len(report.lessons) == expected > 0
    text = render_text(report)
    assert "Threshold training for new partner staff." in text
    assert "Training need" in text


async def test_the_csv_opens_cleanly_in_excel(quarter_db: Database, tmp_path: Path) -> None:
    report = await report_of(quarter_db)
    path = write_csv(report, tmp_path / "q.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM tells Excel it is UTF-8
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert rows[0] == ["section", "label", "count"]
    assert all(len(r) == 3 for r in rows)
    table = [(s, lbl, v) for s, lbl, v in rows[1:]]
    assert ("Summary", "Challenges raised", "500") in table
    assert ("Area receiving", "East", str(report.section("area").as_dict()["East"])) in table
    medians = [r for r in table if r[1] == "Median working days"]
    assert len(medians) == 5 and all(float(v) >= 0 for _, _, v in medians if v)  # none reach the top step
    assert any("–" in s or "–" in lbl for s, lbl, _ in table)  # en dash survives (level names)


def test_a_formula_typed_as_an_agency_is_quoted_in_the_csv(tmp_path: Path) -> None:
    from tests.governance.test_core import facts_for

    report = build_report([facts_for("CH-1", agency="=HYPERLINK(1)")], [], start=date(2026, 4, 1),
                          end=date(2026, 6, 30), generated_at=REPORTED_AT, policy=policy())
    text = write_csv(report, tmp_path / "x.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


async def test_facts_load_live_challenges_and_summaries_once(quarter_db: Database) -> None:
    facts, tallies = await load_facts(quarter_db, policy(), QUARTER_START, QUARTER_END)
    assert len({f.reference for f in facts}) == len(facts) == 500
    assert sum(n for key, _, _, n in tallies if key == "complaint_redirected") == 37


def test_events_of_another_challenge_are_ignored() -> None:
    from tests.governance.test_core import raised_challenge

    challenge, events = raised_challenge()
    stray = Event(reference="CH-OTHER", kind="breached", at=challenge.raised_at, actor_id=None, from_state=None,
                  to_state=None, stage=0)
    assert not challenge_facts(challenge, [*events, stray]).breached
    assert isinstance(challenge, Challenge)
