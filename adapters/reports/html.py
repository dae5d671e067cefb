"""The report as one self-contained HTML file for a meeting: key figures, a chart per section
(matplotlib PNGs inlined as base64 data URIs) beside its table, timeliness per stage and the
lessons learned. No scripts, no external fonts, styles or images: it opens offline, prints,
and can be emailed as it is."""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

from jinja2 import Environment, select_autoescape

from bot.report import QuarterlyReport, Section, StageTimeliness, format_value

WITHIN = "#1b7837"
LATE = "#c2410c"
BAR = "#2b5c8a"
CHART_WIDTH = 6.4  # inches
DPI = 100


def _figure(height: float):  # type: ignore[no-untyped-def]
    # A bare Figure renders with Agg when saved as PNG: no pyplot, no global backend state.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(CHART_WIDTH, height), dpi=DPI, layout="constrained")
    fig.set_facecolor("white")
    return fig


def _png(fig) -> str:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _wrap(label: str, width: int = 34) -> str:
    return "\n".join(textwrap.wrap(label, width)) or label


def bar_chart(section: Section, limit: int = 12) -> str | None:
    """A horizontal bar chart of a section's rows (the first `limit`), or None when all zero."""
    rows = [r for r in section.rows if isinstance(r.value, int | float)][:limit]
    if not rows or not any(r.value for r in rows):
        return None
    fig = _figure(0.42 * len(rows) + 0.9)
    ax = fig.subplots()
    labels = [_wrap(r.label) for r in rows]
    values = [float(r.value or 0) for r in rows]
    bars = ax.barh(range(len(rows)), values, color=BAR)
    ax.set_yticks(range(len(rows)), labels, fontsize=9)
    ax.invert_yaxis()
    ax.bar_label(bars, labels=[format_value(r.value) for r in rows], padding=3, fontsize=9)
    ax.set_xlim(0, max(values) * 1.15)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.xaxis.set_visible(False)
    return _png(fig)


def timeliness_chart(stages: Sequence[StageTimeliness]) -> str | None:
    """Within the limit / late per stage, stacked."""
    if not any(s.within or s.late for s in stages):
        return None
    fig = _figure(0.5 * len(stages) + 1.2)
    ax = fig.subplots()
    names = [_wrap(s.name, 24) for s in stages]
    within = [s.within for s in stages]
    late = [s.late for s in stages]
    positions = range(len(stages))
    ax.barh(positions, within, color=WITHIN, label="Within the limit")
    # Hatched as well as coloured, so "late" reads without telling red from green.
    ax.barh(positions, late, left=within, color=LATE, hatch="//", edgecolor="white", label="Late")
    for i, s in enumerate(stages):
        total = s.within + s.late
        if total:
            ax.text(total, i, f"  {s.within}/{total} on time", va="center", fontsize=9)
    ax.set_yticks(list(positions), names, fontsize=9)
    ax.invert_yaxis()
    ax.set_xlim(0, max(w + lt for w, lt in zip(within, late, strict=True)) * 1.35)
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.xaxis.set_visible(False)
    return _png(fig)


def _alt(section: Section) -> str:
    return f"{section.title}: " + "; ".join(f"{r.label} {format_value(r.value)}" for r in section.rows)


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%B %Y}"


TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Professional challenges: {{ start }} to {{ end }}</title>
<style>
  :root { color-scheme: light; }
  body { font-family: "Segoe UI", Arial, Helvetica, sans-serif; margin: 0; color: #1a1a1a; background: #f4f5f7;
         font-size: 16px; line-height: 1.45; }
  main { max-width: 1120px; margin: 0 auto; padding: 24px; }
  header h1 { font-size: 1.8rem; margin: 0 0 4px; }
  header p { margin: 2px 0; color: #3d3d3d; }
  .figures { display: grid; grid-template-columns: repeat(auto-fit, minmax(140px, 1fr)); gap: 12px; margin: 20px 0; padding: 0; list-style: none; }
  .figures li { background: #fff; border-left: 6px solid #2b5c8a; padding: 12px 14px; border-radius: 4px; }
  .figures .n { display: block; font-size: 2rem; font-weight: 700; }
  .figures .what { font-size: 0.9rem; color: #3d3d3d; }
  .figures .pct { font-size: 1rem; font-weight: 400; color: #3d3d3d; }
  section { background: #fff; border-radius: 6px; padding: 16px 20px; margin: 16px 0; break-inside: avoid; }
  section h2 { font-size: 1.25rem; margin: 0 0 8px; }
  .pair { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 20px; align-items: start; }
  .pair img { width: 100%; height: auto; }
  table { border-collapse: collapse; width: 100%; font-size: 0.95rem; }
  th, td { text-align: left; padding: 5px 8px; border-bottom: 1px solid #d9d9d9; vertical-align: top; }
  td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
  caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
  .note { color: #4a4a4a; font-size: 0.9rem; }
  .empty { color: #4a4a4a; font-style: italic; }
  footer { color: #4a4a4a; font-size: 0.85rem; margin-top: 24px; }
  @media (max-width: 760px) { .pair { grid-template-columns: 1fr; } }
  @media print { body { background: #fff; } section { border: 1px solid #ccc; } }
</style>
</head>
<body>
<main>
<header>
  <h1>Professional challenges: quarterly report</h1>
  <p><strong>Challenges raised {{ start }} to {{ end }}</strong>, as they stood at {{ generated }}.</p>
  <p>{{ report.policy_title }}</p>
</header>

<ul class="figures" aria-label="Key figures">
{% for label, value, share in figures %}  <li><span class="n">{{ value }}{% if share %} <span class="pct">{{ share }}</span>{% endif %}</span><span class="what">{{ label }}</span></li>
{% endfor %}</ul>

{% macro lesson_list() %}{% if report.lessons %}<table>
    <caption>What was learned</caption>
    <thead><tr><th scope="col">Challenge</th><th scope="col">Stage</th><th scope="col">Kind</th><th scope="col">Lesson</th></tr></thead>
    <tbody>{% for lesson in report.lessons %}
      <tr><td>{{ lesson.reference }}</td><td>{{ lesson.stage_name }}</td><td>{{ lesson.category_label }}</td><td>{% if lesson.text is not none %}{{ lesson.text }}{% else %}<span class="empty">text removed under the retention period</span>{% endif %}</td></tr>{% endfor %}
    </tbody>
  </table>{% else %}<p class="empty">No lessons learned were raised.</p>{% endif %}{% endmacro %}
{% for item in sections %}<section id="{{ item.section.key }}" aria-labelledby="{{ item.section.key }}-h">
  <h2 id="{{ item.section.key }}-h">{{ item.title or item.section.title }}</h2>
  {% if item.section.note %}<p class="note">{{ item.section.note }}</p>{% endif %}
  {% set table %}<table>
      <thead><tr><th scope="col">{{ item.section.title }}</th><th scope="col" class="n">Count</th></tr></thead>
      <tbody>{% for row in item.section.rows %}
        <tr><td>{{ row.label }}</td><td class="n">{{ fmt(row.value) }}</td></tr>{% else %}
        <tr><td colspan="2" class="empty">None in this period.</td></tr>{% endfor %}
      </tbody>
    </table>{% endset %}
  {# An all-zero section has no chart: its table says it all. #}
  {% if item.chart %}<div class="pair">
    <div><img src="{{ item.chart }}" alt="{{ item.alt }}"></div>
    {{ table }}
  </div>{% else %}{{ table }}{% endif %}
  {% if item.section.key == "lessons" %}{{ lesson_list() }}{% endif %}
</section>
{% endfor %}
<section id="timeliness" aria-labelledby="timeliness-h">
  <h2 id="timeliness-h">Timeliness per stage</h2>
  <p class="note">A stage is within the limit when its reviewer recorded an outcome or escalated it by its due time;
  late when that came after the due time, or the time limit ran out (auto-escalated or breached). Working days are
  counted on the policy's calendar from the day the stage started.</p>
  <div class="pair">
    <div>{% if timeliness_chart %}<img src="{{ timeliness_chart }}" alt="{{ timeliness_alt }}">{% else %}<p class="empty">No stage ended in this period's challenges.</p>{% endif %}</div>
    <table>
      <thead><tr><th scope="col">Stage</th><th scope="col" class="n">Within</th><th scope="col" class="n">Late</th><th scope="col" class="n">Median working days</th></tr></thead>
      <tbody>{% for t in report.timeliness %}
        <tr><td>{{ t.name }}</td><td class="n">{{ t.within }}</td><td class="n">{{ t.late }}</td><td class="n">{{ fmt(t.median_working_days) }}</td></tr>{% endfor %}
      </tbody>
    </table>
  </div>
</section>

{% if not lessons_in_section %}<section id="lessons-list" aria-labelledby="lessons-list-h">
  <h2 id="lessons-list-h">Lessons learned</h2>
  {{ lesson_list() }}
</section>
{% endif %}
<footer>
  <p>Counted from mashbot's audit trail: every challenge raised in the period, as it stood when the report was made;
  complaints are those redirected in the period. Notices are those the policy required (one per notice, not per recipient).
  {% if report.kept_as_summaries %}{{ report.kept_as_summaries }} of these challenges were purged under the retention period; their counts are kept.{% endif %}</p>
  <p>Generated by mashbot at {{ generated }}. Contains no child's details: case references and free text are not included.</p>
</footer>
</main>
</body>
</html>
"""

_ENV = Environment(autoescape=select_autoescape(default=True, default_for_string=True), trim_blocks=False)


def key_figures(report: QuarterlyReport) -> list[tuple[str, str, str]]:
    """(label, number, share) for the tiles at the top."""
    summary = report.section("summary").as_dict()
    raised = int(summary.get("Challenges raised") or 0)
    within = sum(t.within for t in report.timeliness)
    counted = within + sum(t.late for t in report.timeliness)
    first = int(summary.get("Resolved at the first stage") or 0)
    return [
        ("Challenges raised", str(raised), ""),
        ("Resolved at the first stage", str(first), f"{round(100 * first / raised)}%" if raised else ""),
        (f"Stages on time (of {counted})", f"{round(100 * within / counted)}%" if counted else "—", ""),
        ("Auto-escalations", format_value(summary.get("Auto-escalations")), ""),
        ("Urgent path used", format_value(summary.get("Urgent path used")), ""),
        ("Complaints redirected", format_value(summary.get("Complaints redirected (not challenges)")), ""),
        ("Lessons raised", format_value(summary.get("Lessons learned raised")), ""),
    ]


def render_html(report: QuarterlyReport, describe: Callable[[datetime], str] | None = None) -> str:
    """The whole report as one HTML document (charts inlined)."""
    sections = [{"section": s, "chart": bar_chart(s), "alt": _alt(s)} for s in report.sections if s.chart]
    for item in sections:
        if item["section"].key == "lessons":
            item["title"] = "Lessons learned"
    summary = next(s for s in report.sections if s.key == "summary")
    sections.insert(0, {"section": summary, "chart": None, "alt": ""})
    stages = list(report.timeliness)
    return _ENV.from_string(TEMPLATE).render(
        report=report,
        start=_day(report.start),
        end=_day(report.end),
        generated=describe(report.generated_at) if describe else report.generated_at.isoformat(timespec="minutes"),
        figures=key_figures(report),
        sections=sections,
        timeliness_chart=timeliness_chart(stages),
        timeliness_alt="Timeliness per stage: " + "; ".join(
            f"{t.name} {t.within} within, {t.late} late" for t in stages),
        fmt=format_value,
        lessons_in_section=any(item["section"].key == "lessons" for item in sections),
    )


def write_html(report: QuarterlyReport, path: str | Path,
               describe: Callable[[datetime], str] | None = None) -> Path:
    target = Path(path)
    target.write_text(render_html(report, describe), encoding="utf-8")
    return target
