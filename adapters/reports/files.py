"""The report as a CSV file that opens cleanly in Excel: UTF-8 with a byte-order mark (so
"—" and "–" survive), CRLF line ends, one table with the columns section, label, count."""

from __future__ import annotations

import csv
from pathlib import Path

from bot.report import QuarterlyReport, Value

HEADER = ("section", "label", "count")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str) -> str:
    """Text a spreadsheet would take for a formula (an agency typed as "=…") is quoted with '."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def _number(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def csv_rows(report: QuarterlyReport) -> list[tuple[str, str, str]]:
    return [(_cell(section), _cell(label), _number(value)) for section, label, value in report.table()]


def write_csv(report: QuarterlyReport, path: str | Path) -> Path:
    target = Path(path)
    with target.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, dialect="excel")
        writer.writerow(HEADER)
        writer.writerows(csv_rows(report))
    return target
