"""The quarterly report's edges: loading the facts, and the text, CSV and HTML files.

The numbers come from `bot.report` (pure); this package reads them from storage and writes
them out: `mashbot report quarterly --from D --to D [--csv FILE] [--html FILE]`.
"""

from __future__ import annotations

from adapters.reports.data import load_report, report_labels

__all__ = ["load_report", "report_labels"]
