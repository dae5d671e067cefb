"""`mashbot` — the administrator's command line (names per DESIGN.md §8)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine, Sequence
from datetime import date, datetime
from typing import Any

from adapters import admin
from adapters.email import MailSettingsError
from adapters.policy_files import PolicyFileError
from adapters.roster_files import RosterFileError
from bot.errors import MashbotError

Handler = Callable[[argparse.Namespace], Coroutine[Any, Any, int]]


def _iso(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a date-time; use ISO 8601 like 2026-12-24T14:00 or 2026-12-24T14:00+00:00"
        ) from exc


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD like 2027-01-04") from exc


# The one --now rule: `--now T` shows a command as it would be at T and never changes
# anything. A command that only reads (due, report, digest --dry-run, purge --dry-run) reads
# as at T; one that writes rehearses instead: `tick` runs in a transaction that is rolled
# back, `digest` and `purge` become their --dry-run. Writing at another instant is only for
# the console's demo clock and tests, which move the service's own clock.
NOW_HELP = "rehearse as at this instant (ISO 8601; naive = the policy's local time); changes nothing"


def _now_option(parser: argparse.ArgumentParser, *, shown: bool = True) -> None:
    parser.add_argument("--now", type=_iso, help=NOW_HELP if shown else argparse.SUPPRESS)


def apply_now_rule(args: argparse.Namespace) -> None:
    """A writing command given --now rehearses: its --dry-run is switched on (tick rolls back)."""
    if getattr(args, "now", None) is not None and getattr(args, "dry_run", None) is False:
        args.dry_run = True
        print("mashbot: --now rehearses and changes nothing: shown as with --dry-run", file=sys.stderr)


def _add(sub: Any, name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = sub.add_parser(name, help=help_text, description=help_text)
    parser.set_defaults(handler=handler)
    return parser


# --- teams ---
async def _manifest_teams(args: argparse.Namespace) -> int:
    from adapters.teams.manifest import manifest_command

    return await manifest_command(args)
# --- end teams ---


# --- slack ---
async def _manifest_slack(args: argparse.Namespace) -> int:
    from adapters.slack.manifest import manifest_command

    return await manifest_command(args)
# --- end slack ---


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mashbot", description="MASH professional-challenge bot")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = _add(sub, "serve", admin.serve, "run the web service (aiohttp) with /healthz")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)

    db = sub.add_parser("db", help="database").add_subparsers(dest="db_command", required=True)
    _add(db, "upgrade", admin.db_upgrade, "create or migrate the database to the latest schema")

    roster = sub.add_parser("roster", help="the roster of people").add_subparsers(dest="roster_command", required=True)
    imp = _add(roster, "import", admin.roster_import, "replace the roster from a YAML or CSV file (atomic)")
    imp.add_argument("file", nargs="?")
    imp.add_argument("--demo", action="store_true", help="import the fictional demo roster")
    _add(roster, "show", admin.roster_show, "print the roster in use")
    _add(roster, "check", admin.roster_check, "check the roster in use against the active policy")

    policy = sub.add_parser("policy", help="policy packs").add_subparsers(dest="policy_command", required=True)
    show = _add(policy, "show", admin.policy_show, "print the ladder of a policy pack")
    show.add_argument("file", nargs="?", help="pack name or YAML file (default MASHBOT_POLICY)")
    check = _add(policy, "check", admin.policy_check, "validate a policy pack")
    check.add_argument("file", nargs="?", help="pack name or YAML file (default MASHBOT_POLICY)")

    cal = sub.add_parser("calendar", help="the working-day clock").add_subparsers(dest="cal_command", required=True)
    due = _add(cal, "due", admin.calendar_due, "when a limit starting at FROM (policy local time) runs out")
    due.add_argument("start", metavar="FROM", type=_iso, help="local time, e.g. 2026-12-24T14:00")
    due.add_argument("days", metavar="N", type=int, nargs="?", help="working days")
    due.add_argument("--hours", type=float, help="clock hours instead of working days")
    due.add_argument("--policy", help="pack name or YAML file (default MASHBOT_POLICY)")

    ch = sub.add_parser("challenges", help="challenges").add_subparsers(dest="ch_command", required=True)
    lst = _add(ch, "list", admin.challenges_list, "list open challenges")
    lst.add_argument("--all", action="store_true", help="include closed and withdrawn")
    one = _add(ch, "show", admin.challenges_show, "show one challenge and its timeline")
    one.add_argument("reference", metavar="REF")

    tick = _add(sub, "tick", admin.tick,
                "apply every time limit and nudge that fell due, then send the outbox (for cron)")
    tick.add_argument("--now", type=_iso, help="rehearse the tick at this instant: print which stages would move "
                      "and who would be told what; writes and sends nothing")
    tick.add_argument("--no-send", action="store_true", help="apply the tick but leave the outbox for `serve` to send")
    upcoming = _add(sub, "due", admin.due, "challenges falling due in the next N working days")
    upcoming.add_argument("--days", type=int, default=1)
    _now_option(upcoming)

    # --- digest ---
    digest = _add(sub, "digest", admin.digest,
                  "the Senior Managers' daily digest: print it (--dry-run), or queue and send today's")
    digest.add_argument("--dry-run", action="store_true", help="print what each recipient would get; send nothing")
    digest.add_argument("--date", type=_date, help="local date YYYY-MM-DD: the digest as at 08:30 that day")
    _now_option(digest)
    # --- end digest ---

    # --- teams: the `manifest` group is shared; `manifest slack` joins it ---
    manifests = sub.add_parser("manifest", help="chat app manifests").add_subparsers(
        dest="manifest_command", required=True)
    teams = _add(manifests, "teams", _manifest_teams, "build the Teams app package (zip) to upload to Teams")
    from adapters.teams.manifest import add_arguments as teams_manifest_arguments

    teams_manifest_arguments(teams)
    # --- end teams ---
    # --- slack ---
    from adapters.slack.manifest import add_arguments as slack_manifest_arguments

    slack_manifest_arguments(_add(manifests, "slack", _manifest_slack,
                                  "print the Slack app manifest (URLs from MASHBOT_PUBLIC_URL)"))
    # --- end slack ---

    from adapters.outbox_cli import add_commands as outbox_commands

    outbox_commands(sub, _add)

    audit = sub.add_parser("audit", help="the audit trail").add_subparsers(dest="audit_command", required=True)
    _add(audit, "verify", admin.audit_verify,
         "verify the audit trail: its HMAC chain, and every challenge against its events")
    _add(audit, "rekey", admin.audit_rekey,
         "re-sign the audit trail under MASHBOT_AUDIT_KEY after verifying it under MASHBOT_AUDIT_OLD_KEY "
         "(the development key when that is unset)")

    # --- governance ---
    export = _add(ch, "export", admin.challenges_export,
                  "write one challenge's record and timeline as REF.json and REF.txt (subject access, audit)")
    export.add_argument("reference", metavar="REF")
    export.add_argument("--out", metavar="DIR", help="folder to write to (default: the current folder)")
    report = sub.add_parser("report", help="reports").add_subparsers(dest="report_command", required=True)
    quarterly = _add(report, "quarterly", admin.report_quarterly,
                     "the quarterly report over challenges raised from --from to --to (text; --csv, --html files)")
    quarterly.add_argument("--from", dest="start", type=_date, required=True, metavar="D", help="first day, YYYY-MM-DD")
    quarterly.add_argument("--to", dest="end", type=_date, required=True, metavar="D", help="last day, YYYY-MM-DD")
    quarterly.add_argument("--csv", metavar="FILE", help="also write the counts as CSV (opens in Excel)")
    quarterly.add_argument("--html", metavar="FILE", help="also write a self-contained HTML report with charts")
    _now_option(quarterly)
    purge = _add(sub, "purge", admin.purge,
                 "remove challenges closed longer ago than the policy's retention, keeping their counts")
    purge.add_argument("--dry-run", action="store_true", help="list what would be purged; change nothing")
    _now_option(purge)
    # --- end governance ---
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    apply_now_rule(args)
    try:
        return asyncio.run(args.handler(args))
    except (PolicyFileError, RosterFileError, MashbotError, MailSettingsError) as exc:
        print(f"mashbot: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        # pydantic's ValidationError is a ValueError; settings that do not parse are the
        # administrator's to fix, so they get one line per setting, not a traceback.
        from pydantic import ValidationError

        if not isinstance(exc, ValidationError):
            raise
        for line in settings_problems(exc):
            print(f"mashbot: {line}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


_SECRET_WORDS = ("SECRET", "PASSWORD", "TOKEN", "KEY", "URL")


def settings_problems(exc: ValueError) -> list[str]:
    """What is wrong with each setting, named as it is set (MASHBOT_DEMO), never echoing a value
    that may hold a secret (passwords, tokens, connection strings)."""
    problems = []
    for error in exc.errors():  # type: ignore[attr-defined]
        name = ".".join(str(part) for part in error.get("loc", ())) or "settings"
        value = error.get("input")
        shown = ""
        if isinstance(value, str) and not any(word in name.upper() for word in _SECRET_WORDS):
            shown = f" (it is {value[:40]!r})"
        problems.append(f"setting {name}: {error.get('msg', 'is not valid')}{shown}; fix it in the environment or .env")
    return problems


if __name__ == "__main__":
    sys.exit(main())
