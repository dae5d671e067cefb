"""Roster files: load a YAML or CSV roster, check it against a policy, show it.

Every problem names the file, the row (CSV, header = row 1) or person (YAML, with its line),
the field and what is wrong, so an administrator can fix the file without guessing.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.policy import Policy
from bot.reviewers import required_roles
from bot.roles import role_label
from bot.roster import Person, Roster, Side

CSV_COLUMNS = ("id", "name", "email", "roles", "areas", "side", "slack_user_id", "teams_aad_id", "delegate", "away",
               "job_title", "phone")
REQUIRED_COLUMNS = ("id", "name", "email")
LIST_FIELDS = ("roles", "areas")


class RosterFileError(Exception):
    """A roster file that cannot be used; `problems` lists every fault found."""

    def __init__(self, path: str | Path, problems: Sequence[str]) -> None:
        self.path = str(path)
        self.problems = list(problems)
        count = len(self.problems)
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"roster file {self.path} has {count} problem{'s' if count != 1 else ''}:\n{lines}")


@dataclass
class _Entry:
    """One raw person record and where it sits in the file."""

    where: str  # "row 4" or "person 3"
    data: dict[str, Any]
    line: int | None = None
    field_lines: dict[str, int] = field(default_factory=dict)

    def label(self, line: int | None = None) -> str:
        pid = self.data.get("id")
        text = f"{self.where} (id {pid})" if isinstance(pid, str) and pid.strip() else self.where
        line = line if line is not None else self.line
        return f"{text}, line {line}" if line is not None else text

    def problem(self, path: str, field_name: str, what: str) -> str:
        line = self.field_lines.get(field_name.split(" ")[0])
        return f"{path}: {self.label(line)}, field {field_name}: {what}"


# --- public API -------------------------------------------------------------------------


def load_roster_file(path: str | Path) -> list[Person]:
    """Read a roster (.yaml/.yml or .csv); raise RosterFileError listing every problem."""
    path = Path(path)
    entries = _read_entries(path)
    problems: list[str] = []
    people: list[Person] = []
    for entry in entries:
        person, found = _validate(str(path), entry)
        problems.extend(found)
        if person is not None:
            people.append(person)
    problems.extend(_cross_check(str(path), entries))
    if not entries and not problems:
        problems.append(f"{path}: the roster has no people")
    if problems:
        raise RosterFileError(path, problems)
    return people


def check_roster(people: Iterable[Person], policy: Policy) -> list[str]:
    """Problems of a loaded roster for the active policy: uncovered stages and notices."""
    roster = Roster(people)
    needed = required_roles(policy, policy.areas)
    found = [_uncovered(policy, role, area) for role, area in needed if not roster.with_role(role, area)]
    found.extend(roster.problems())
    n = policy.notifications
    for purpose, roles in (("digest", n.digest), ("breach notices", n.breach)):
        found.extend(f"no one holds role {role} ({role_label(role)}), needed for the {purpose}"
                     for role in roles if not roster.with_role(role))
    return list(dict.fromkeys(found))


def demo_roster_path() -> Path:
    """The fictional demo roster shipped in the package."""
    resource = files("adapters").joinpath("demo/roster.yaml")
    return resource if isinstance(resource, Path) else Path(str(resource))


def describe_roster(people: Iterable[Person]) -> str:
    """A plain-text table of the roster for `mashbot roster show`."""
    header = ("id", "name", "email", "roles", "areas", "side", "slack", "teams", "delegate", "away")
    rows = [header] + [_describe_row(p) for p in people]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"{len(rows) - 1} people")
    return "\n".join(lines)


# --- reading ----------------------------------------------------------------------------


def _read_entries(path: Path) -> list[_Entry]:
    suffix = path.suffix.lower()
    if suffix not in (".yaml", ".yml", ".csv"):
        raise RosterFileError(path, [f"{path}: unsupported file type {suffix or '(none)'!r}; use .yaml, .yml or .csv"])
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise RosterFileError(path, [f"{path}: file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterFileError(path, [f"{path}: cannot be read: {exc}"]) from None
    return _csv_entries(path, text) if suffix == ".csv" else _yaml_entries(path, text)


def _yaml_entries(path: Path, text: str) -> list[_Entry]:
    try:
        document = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        reason = getattr(exc, "problem", None) or exc
        raise RosterFileError(path, [f"{path}{where}: not valid YAML: {reason}"]) from None
    if not isinstance(document, dict) or not isinstance(document.get("people"), list):
        raise RosterFileError(path, [f"{path}: expected a top-level 'people:' list of people"])
    lines = _yaml_lines(node)
    entries: list[_Entry] = []
    problems: list[str] = []
    for index, item in enumerate(document["people"]):
        line, field_lines = lines[index] if index < len(lines) else (None, {})
        entry = _Entry(f"person {index + 1}", item if isinstance(item, dict) else {}, line, field_lines)
        if not isinstance(item, dict):
            problems.append(f"{path}: {entry.label()}: expected a mapping of fields (id, name, email, ...)")
            continue
        entries.append(entry)
    if problems:
        raise RosterFileError(path, problems)
    return entries


def _yaml_lines(root: yaml.Node | None) -> list[tuple[int, dict[str, int]]]:
    """For each item of `people`: its line and the line of each of its keys (1-based)."""
    if not isinstance(root, yaml.MappingNode):
        return []
    people = next((value for key, value in root.value if getattr(key, "value", None) == "people"), None)
    if not isinstance(people, yaml.SequenceNode):
        return []
    result: list[tuple[int, dict[str, int]]] = []
    for item in people.value:
        keys: dict[str, int] = {}
        if isinstance(item, yaml.MappingNode):
            keys = {str(k.value): k.start_mark.line + 1 for k, _ in item.value}
        result.append((item.start_mark.line + 1, keys))
    return result


def _csv_entries(path: Path, text: str) -> list[_Entry]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    problems = _header_problems(path, header)
    if problems:
        raise RosterFileError(path, problems)
    reader.fieldnames = header
    entries: list[_Entry] = []
    for row_number, row in enumerate(reader, start=2):
        extra = row.pop(None, None)  # type: ignore[call-overload]
        data = {k: v.strip() for k, v in row.items() if isinstance(v, str) and v.strip()}
        if not data and not extra:
            continue
        entry = _Entry(f"row {row_number}", data)
        if extra:
            problems.append(f"{path}: {entry.label()}: {len(extra)} more value(s) than the header has columns")
        entries.append(entry)
    if problems:
        raise RosterFileError(path, problems)
    return entries


def _header_problems(path: Path, header: list[str]) -> list[str]:
    if not header:
        return [f"{path}: row 1: empty file; expected the header {','.join(CSV_COLUMNS)}"]
    problems = [f"{path}: row 1, column {c!r}: unknown column; columns are {','.join(CSV_COLUMNS)}"
                for c in header if c not in CSV_COLUMNS]
    problems += [f"{path}: row 1: missing required column {c!r}" for c in REQUIRED_COLUMNS if c not in header]
    problems += [f"{path}: row 1, column {c!r}: appears more than once" for c in set(header) if header.count(c) > 1]
    return problems


# --- validating ---------------------------------------------------------------------------


def _validate(path: str, entry: _Entry) -> tuple[Person | None, list[str]]:
    data, problems = _normalise(path, entry)
    if problems:
        return None, problems
    try:
        return Person.model_validate(data), []
    except ValidationError as exc:
        return None, [entry.problem(path, *_field_and_message(err)) for err in exc.errors()]


def _normalise(path: str, entry: _Entry) -> tuple[dict[str, Any], list[str]]:
    """Turn CSV-style strings into the shapes Person expects (lists, away periods, side)."""
    data = dict(entry.data)
    for name in LIST_FIELDS:
        if isinstance(data.get(name), str):
            data[name] = [part.strip() for part in data[name].replace(",", ";").split(";") if part.strip()]
    if isinstance(data.get("side"), str):
        sides = {s.value.lower(): s.value for s in Side}
        data["side"] = sides.get(data["side"].strip().lower(), data["side"])
    problems: list[str] = []
    if isinstance(data.get("away"), str):
        data["away"], problems = _parse_away(path, entry, data["away"])
    elif isinstance(data.get("away"), list):
        data["away"] = [_away_item(item) for item in data["away"]]
    return data, problems


def _parse_away(path: str, entry: _Entry, text: str) -> tuple[list[dict[str, str]], list[str]]:
    """`2027-01-04..2027-01-08;2027-02-01` → periods (a single date is a one-day period)."""
    periods: list[dict[str, str]] = []
    problems: list[str] = []
    for index, part in enumerate(p.strip() for p in text.split(";")):
        if not part:
            continue
        bounds = [b.strip() for b in part.split("..")]
        if len(bounds) > 2 or not all(_is_date(b) for b in bounds):
            problems.append(entry.problem(
                path, "away", f"period {index + 1} {part!r} is not START..END with dates as YYYY-MM-DD "
                "(e.g. 2027-01-04..2027-01-08)"))
            continue
        periods.append({"start": bounds[0], "end": bounds[-1]})
    return periods, problems


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def _away_item(item: Any) -> Any:
    if isinstance(item, str) and ".." in item:
        start, _, end = item.partition("..")
        return {"start": start.strip(), "end": end.strip()}
    return item


def _field_and_message(err: Mapping[str, Any]) -> tuple[str, str]:
    loc = tuple(err.get("loc", ()))
    name = str(loc[0]) if loc else "(record)"
    noun = "period" if name == "away" else "item"
    rest = [f"{noun} {x + 1}" if isinstance(x, int) else str(x) for x in loc[1:]]
    message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    if err.get("type") == "missing":
        message = "missing (required)"
    elif err.get("type") == "extra_forbidden":
        message = f"unknown field; fields are {', '.join(CSV_COLUMNS)}"
    elif err.get("type") == "string_pattern_mismatch" and name == "id":
        message = "must be a lowercase slug: letters a-z, digits, '.', '_' or '-' (e.g. ava.okafor)"
    return (f"{name} ({' '.join(rest)})" if rest else name), message


def _cross_check(path: str, entries: list[_Entry]) -> list[str]:
    """Duplicate ids and emails, and delegates that are not in the roster."""
    problems: list[str] = []
    first_id: dict[str, _Entry] = {}
    first_email: dict[str, _Entry] = {}
    for entry in entries:
        pid, email = _text(entry.data.get("id")), _text(entry.data.get("email")).lower()
        if pid and pid in first_id:
            problems.append(entry.problem(path, "id", f"duplicate id {pid!r} (also {first_id[pid].where})"))
        if email and email in first_email:
            also = first_email[email].where
            problems.append(entry.problem(path, "email", f"duplicate email {email!r} (also {also})"))
        first_id.setdefault(pid, entry)
        first_email.setdefault(email, entry)
    for entry in entries:
        delegate, pid = _text(entry.data.get("delegate")), _text(entry.data.get("id"))
        if delegate and delegate not in first_id:
            problems.append(entry.problem(path, "delegate", f"{delegate!r} is not an id in this roster"))
        elif delegate and delegate == pid:
            problems.append(entry.problem(path, "delegate", "a person cannot be their own delegate"))
    return problems


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


# --- checking and showing -----------------------------------------------------------------


def _uncovered(policy: Policy, role: str, area: str | None) -> str:
    stages = [f"{i} {s.name}" for i, s in enumerate(policy.stages) if s.role == role]
    where = f" for area {area}" if area else ""
    what = f"stage {', '.join(stages)} has no reviewer" if stages else "a notice of this policy has no recipient"
    return f"no one holds role {role} ({role_label(role)}){where}: {what}"


def _describe_row(person: Person) -> tuple[str, ...]:
    return (
        person.id,
        person.name,
        str(person.email),
        ", ".join(role_label(r) for r in person.roles) or "-",
        ", ".join(person.areas) or "all",
        person.side.value,
        "yes" if person.slack_user_id else "no",
        "yes" if person.teams_aad_id else "no",
        person.delegate or "-",
        ", ".join(f"{a.start.isoformat()}..{a.end.isoformat()}" for a in person.away) or "-",
    )


__all__ = [
    "RosterFileError",
    "check_roster",
    "demo_roster_path",
    "describe_roster",
    "load_roster_file",
]
