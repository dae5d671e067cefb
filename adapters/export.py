"""`mashbot challenges export REF [--out DIR]`: everything mashbot holds about one challenge,
for a subject access request or an audit, as REF.json (for machines) and REF.txt (for people).

It holds the challenge as recorded (case reference, free text, outcome and rationale), its
timeline with each event's link of the audit hash chain (seq, prev_hash, hash: an auditor can
check them against `mashbot audit verify`), the staff involved, and the messages sent about it
(kind, recipient, channel, status and times — not their bodies). A purged challenge exports
what retention kept: the anonymised counts and the tombstoned timeline.

The files may hold personal data: they are written readable by their owner only.
"""

from __future__ import annotations

import argparse
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from adapters.bootstrap import build, utc_now
from bot.calendar import calendar_of
from bot.challenge import Challenge
from bot.policy import Policy
from bot.roster import Roster
from bot.texts import EVENT_LABELS, OUTCOME_LABELS
from storage import report_queries
from storage.database import Database

FORMAT = "mashbot-challenge-export/1"


@dataclass(frozen=True)
class Export:
    reference: str
    document: dict[str, Any]
    text: str


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at else None


def _people(roster: Roster, ids: set[str]) -> dict[str, dict[str, Any]]:
    found = {}
    for pid in sorted(i for i in ids if i):
        person = roster.get(pid)
        found[pid] = ({"name": person.name, "roles": list(person.roles), "email": str(person.email)}
                      if person else {"name": None, "note": "no longer in the roster"})
    return found


async def gather(database: Database, policy: Policy, reference: str, now: datetime) -> Export | None:
    """The export of one challenge (live or purged), or None when mashbot never held it."""
    reference = reference.strip().upper()
    async with database.uow(read_only=True) as uow:
        challenge = await uow.challenges.get(reference)
        summary = None if challenge else await report_queries.summary_of(uow.session, reference)
        chained = await report_queries.chained_events(uow.session, reference)
        messages = await report_queries.messages_about(uow.session, reference)
        roster = await uow.people.roster()
    if challenge is None and summary is None and not chained:
        return None
    snapshot = challenge.policy if challenge else policy
    cal = calendar_of(snapshot)

    def stage_name(index: int | None) -> str:
        return snapshot.stage(index).name if index is not None and 0 <= index < len(snapshot.stages) else ""

    timeline = [{
        "seq": c.seq,
        "at": _iso(c.event.at),
        "at_local": cal.describe_with_year(c.event.at),
        "kind": c.event.kind,
        "label": EVENT_LABELS.get(c.event.kind, c.event.kind),
        "actor_id": c.event.actor_id,
        "actor_name": roster.name_of(c.event.actor_id) if c.event.actor_id else None,
        "from_state": c.event.from_state,
        "to_state": c.event.to_state,
        "stage": c.event.stage,
        "stage_name": stage_name(c.event.stage),
        "detail": None if c.tombstoned else c.event.detail,
        "tombstoned": c.tombstoned,
        "prev_hash": c.prev_hash,
        "hash": c.hash,
    } for c in chained]
    ids: set[str] = {m.recipient for m in messages} | {c.event.actor_id for c in chained if c.event.actor_id}
    if challenge:
        ids |= {challenge.challenger_id, *challenge.reviewers, *(x for x in [challenge.owner_id] if x)}
    document: dict[str, Any] = {
        "format": FORMAT,
        "exported_at": now.isoformat(),
        "reference": reference,
        "held": "live" if challenge else "purged",
        "challenge": _challenge_doc(challenge) if challenge else None,
        "policy_snapshot": challenge.policy.model_dump(mode="json") if challenge else None,
        "purged": ({"purged_at": _iso(summary.purged_at), "purge_id": summary.purge_id,
                    "kept_counts": summary.facts.model_dump(mode="json")} if summary else None),
        "timeline": timeline,
        "messages": [{"kind": m.kind, "recipient": m.recipient, "channel": m.channel, "status": m.status,
                      "created_at": _iso(m.created_at), "sent_at": _iso(m.sent_at)} for m in messages],
        "people": _people(roster, ids),
        "audit": {"note": "Each timeline entry carries its link of the audit hash chain (seq, prev_hash, hash); "
                          "`mashbot audit verify` checks the whole chain."},
    }
    return Export(reference, document, _text(document, challenge, cal.describe_with_year, roster))


def _challenge_doc(ch: Challenge) -> dict[str, Any]:
    data = ch.model_dump(mode="json", exclude={"policy"})
    data["policy"] = {"name": ch.policy.name, "title": ch.policy.title}
    return data


def _detail_words(detail: dict[str, Any] | None, describe: Any) -> str:
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if value in (None, "", [], {}):
            continue
        if key.endswith("_at") and isinstance(value, str):
            try:
                value = describe(datetime.fromisoformat(value))
            except ValueError:
                pass
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value)
        parts.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(parts)


