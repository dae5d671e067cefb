"""What each `mashbot` CLI command does. Each returns the process exit code."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date, datetime

from adapters import bootstrap, local_modes
from adapters.policy_files import describe_policy, load_policy
from adapters.roster_files import check_roster, demo_roster_path, describe_roster, load_roster_file
from adapters.settings import Settings
from bot.audit import audit_key
from bot.calendar import WorkingCalendar, calendar_of
from bot.challenge import UNDECIDED_STATES
from bot.errors import InvalidCommand
from bot.policy import Policy
from bot.roster import Roster
from bot.summary import Listed
from storage import summaries
from storage.migrate import upgrade


async def serve(args: argparse.Namespace) -> int:
    from adapters.mail import describe_mail
    from adapters.web import run

    settings = Settings()
    print(describe_mail(settings))  # a mail setting that cannot work stops the start, before anything runs
    try:  # before the database is touched
        local_modes.check(settings, args.host or settings.host)
    except local_modes.LocalOnlyError as exc:
        print(f"mashbot: {exc}", file=sys.stderr)
        return 1
    if settings.audit_key is None and settings.is_real_deployment:
        print("mashbot: MASHBOT_AUDIT_KEY is not set. With a chat channel or email configured the audit trail "
              "must be keyed by a secret the database does not hold: set MASHBOT_AUDIT_KEY to at least 16 random "
              "characters (e.g. `openssl rand -hex 32`), the same on every replica, and keep it out of the "
              "database's backups.", file=sys.stderr)
        return 2
    await upgrade(settings.database_url)
    # One service, so one engine and its connection, for the start-up checks and then serving.
    service = bootstrap.build(settings)
    try:
        print(await keep_audit_keyed(settings, service))
        print(await load_startup_roster(settings, service))
    except BaseException:
        await service.close()
        raise
    await run(settings, host=args.host or settings.host, port=args.port if args.port is not None else settings.port,
              service=service)
    return 0


async def load_startup_roster(settings: Settings, serving: bootstrap.Service | None = None) -> str:
    """MASHBOT_ROSTER is (re)loaded at start; with none set, an empty roster gets the demo one.

    A bad file stops the start (RosterFileError / MashbotError) and changes nothing stored.
    Given the service about to serve, it is used and left open; otherwise one is built and closed.
    """
    service = serving or bootstrap.build(settings)
    try:
        if settings.roster:
            return await _replace_roster(service, settings.roster)
        async with service.database.uow() as uow:
            imported = await uow.people.count()
        if imported:  # counted, not loaded: the start does not validate every person
            return "Using the roster already imported."
        return await _replace_roster(service, demo_roster_path()) + \
            " (the fictional demo roster: set MASHBOT_ROSTER to your own file)"
    finally:
        if serving is None:
            await service.close()


async def _replace_roster(service: bootstrap.Service, path: str | os.PathLike[str]) -> str:
    people = load_roster_file(path)
    problems = check_roster(people, service.policy)
    if problems:
        listed = "\n".join(f"  - {problem}" for problem in problems)
        raise InvalidCommand(f"Roster {path} not imported; fix these first (nothing was changed):\n{listed}")
    async with service.database.uow() as uow:
        await uow.people.replace(people, source=str(path))
        await uow.commit()
    return f"Imported {len(people)} people from {path}."


async def db_upgrade(args: argparse.Namespace) -> int:
    settings = Settings()
    await upgrade(settings.database_url)
    print("Database is at the latest schema.")
    print(await keep_audit_keyed(settings))
    return 0


async def keep_audit_keyed(settings: Settings, serving: bootstrap.Service | None = None) -> str:
    """After migrating: re-sign a trail from before keying once, refuse one signed with another key.

    Given the service about to serve, it is used and left open; otherwise one is built and closed."""
    from storage.audit_keys import keep_keyed

    service = serving or bootstrap.build(settings)
    try:
        done = await keep_keyed(service.database)
    finally:
        if serving is None:
            await service.close()
    note = DEVELOPMENT_KEY_WARNING if service.database.audit_key.development else "Audit trail keyed by MASHBOT_AUDIT_KEY."
    if done is None:
        return note
    if not done.from_legacy and not done.events:
        return (f"Challenge rows re-sealed over their new columns after the policy-snapshot migration: "
                f"{done.challenges} challenges (key id {done.key_id}). {note}")
    return (f"Audit trail from before keying verified and re-signed: {done.events} events, "
            f"{done.challenges} challenges (key id {done.key_id}). {note}")


DEVELOPMENT_KEY_WARNING = ("WARNING: MASHBOT_AUDIT_KEY is not set, so the audit trail is signed with the public "
                           "development key: anyone who can write to the database could forge it. "
                           "Fine for a demo; set MASHBOT_AUDIT_KEY for real use.")


async def roster_import(args: argparse.Namespace) -> int:
    configured = Settings().roster
    if not args.file and not args.demo and not configured:
        print("mashbot: give a roster FILE (YAML or CSV), or --demo, or set MASHBOT_ROSTER")
        return 2
    service = bootstrap.build()
    try:
        print(await _replace_roster(service, demo_roster_path() if args.demo else (args.file or configured)))
    finally:
        await service.close()
    return 0


async def _roster(service: bootstrap.Service) -> Roster:
    async with service.database.uow() as uow:
        return await uow.people.roster()


async def roster_show(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        roster = await _roster(service)
    finally:
        await service.close()
    if not len(roster):
        print("The roster is empty. Import one: mashbot roster import FILE (or --demo).")
        return 1
    print(describe_roster(list(roster.people)))
    return 0


async def roster_check(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        roster = await _roster(service)
    finally:
        await service.close()
    problems = check_roster(list(roster.people), service.policy) if len(roster) else ["the roster is empty"]
    for problem in problems:
        print(f"  - {problem}")
    if problems:
        print(f"{len(problems)} problem(s) with the roster for policy {service.policy.name}.")
        return 1
    print(f"Roster OK for policy {service.policy.name}: {len(roster)} people.")
    return 0


def _policy_arg(value: str | None) -> str:
    return value or Settings().policy


def _today(policy: Policy) -> date:
    return datetime.now(calendar_of(policy).zone).date()


async def policy_show(args: argparse.Namespace) -> int:
    policy = load_policy(_policy_arg(args.file))
    print(describe_policy(policy, _today(policy)))
    return 0


async def policy_check(args: argparse.Namespace) -> int:
    name = _policy_arg(args.file)
    policy = load_policy(name)
    print(f"Policy {name} is valid: {policy.title}, {len(policy.stages)} stages.")
    for warning in policy.review_warnings(_today(policy)):
        print(f"WARNING: {warning}")  # a warning, not an error: the pack still loads
    return 0


async def calendar_due(args: argparse.Namespace) -> int:
    policy = load_policy(_policy_arg(args.policy))
    cal = calendar_of(policy)
    start: datetime = args.start if args.start.tzinfo else args.start.replace(tzinfo=cal.zone)
    if args.hours is not None:
        due = cal.hours_after(start, args.hours)
    elif args.days is not None and args.days >= 1:
        due = cal.working_days_after(start, args.days)
    else:
        print("mashbot: give N working days (1 or more) or --hours H")
        return 2
    print(cal.local(due).isoformat())
    return 0


def _row(c: Listed, roster: Roster, now: datetime, calendars: dict[int, WorkingCalendar] | None = None) -> str:
    cal = calendars.get(id(c.policy)) if calendars is not None else None
    if cal is None:
        cal = calendar_of(c.policy)
        if calendars is not None:
            calendars[id(c.policy)] = cal
    who = ", ".join(roster.name_of(r) for r in c.responsible)
    flags = " ".join(f for f, on in (("URGENT", c.urgent), ("BREACHED", c.breached)) if on)
    due = cal.describe(c.due_at) if c.state in UNDECIDED_STATES else "—"
    return (f"{c.reference:<10} {c.area:<8} {c.policy.stage(c.stage).name:<18} {c.state.value:<25} "
            f"{due:<18} {who} {flags}".rstrip())


async def challenges_list(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        async with service.database.uow(read_only=True) as uow:
            found = await summaries.summaries(uow.session, service.database.snapshots,
                                              summaries.ListFilter(state=None if args.all else summaries.OPEN),
                                              by_raised=True)
            roster = await uow.people.roster()
    finally:
        await service.close()
    if not found:
        print("No challenges." if args.all else "No open challenges.")
        return 0
    now = bootstrap.utc_now()
    calendars: dict[int, WorkingCalendar] = {}
    print("\n".join([f"{'REF':<10} {'AREA':<8} {'STAGE':<18} {'STATE':<25} {'DUE':<18} WHO",
                     *(_row(c, roster, now, calendars) for c in found)]))
    return 0


async def challenges_show(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    try:
        async with service.database.uow() as uow:
            c = await uow.challenges.get(args.reference.strip().upper())
            roster = await uow.people.roster()
            events = await uow.events.for_challenge(c.reference) if c else []
    finally:
        await service.close()
    if c is None:
        print(f"mashbot: there is no challenge {args.reference}")
        # --- governance: say so when retention purged it ---
        from adapters.export import purged_note

        note = await purged_note(args.reference)
        if note:
            print(note)
        # --- end governance ---
        return 1
    cal = calendar_of(c.policy)
    print(f"{c.reference}  case {c.case_reference}  area {c.area}  policy {c.policy.name}")
    print(f"raised by {roster.name_of(c.challenger_id)} ({c.raised_by.value}) at {cal.describe_with_year(c.raised_at)}")
    print(f"{c.policy.stage(c.stage).name} ({c.policy.stage_label(c.stage)}); state {c.state.value}"
          + (f"; due {cal.describe_with_year(c.due_at)}" if c.state in UNDECIDED_STATES else "")
          + ("; URGENT" if c.urgent else "") + ("; BREACHED" if c.breached else ""))
    if c.outcome:
        print(f"outcome: {c.outcome.kind.value} by {roster.name_of(c.outcome.by)}")
    print("timeline:")
    # The timeline speaks the commands' words (bot.commands): loaded by this command, not by every one.
    from bot.timeline import timeline as audit_timeline

    for entry in audit_timeline(c, events, roster):
        detail = f"  ({entry.detail})" if entry.detail else ""
        print(f"  {entry.when:<24} {entry.label:<40} {entry.stage_name:<18} {entry.actor}{detail}")
    return 0


async def tick(args: argparse.Namespace) -> int:
    from adapters.tick_command import tick_command

    return await tick_command(args)


async def due(args: argparse.Namespace) -> int:
    service = bootstrap.build()
    now = service.rehearsal_now(args.now)
    cal = calendar_of(service.policy)
    horizon = cal.working_days_after(now, max(args.days, 1))
    try:
        async with service.database.uow(read_only=True) as uow:
            found = await summaries.summaries(uow.session, service.database.snapshots,
                                              summaries.ListFilter(state=summaries.OPEN))
            roster = await uow.people.roster()
    finally:
        await service.close()
    soon = sorted((c for c in found if c.state in UNDECIDED_STATES and c.due_at <= horizon), key=lambda c: c.due_at)
    if not soon:
        print(f"Nothing falls due by {cal.describe_with_year(horizon)}.")
        return 0
    for c in soon:
        print(_row(c, roster, now))
    return 0


async def audit_verify(args: argparse.Namespace) -> int:
    from storage.audit_chain import verify_database
    from storage.audit_keys import trail_key_id

    service = bootstrap.build()
    key = service.database.audit_key
    try:
        check = await verify_database(service.database)  # tombstone-aware: still verifies after a purge
        signed_with = await trail_key_id(service.database)
    finally:
        await service.close()
    if key.development:
        print(DEVELOPMENT_KEY_WARNING)
    if check.ok:
        print(f"Audit trail verified: {check.events} events, hash chain intact (HMAC-SHA256), every challenge agrees with its "
              f"events (key id {key.key_id}).")
        return 0
    if check.broken is not None:
        print(f"Audit trail BROKEN at event {check.broken}: that link (or one before it) was changed or removed. "
              f"{check.events} events verify before it.")
    else:
        print(f"Audit trail does NOT verify: {check.events} events chain correctly, but "
              f"{len(check.problems)} challenge(s) do not agree with them.")
    for problem in check.problems:
        print(f"  - {problem}")
    if signed_with is None and check.events:
        print("The trail was written before it was keyed: `mashbot db upgrade` re-signs it once it verifies.")
    elif signed_with not in (None, key.key_id):
        print(f"The trail is signed with key id {signed_with}; MASHBOT_AUDIT_KEY has key id {key.key_id}.")
    return 1


async def audit_rekey(args: argparse.Namespace) -> int:
    from storage.audit_keys import rekey

    settings = Settings()
    if settings.audit_key is None:
        print("mashbot: set MASHBOT_AUDIT_KEY to the new key (and MASHBOT_AUDIT_OLD_KEY to the old one) first",
              file=sys.stderr)
        return 2
    try:
        old = audit_key(settings.audit_old_key.get_secret_value() if settings.audit_old_key else None)
    except ValueError as exc:
        raise InvalidCommand(str(exc).replace("MASHBOT_AUDIT_KEY", "MASHBOT_AUDIT_OLD_KEY")) from None
    service = bootstrap.build(settings)
    try:
        done = await rekey(service.database, old)
    finally:
        await service.close()
    was = "the unkeyed trail from before keying" if done.from_legacy else f"key id {old.key_id}"
    print(f"Audit trail verified under {was} and re-signed under key id {done.key_id}: {done.events} events, "
          f"{done.challenges} challenges. Give every replica the new MASHBOT_AUDIT_KEY before it starts again.")
    return 0


# --- digest: the command lives in adapters/digest.py, the use case in dialogs/digest.py ---
async def digest(args: argparse.Namespace) -> int:
    from adapters.digest import digest_command

    return await digest_command(args.dry_run, args.date, args.now)
# --- end digest ---


# --- governance: the commands live in adapters/reports, adapters/purge.py, adapters/export.py ---
async def report_quarterly(args: argparse.Namespace) -> int:
    from adapters.reports.command import report_command

    return await report_command(args)


async def purge(args: argparse.Namespace) -> int:
    from adapters.purge import purge_command

    return await purge_command(args)


async def challenges_export(args: argparse.Namespace) -> int:
    from adapters.export import export_command

    return await export_command(args)
# --- end governance ---
