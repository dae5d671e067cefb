"""Policy packs on disk: load a YAML pack (shipped or a service's own), explain what is wrong.

Errors name the file, the line, the field and the problem, so the person who runs the
service can fix their pack without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from bot.policy import WEEKDAYS, Limit, Policy, StageSpec
from bot.roles import role_label
from bot.texts import OUTCOME_LABELS

_PACKS = "packs"
_SUFFIX = ".yaml"


class PolicyFileError(Exception):
    """A policy file that cannot be used: missing, not YAML, or not a valid pack."""

    def __init__(self, file: str, problem: str, line: int | None = None, field: str | None = None) -> None:
        self.file = file
        self.problem = problem
        self.line = line
        self.field = field
        where = file if line is None else f"{file}, line {line}"
        what = problem if field is None else f"{field}: {problem}"
        super().__init__(f"{where}: {what}")


# --- YAML that keeps its line numbers ------------------------------------------------------


class _PackLoader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 base-60 numbers, so `closes: 17:00` stays "17:00"."""


# The same on libyaml's parser when PyYAML has it: the pure-Python parser is most of the time
# a start spends reading the policy pack. A file it refuses is parsed again by the Python one,
# whose messages say more (e.g. which character cannot start a token).
class _FastPackLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """_PackLoader's resolvers on libyaml."""


def _without_sexagesimal(loader: type[yaml.SafeLoader]) -> None:
    resolvers = {
        first: [(tag, regexp) for tag, regexp in entries if tag not in _NUMBER_TAGS]
        for first, entries in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    loader.yaml_implicit_resolvers = resolvers
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:int",
        re.compile(r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"),
        list("-+0123456789"),
    )
    loader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(
            r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
            r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
        ),
        list("-+0123456789."),
    )


_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")
_without_sexagesimal(_PackLoader)
_without_sexagesimal(_FastPackLoader)


