"""`mashbot report quarterly --from D --to D [--csv FILE] [--html FILE]`: the report as text on
stdout, and as files when asked (what was written is said on stderr, so stdout stays the report)."""

from __future__ import annotations

import argparse
import sys

from adapters.bootstrap import build
from adapters.reports.data import load_report
from adapters.reports.files import write_csv
from adapters.reports.html import write_html
from bot.calendar import calendar_of
from bot.report import render_text


async def report_command(args: argparse.Namespace) -> int:
    start, end = args.start, args.end
    if end < start:
        print(f"mashbot: --to ({end.isoformat()}) is before --from ({start.isoformat()})", file=sys.stderr)
        return 2
    service = build()
    cal = calendar_of(service.policy)
    now = service.rehearsal_now(args.now)
    try:
        report = await load_report(service.database, service.policy, start, end, now)
    finally:
        await service.close()
    print(render_text(report, cal.describe_with_year), end="")
    if args.csv:
        print(f"CSV written to {write_csv(report, args.csv)}", file=sys.stderr)
    if args.html:
        print(f"HTML written to {write_html(report, args.html, cal.describe_with_year)}", file=sys.stderr)
    return 0
