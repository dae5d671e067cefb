"""`mashbot challenges export REF`: the timeline as JSON and text (subject access, audit)."""

from __future__ import annotations

import json
import stat
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from adapters.export import gather, write_export
from adapters.purge import purge
from storage import tables as t
from storage.database import Database
from tests.governance.conftest import REPORTED_AT, Generated, policy
from tests.governance.test_retention import PURGE_NOW


def pick(quarter500: Generated, scenario: str, with_lesson: bool = False) -> str:
    return next(e.reference for e in quarter500.quarter.expects
                if e.scenario == scenario and (e.lessons or not with_lesson))


async def test_a_live_challenge_exports_its_record_timeline_and_chain_links(
        quarter500: Generated, quarter_db: Database, tmp_path: Path) -> None:
    ref = pick(quarter500, "breach")
    export = await gather(quarter_db, policy(), ref.lower(), REPORTED_AT)
    assert export is not None and export.reference == ref
    doc = export.document
    assert doc["held"] == "live" and doc["challenge"]["case_reference"].startswith("LCS")
    assert doc["challenge"]["reason_text"] == "The partner's information was not weighed."
    assert doc["policy_snapshot"]["name"] == "lancashire"
    kinds = [e["kind"] for e in doc["timeline"]]
    assert kinds[0] == "raised" and kinds.count("escalated_timeout") == 3 and "breached" in kinds
    assert kinds[-1] == "outcome_accepted"
    ev = t.challenge_events.c
    async with quarter_db.uow(read_only=True) as uow:
        stored = (await uow.session.execute(select(ev.seq, ev.hash, ev.prev_hash).where(ev.reference == ref)
                                            .order_by(ev.seq))).all()
    assert [(e["seq"], e["hash"], e["prev_hash"]) for e in doc["timeline"]] == [tuple(r) for r in stored]
    assert {m["kind"] for m in doc["messages"]} >= {"review_requested", "csap_form", "breached", "closed"}
    assert doc["people"]["head-of-service"]["name"] == "Head Of Service"

    json_path, text_path = write_export(export, tmp_path / "out")
    assert json.loads(json_path.read_text(encoding="utf-8")) == doc
    for path in (json_path, text_path):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600  # it holds personal data
    text = text_path.read_text(encoding="utf-8")
    assert f"Challenge {ref}" in text and "Case reference:" in text
    assert "escalated (timeout)" in text and "breached (final stage overdue)" in text
    assert "Head Of Service" in text and "hash " in text


async def test_a_purged_challenge_exports_only_what_retention_kept(quarter500: Generated, quarter_db: Database) -> None:
    ref = pick(quarter500, "pm_quick", with_lesson=True)
    await purge(quarter_db, policy(), PURGE_NOW + timedelta(days=365))
    export = await gather(quarter_db, policy(), ref, REPORTED_AT)
    assert export is not None
    doc = export.document
    assert doc["held"] == "purged" and doc["challenge"] is None and doc["policy_snapshot"] is None
    assert doc["purged"]["kept_counts"]["reference"] == ref
    assert all(e["tombstoned"] and e["detail"] is None and e["actor_id"] is None for e in doc["timeline"])
    assert doc["messages"] == []
    blob = json.dumps(doc) + export.text
    assert "LCS1" not in blob and "not weighed" not in blob and "Threshold" not in blob
    assert "detail removed under the retention period" in export.text


async def test_an_unknown_reference_exports_nothing(quarter_db: Database) -> None:
    assert await gather(quarter_db, policy(), "CH-NOPE99", REPORTED_AT) is None
