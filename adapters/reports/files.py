"""The report as a CSV file that opens cleanly in Excel: UTF-8 with a byte-order mark (so
"—" and "–" survive), CRLF line ends, one table with the columns section, label, count."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.report import QuarterlyReport, format_value

HEADER = ("section", "label", "count")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet would take for a formula (an agency typed as "=…") is quoted with '."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_rows(report: QuarterlyReport) -> list[tuple[str, str, str]]:
    return [(_cell(section), _cell(label), format_value(value, missing="")) for section, label, value in report.table()]


def write_csv(report: QuarterlyReport, path: str | Path) -> Path:
    target = Path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect="excel")
        writer.writerow(HEADER)
        writer.writerows(csv_rows(report))
    return target