def _parse(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """The document's data and its node tree (for line numbers)."""
    if _FastPackLoader is not _PackLoader:
        loader = _FastPackLoader(text)
        try:
            node = loader.get_single_node()
            return (loader.construct_document(node) if node is not None else None), node
        except yaml.YAMLError:
            pass  # said again, in the Python parser's words, below
        finally:
            loader.dispose()
    loader = _PackLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(file, exc) from exc
    except yaml.YAMLError as exc:
        raise PolicyFileError(file, f"YAML syntax error: {exc}") from exc
    finally:
        loader.dispose()
    return data, node


def _syntax_error(file: str, exc: yaml.MarkedYAMLError) -> PolicyFileError:
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    problem = f"YAML syntax error: {exc.problem or exc.context or 'cannot parse'}"
    context = exc.context_mark
    if exc.problem and exc.context and context is not None and context.line + 1 != line:
        problem += f" ({exc.context}, started on line {context.line + 1})"
    return PolicyFileError(file, problem, line)


def _step(node: yaml.Node, part: int | str) -> tuple[yaml.Node, int] | None:
    """The child of `node` at one location part, with the line it is best shown on."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                return value, key.start_mark.line + 1
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
        child = node.value[part]
        return child, child.start_mark.line + 1
    return None


def _line_of(root: yaml.Node | None, loc: Sequence[int | str]) -> int:
    """Line of the deepest node of `loc` present in the file (1 for the whole file)."""
    if root is None:
        return 1
    node, line = root, root.start_mark.line + 1
    for part in loc:
        found = _step(node, part)
        if found is None:
            break
        node, line = found
    return line


def _field_path(loc: Sequence[int | str]) -> str:
    """('stages', 2, 'limit', 'amount') -> "stages[2].limit.amount"."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part == "[key]":
            text += " (key)"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def _problem(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return f"missing required field {str(error['loc'][-1])!r}"
    if error["type"] == "extra_forbidden":
        return f"unknown field {str(error['loc'][-1])!r}"
    message = error["msg"]
    return message.removeprefix("Value error, ").removeprefix("Assertion failed, ")


_MORE_SHOWN = 5


def _validation_error(file: str, root: yaml.Node | None, exc: ValidationError) -> PolicyFileError:
    """The first problem names line and field; further ones follow on lines of their own."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    problem = _problem(first)
    for error in errors[1 : 1 + _MORE_SHOWN]:
        problem += f"\n  also line {_line_of(root, error['loc'])}: {_field_path(error['loc'])}: {_problem(error)}"
    if len(errors) > 1 + _MORE_SHOWN:
        problem += f"\n  and {len(errors) - 1 - _MORE_SHOWN} more"
    return PolicyFileError(file, problem, _line_of(root, first["loc"]), _field_path(first["loc"]))


def parse_policy(text: str, file: str) -> Policy:
    """Validate the YAML text of a pack; `file` is only used in error messages."""
    data, root = _parse(text, file)
    if data is None:
        raise PolicyFileError(file, "the file is empty", 1)
    if not isinstance(data, dict):
        raise PolicyFileError(file, "a policy pack must be a mapping of fields (name: ..., stages: ...)", 1)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(file, root, exc) from exc


# --- finding a pack ------------------------------------------------------------------------


def _packs_dir() -> Traversable:
    return files("bot").joinpath(_PACKS)


def pack_names() -> list[str]:
    """Names of the packs shipped with mashbot, e.g. ["coventry", "lancashire", ...]."""
    return sorted(
        entry.name.removesuffix(_SUFFIX)
        for entry in _packs_dir().iterdir()
        if entry.is_file() and entry.name.endswith(_SUFFIX)
    )


def _read(source: Traversable | Path, file: str) -> str:
    try:
        return source.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise PolicyFileError(file, "file not found") from exc
    except UnicodeDecodeError as exc:
        raise PolicyFileError(file, f"not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise PolicyFileError(file, f"cannot read the file ({exc.strerror or exc})") from exc


def load_policy(name_or_path: str) -> Policy:
    """A shipped pack by name ("lancashire") or a pack file by path."""
    if name_or_path in pack_names():
        source = _packs_dir().joinpath(name_or_path + _SUFFIX)
        return parse_policy(_read(source, str(source)), str(source))
    path = Path(name_or_path)
    if not path.exists() and not any(sep in name_or_path for sep in ("/", "\\", ".")):
        packs = ", ".join(pack_names())
        raise PolicyFileError(name_or_path, f"no such policy pack or file; packs: {packs}")
    return parse_policy(_read(path, str(path)), str(path))


# --- `mashbot policy show` -----------------------------------------------------------------

_DUTY_LABELS = {"csap_form": "CSAP Stage 3 form", "new_decision": "new decision",
                "csap_senior_notice": "CSAP told: senior officers involved",
                "advise_other_organisation": "other organisation advised on escalation"}
_STAGE_COLUMNS = ("Stage", "Name", "Reviewer", "Scope", "Counterpart", "Limit", "Urgent", "Duties")


def _stage_row(index: int, stage: StageSpec) -> tuple[str, ...]:
    return (
        str(index) + (" (optional)" if stage.optional else ""),
        stage.name,
        role_label(stage.role),
        stage.scope.value,
        (role_label(stage.counterpart) + (" — decides jointly" if stage.joint else " — sent the card"))
        if stage.counterpart else "-",
        stage.limit.describe() + ("" if stage.counts_to_cap else " (outside cap)"),
        stage.urgent_limit.describe(),
        ", ".join(_DUTY_LABELS.get(duty.value, duty.value) for duty in stage.duties) or "-",
    )


def _table(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return lines


def _office_hours(policy: Policy) -> list[str]:
    lines = ["Office hours:"]
    for day in WEEKDAYS:
        spec = policy.office_hours.get(day)
        hours = f"{spec.opens:%H:%M}-{spec.closes:%H:%M}" if spec else "closed"
        lines.append(f"  {day.capitalize():<10} {hours}")
    return lines


def _cap(policy: Policy) -> str:
    start = policy.cap_starts_at_stage()
    if policy.overall_cap is None or start is None:
        return "none"
    return f"{policy.overall_cap.describe()} from the start of stage {start} ({policy.stage(start).name})"


def _rag(limits: dict[str, Limit]) -> str:
    return ", ".join(f"{rag} {limit.describe()}" for rag, limit in limits.items()) or "none"


def _roles(roles: Sequence[str | None]) -> str:
    return ", ".join(role_label(role) for role in roles if role) or "-"


def _notifications(policy: Policy) -> list[str]:
    n = policy.notifications
    iro_when = " (when the child has a CP plan or is looked after)" if n.iro_when_cp_or_looked_after else ""
    edt_when = " (urgent challenges outside office hours)" if n.edt_outside_office_hours else ""
    return [
        "Notifications:",
        f"  CSAP:            {_roles([n.csap])}",
        f"  IRO:             {_roles([n.iro])}{iro_when}",
        f"  EDT:             {_roles([n.edt])}{edt_when}{f'; phone {n.edt_phone}' if n.edt_phone else ''}",
        f"  Lessons learned: {_roles([n.lessons_learned])}"
        + (" (asked of the reviewer at close; only multi-agency lessons are sent)" if n.lessons_at_close else ""),
        *([f"  Emergency:       {_roles(n.emergency_protocol)} (Emergency Resolution Protocol, "
           "offered with the urgent flag at raise)"] if n.emergency_protocol else []),
        f"  Case note:       {_roles([n.case_note])}{' (of the area; adds the agreed case note)' if n.case_note else ''}",
        f"  Breach:          {_roles(n.breach)}",
        f"  Daily digest:    {_roles(n.digest)}",
    ]


def _joint(policy: Policy) -> str:
    joint = policy.joint_agreement
    if joint is None:
        return "none"
    label = OUTCOME_LABELS.get(joint.outcome, joint.outcome).split(" (")[0]
    also = "".join(f"; {OUTCOME_LABELS.get(o, o).split(' (')[0].lower()} too when a C&F assessment is under way"
                   for o in joint.when_assessment_ends)
    return f"{label} needs the agreement of both {' and '.join(role_label(role) for role in joint.roles)}{also}"


def _when(day: date | None) -> str:
    return f"{day:%d %B %Y}" if day else "not stated"


def _source(policy: Policy, today: date) -> list[str]:
    src = policy.source
    lines = []
    if src is not None:
        lines += [f"Source:           {'; '.join(src.documents)}",
                  f"Version:          {src.version}",
                  f"Approved:         {_when(src.approved)}",
                  f"Review by:        {_when(src.review_by)}"]
        if src.expires:
            lines.append(f"Expires:          {_when(src.expires)}")
    return lines + [f"WARNING: {warning}" for warning in policy.review_warnings(today)]


def describe_policy(policy: Policy, today: date | None = None) -> str:
    """The pack as plain text: where it comes from, the ladder as a table, then clocks,
    limits and recipients. `today` dates the review-date warnings (none when not given)."""
    rows = [_STAGE_COLUMNS, *(_stage_row(policy.stage_number(i), stage) for i, stage in enumerate(policy.stages))]
    closures = ", ".join(day.isoformat() for day in policy.closure_days) or "none"
    lines = [
        f"{policy.title} ({policy.name})",
        *(_source(policy, today) if today else []),
        "",
        *_table(rows),
        "",
        *_office_hours(policy),
        f"Areas:            {', '.join(policy.areas)}",
        f"Time zone:        {policy.zone}",
        f"Holiday region:   {policy.holiday_region} bank holidays",
        f"Closure days:     {closures}",
        f"Overall cap:      {_cap(policy)}",
        f"RAG limits:       {_rag(policy.rag_limits)}",
        f"Levels of need:   {'; '.join(policy.levels_of_need)}",
        f"Outcomes:         {', '.join(OUTCOME_LABELS.get(o, o) for o in policy.outcomes)}",
        f"Joint agreement:  {_joint(policy)}",
        *([f"Counterparts:     sent each stage's card when the challenge is raised from the "
           f"{' or '.join(policy.counterparts_for)} side; a joint stage's outcome waits for them"]
          if any(s.counterpart for s in policy.stages) else []),
        *([f"Optional stages:  {', '.join(s.name for s in policy.stages if s.optional)} (only by escalation, "
           "never by a time-out)"] if any(s.optional for s in policy.stages) else []),
        f"Raised by:        {', '.join(policy.raised_by)}",
        *([f"Decision only:    {', '.join(policy.decision_only_for)} are told only that a decision was made"]
          if policy.decision_only_for else []),
        *_notifications(policy),
        f"Record location:  {policy.record_location}",
        *([f"Record made:      asked at the outcome: {' or '.join(policy.record_kinds)}"] if policy.record_kinds else []),
        *(f"Note:             {note}" for note in policy.notes),
        f"Retention:        {policy.retention_days} days after closing",
        f"Emailed links:    work for {policy.link_expiry_working_days} working days, never past the stage's due time",
    ]
    return "\n".join(lines) + "\n"
