"""The quarterly report, counted from challenges' facts (`bot.facts`). Pure.

`build_report(facts, complaints, start, end, …)` counts the facts of the challenges
**raised** in the period (local dates, both ends included) as they stand when the report is
made, and the complaints redirected in the period (the tallies: a complaint never becomes a
challenge, only a count is kept).
"""

from __future__ import annotations

from bot import texts

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict


from bot.commands import LESSON_CATEGORIES
from bot.policy import Policy
from bot.texts import OUTCOME_LABELS

from bot.facts import (
    COMPLAINT_TALLY,
    ESCALATION_LABELS,
    NOT_GIVEN,
    NOTICE_LABELS,
    OTHER_DECISION,
    STATUS_LABELS,
    URGENT_LABELS,
    ChallengeFacts,
    StageTime,
)

class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


# -- the report ------------------------------------------------------------------------------

Value = int | float | None


class Row(_Model):
    label: str
    value: Value


class Section(_Model):
    key: str
    title: str
    rows: tuple[Row, ...]
    note: str = ""
    chart: bool = True

    def as_dict(self) -> dict[str, Value]:
        return {row.label: row.value for row in self.rows}


class StageTimeliness(_Model):
    stage: int
    name: str
    within: int
    late: int
    median_working_days: float | None


class LessonLine(_Model):
    reference: str
    raised_on: date
    at: datetime
    stage_name: str
    category: str
    category_label: str
    text: str | None


class QuarterlyReport(_Model):
    start: date
    end: date
    generated_at: datetime
    zone: str
    policy_title: str
    raised: int
    sections: tuple[Section, ...]
    timeliness: tuple[StageTimeliness, ...]
    lessons: tuple[LessonLine, ...]
    kept_as_summaries: int  # of the counted challenges, how many retention has purged

    def section(self, key: str) -> Section:
        for section in self.sections:
            if section.key == key:
                return section
        raise KeyError(key)

    def counts(self) -> dict[str, dict[str, Value]]:
        """{section key: {label: value}} (what the tests and the CSV compare)."""
        return {s.key: s.as_dict() for s in self.sections}

    def table(self) -> list[tuple[str, str, Value]]:
        """One table: (section, label, value), in report order — the CSV."""
        return [(s.title, row.label, row.value) for s in self.sections for row in s.rows]


@dataclass(frozen=True)
class Labels:
    """Words for the keys the intake stores (the adapters pass the intake's labels)."""

    reasons: Mapping[str, str] = field(default_factory=dict)
    challenger_types: Mapping[str, str] = field(default_factory=dict)
    lesson_categories: Mapping[str, str] = field(default_factory=lambda: dict(LESSON_CATEGORIES))

    @staticmethod
    def word(mapping: Mapping[str, str], key: str) -> str:
        return mapping.get(key) or key.replace("_", " ").capitalize() or NOT_GIVEN


def _rows(counter: Counter[str], order: Sequence[str], label: Mapping[str, str] | None = None,
          sort_rest: bool = True) -> tuple[Row, ...]:
    """Rows in `order` (zero-filled), then any other key seen, most frequent first."""
    words = label or {}
    keys = list(dict.fromkeys(order))
    rest = [k for k in counter if k not in keys]
    rest.sort(key=(lambda k: (-counter[k], k.casefold())) if sort_rest else None)
    return tuple(Row(label=words.get(k, k), value=counter.get(k, 0)) for k in keys + rest)


def _median(values: Sequence[int]) -> float | None:
    return round(float(statistics.median(values)), 1) if values else None