def _text(doc: dict[str, Any], ch: Challenge | None, describe: Any, roster: Roster) -> str:
    lines = [f"Challenge {doc['reference']} — export for a subject access request or an audit",
             f"Exported at {describe(datetime.fromisoformat(doc['exported_at']))}", ""]
    if ch is not None:
        lines += [
            f"Case reference:      {ch.case_reference}",
            f"Area:                {ch.area}",
            f"Agency and team:     {ch.agency or '—'}",
            (f"Raised by:           {roster.name_of(ch.challenger_id)} ({ch.raised_by.value}) at "
             f"{describe(ch.raised_at)}"),
            f"Decision challenged: {ch.decision_challenged}",
            f"Outcome asked for:   {ch.requested_outcome}",
            f"Reason:              {ch.reason_category}: {ch.reason_text}",
            f"Urgent:              {'yes — ' + (ch.urgent_reason or '') if ch.urgent else 'no'}",
            f"CP plan / looked after: {'yes' if ch.cp_or_looked_after else 'no'}",
            f"Policy:              {ch.policy.title}",
            f"Now:                 stage {ch.stage} {ch.policy.stage(ch.stage).name}; {ch.state.value}"
            + ("; BREACHED" if ch.breached else ""),
        ]
        if ch.outcome:
            lines += [(f"Outcome:             {OUTCOME_LABELS.get(ch.outcome.kind.value, ch.outcome.kind.value)} "
                       f"by {roster.name_of(ch.outcome.by)} at {describe(ch.outcome.at)}"),
                      f"Rationale:           {ch.outcome.rationale}"]
            if ch.outcome.case_note:
                lines.append(f"Case note:           {ch.outcome.case_note}")
    else:
        purged = doc["purged"]
        if purged:
            lines.append(f"Purged under the retention period at {describe(datetime.fromisoformat(purged['purged_at']))}: "
                         "the case reference and all free text were removed; only counts are kept.")
            kept = purged["kept_counts"]
            lines += [f"Kept: area {kept['area']}, agency {kept['agency']}, stage reached "
                      f"{kept['stage_reached_name']}, {kept['status']}"
                      + (f", outcome {kept['outcome']}" if kept.get("outcome") else "")]
        else:
            lines.append("The challenge row is gone; only its audit events remain.")
    lines += ["", "Timeline (audit trail: seq, time, what, stage, who; hash of the link):"]
    for e in doc["timeline"]:
        who = e["actor_name"] or ("—" if e["tombstoned"] else "mashbot (clock)")
        lines.append(f"  #{e['seq']:<6} {e['at_local']:<24} {e['label']:<40} {e['stage_name']:<18} {who}")
        words = "(detail removed under the retention period)" if e["tombstoned"] else _detail_words(e["detail"], describe)
        if words:
            lines.append(f"          {words}")
        lines.append(f"          hash {e['hash']}")
    lines += ["", "Messages sent about it (bodies not included):"]
    if not doc["messages"]:
        lines.append("  none held")
    for m in doc["messages"]:
        sent = describe(datetime.fromisoformat(m["sent_at"])) if m["sent_at"] else m["status"]
        lines.append(f"  {m['kind']:<24} to {roster.name_of(m['recipient'])} by {m['channel']}: {sent}")
    lines += ["", "People involved:"]
    for pid, person in doc["people"].items():
        lines.append(f"  {pid}: {person.get('name') or '(not in the roster)'}"
                     + (f", {', '.join(person['roles'])}" if person.get("roles") else ""))
    return "\n".join(lines) + "\n"


def _private_write(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.chmod(path, 0o600)


def write_export(export: Export, out_dir: str | Path) -> tuple[Path, Path]:
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    json_path, text_path = folder / f"{export.reference}.json", folder / f"{export.reference}.txt"
    _private_write(json_path, json.dumps(export.document, indent=2, ensure_ascii=False) + "\n")
    _private_write(text_path, export.text)
    return json_path, text_path


async def export_command(args: argparse.Namespace) -> int:
    service = build()
    try:
        export = await gather(service.database, service.policy, args.reference, utc_now())
    finally:
        await service.close()
    if export is None:
        print(f"mashbot: there is no challenge {args.reference}")
        return 1
    json_path, text_path = write_export(export, args.out or ".")
    print(f"Exported {export.reference} ({export.document['held']}): {json_path} and {text_path}")
    return 0


async def purged_note(reference: str) -> str | None:
    """For `challenges show`: a line saying the challenge was purged, or None."""
    service = build()
    try:
        async with service.database.uow(read_only=True) as uow:
            summary = await report_queries.summary_of(uow.session, reference.strip().upper())
    finally:
        await service.close()
    if summary is None:
        return None
    when = calendar_of(service.policy).describe_with_year(summary.purged_at)
    return (f"It was purged under the retention period at {when}; only its counts are kept "
            f"(`mashbot challenges export {summary.facts.reference}` shows them).")