def _agency_rows(facts: Sequence[ChallengeFacts]) -> tuple[Row, ...]:
    """Agencies grouped case-insensitively, shown in their most common spelling."""
    spellings: dict[str, Counter[str]] = {}
    for f in facts:
        spellings.setdefault(f.agency.casefold(), Counter())[f.agency] += 1
    rows = []
    for variants in spellings.values():
        shown = min(variants.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        rows.append(Row(label=shown, value=sum(variants.values())))
    rows.sort(key=lambda r: (-(r.value or 0), r.label.casefold()))
    return tuple(rows)


def build_report(facts: Iterable[ChallengeFacts], complaints: Iterable[tuple[str, str, date, int]], *,
                 start: date, end: date, generated_at: datetime, policy: Policy,
                 labels: Labels | None = None) -> QuarterlyReport:
    """The report over challenges raised from `start` to `end` (local dates, inclusive).

    `facts` may hold more than the period (and a challenge twice, live and summarised: the
    first one given wins); `complaints` are tally rows (key, area, day, count).
    """
    labels = labels or Labels()
    seen: dict[str, ChallengeFacts] = {}
    for f in facts:
        if start <= f.raised_on <= end:
            seen.setdefault(f.reference, f)
    cohort = sorted(seen.values(), key=lambda f: (f.raised_at, f.reference))

    stage_names = [s.name for s in policy.stages]
    stage_order = {name: i for i, name in enumerate(stage_names)}
    status = Counter(f.status for f in cohort)
    outcome = Counter((f.outcome or "") if f.status == "closed" else f.status for f in cohort)
    escalations: Counter[str] = Counter()
    notices: Counter[str] = Counter()
    for f in cohort:
        escalations.update(f.escalations)
        notices.update(f.notices)
    complaint_areas: Counter[str] = Counter()
    for key, area, day, count in complaints:
        if key == COMPLAINT_TALLY and start <= day <= end:
            complaint_areas[area] += count
    lessons = [(f, lesson) for f in cohort for lesson in f.lessons]
    urgent = Counter("at_raise" if f.urgent_at_raise else "later" if f.marked_urgent else "no" for f in cohort)

    reached = Counter(f.stage_reached_name for f in cohort)
    reached_order = sorted(reached, key=lambda n: (stage_order.get(n, len(stage_order)), n))
    outcome_words = {o: OUTCOME_LABELS.get(o, o) for o in (*policy.outcomes, *outcome)} | STATUS_LABELS
    outcome_words[""] = texts.REPORT_CLOSED_NO_OUTCOME
    levels = [*policy.levels_of_need, OTHER_DECISION]
    level_words = {OTHER_DECISION: texts.REPORT_OTHER_DECISION}
    reasons = list(labels.reasons) or sorted({f.reason_category for f in cohort})
    reason_words = {k: labels.word(labels.reasons, k) for k in {*reasons, *(f.reason_category for f in cohort)}}
    types = list(policy.raised_by)
    type_words = {k: labels.word(labels.challenger_types, k) for k in {*types, *(f.raised_by for f in cohort)}}
    categories = list(labels.lesson_categories)
    category_words = {k: labels.word(labels.lesson_categories, k) for k in {*categories, *(ls.category for _, ls in lessons)}}

    timeliness = _timeliness(cohort, stage_order)
    auto = escalations.get("timeout", 0)
    sections = [
        Section(key="summary", title=texts.REPORT_TITLES["summary"], chart=False, rows=(
            Row(label=texts.REPORT_ROWS["challenges_raised"], value=len(cohort)),
            Row(label=texts.REPORT_ROWS["closed_the_challenger_accepted_the_outco"],
                value=sum(1 for f in cohort if f.closed_how == "accepted")),
            Row(label=texts.REPORT_ROWS["closed_no_answer_the_outcome_stood"],
                value=sum(1 for f in cohort if f.closed_how == "unanswered")),
            Row(label=texts.REPORT_ROWS["withdrawn"], value=status.get("withdrawn", 0)),
            Row(label=texts.REPORT_ROWS["still_open"], value=status.get("open", 0)),
            Row(label=texts.REPORT_ROWS["resolved_at_the_first_stage"],
                value=sum(1 for f in cohort if f.status == "closed" and f.stage_reached == 0)),
            Row(label=texts.REPORT_ROWS["urgent_path_used"], value=sum(1 for f in cohort if f.urgent_at_raise or f.marked_urgent)),
            Row(label=texts.REPORT_ROWS["auto_escalations"], value=auto),
            Row(label=texts.REPORT_ROWS["breached_at_the_final_stage"], value=sum(1 for f in cohort if f.breached)),
            Row(label=texts.REPORT_ROWS["complaints_redirected_not_challenges"], value=sum(complaint_areas.values())),
            Row(label=texts.REPORT_ROWS["lessons_learned_raised"], value=len(lessons)),
        )),
        Section(key="agency", title=texts.REPORT_TITLES["agency"], rows=_agency_rows(cohort),
                note=texts.REPORT_NOTES["agency"]),
        Section(key="area", title=texts.REPORT_TITLES["area"], rows=_rows(Counter(f.area for f in cohort), policy.areas)),
        Section(key="stage_reached", title=texts.REPORT_TITLES["stage_reached"],
                rows=_rows(reached, [*stage_names, *reached_order], sort_rest=False)),
        Section(key="level", title=texts.REPORT_TITLES["level"],
                rows=_rows(Counter(f.level for f in cohort), levels, level_words)),
        Section(key="reason", title=texts.REPORT_TITLES["reason"],
                rows=_rows(Counter(f.reason_category for f in cohort), reasons, reason_words)),
        Section(key="outcome", title=texts.REPORT_TITLES["outcome"],
                rows=_rows(outcome, [*policy.outcomes, "withdrawn", "open"], outcome_words),
                note=texts.REPORT_NOTES["outcome"]),
        Section(key="challenger_type", title=texts.REPORT_TITLES["challenger_type"],
                rows=_rows(Counter(f.raised_by for f in cohort), types, type_words)),
        Section(key="urgent", title=texts.REPORT_TITLES["urgent"],
                rows=_rows(urgent, list(URGENT_LABELS), URGENT_LABELS)),
        Section(key="escalations", title=texts.REPORT_TITLES["escalations"], rows=(
            *_rows(escalations, list(ESCALATION_LABELS), ESCALATION_LABELS),
            Row(label=texts.REPORT_ROWS["breached_at_the_final_stage"], value=sum(1 for f in cohort if f.breached)),
        )),
        Section(key="notices", title=texts.REPORT_TITLES["notices"],
                rows=_rows(notices, list(NOTICE_LABELS), NOTICE_LABELS)),
        Section(key="complaints", title=texts.REPORT_TITLES["complaints"],
                rows=_rows(complaint_areas, policy.areas),
                note=texts.REPORT_NOTES["complaints"]),
        Section(key="lessons", title=texts.REPORT_TITLES["lessons"],
                rows=_rows(Counter(ls.category for _, ls in lessons), categories, category_words)),
        *(Section(key=f"timeliness_{t.stage}", title=texts.REPORT_TIMELINESS.format(stage=t.name), chart=False, rows=(
            Row(label=texts.REPORT_ROWS["within_the_limit"], value=t.within),
            Row(label=texts.REPORT_ROWS["late_incl_auto_escalated_and_breached"], value=t.late),
            Row(label=texts.REPORT_ROWS["median_working_days"], value=t.median_working_days),
        )) for t in timeliness),
    ]
    lesson_lines = tuple(
        LessonLine(reference=f.reference, raised_on=f.raised_on, at=ls.at, stage_name=ls.stage_name,
                   category=ls.category, category_label=category_words.get(ls.category, ls.category),
                   text=ls.text)
        for f, ls in sorted(lessons, key=lambda p: (p[1].at, p[0].reference)))
    return QuarterlyReport(
        start=start, end=end, generated_at=generated_at, zone=policy.zone, policy_title=policy.title,
        raised=len(cohort), sections=tuple(sections), timeliness=tuple(timeliness), lessons=lesson_lines,
        kept_as_summaries=sum(1 for f in cohort if f.purged))


def _timeliness(cohort: Sequence[ChallengeFacts], stage_order: Mapping[str, int]) -> list[StageTimeliness]:
    by_stage: dict[tuple[int, str], list[StageTime]] = {}
    for f in cohort:
        for s in f.stages:
            by_stage.setdefault((s.stage, s.name), []).append(s)
    for index, name in enumerate(stage_order):
        by_stage.setdefault((index, name), [])
    result = []
    for (index, name), times in sorted(by_stage.items()):
        days = [t.working_days for t in times if t.working_days is not None]
        result.append(StageTimeliness(stage=index, name=name, within=sum(1 for t in times if not t.late),
                                      late=sum(1 for t in times if t.late), median_working_days=_median(days)))
    return result


# -- plain text ------------------------------------------------------------------------------

def format_value(value: Value, missing: str = "—") -> str:
    """A count, a median ('2.5') or, for no value, `missing`."""
    if value is None:
        return missing
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _day(d: date) -> str:
    return f"{d:%a} {d.day} {d:%b %Y}"


def render_text(report: QuarterlyReport, describe: Callable[[datetime], str] | None = None) -> str:
    """The report as plain text (stdout). `describe` words an instant (the policy calendar's
    describe_with_year); the ISO form is used without it."""
    when = describe(report.generated_at) if describe else report.generated_at.isoformat(timespec="minutes")
    lines = [
        texts.REPORT_HEADING,
        texts.REPORT_PERIOD.format(start=_day(report.start), end=_day(report.end), when=when),
        texts.REPORT_POLICY.format(title=report.policy_title),
    ]
    if report.kept_as_summaries:
        lines.append(texts.REPORT_PURGED.format(count=report.kept_as_summaries))
    for section in report.sections:
        lines += ["", section.title]
        if section.note:
            lines.append(f"  ({section.note})")
        if not section.rows:
            lines.append("  " + texts.DIGEST_NOTHING)
        width = max((len(r.label) for r in section.rows), default=0)
        for row in section.rows:
            lines.append(f"  {row.label:<{width}}  {format_value(row.value):>6}")
    lines += ["", texts.REPORT_LESSONS]
    if not report.lessons:
        lines.append("  " + texts.REPORT_NO_LESSONS)
    for lesson in report.lessons:
        text = lesson.text if lesson.text is not None else texts.REPORT_TEXT_REMOVED
        lines.append(f"  {lesson.reference} ({lesson.stage_name}) {lesson.category_label}: {text}")
    return "\n".join(lines) + "\n"
