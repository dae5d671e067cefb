"""Roster files: the demo roster, loading YAML/CSV with precise errors, checks against a policy."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from adapters.roster_files import (
    RosterFileError,
    check_roster,
    demo_roster_path,
    describe_roster,
    load_roster_file,
)
from bot.policy import Policy
from bot.reviewers import assign
from bot.roster import AREAS, Person, Roster

PACKS = Path(__file__).resolve().parents[2] / "bot" / "packs"
HEADER = "id,name,email,roles,areas,side,slack_user_id,teams_aad_id,delegate,away\n"


def _pack(name: str) -> Policy:
    with open(PACKS / f"{name}.yaml", encoding="utf-8") as handle:
        return Policy.model_validate(yaml.safe_load(handle))


@pytest.fixture(scope="module")
def demo() -> list[Person]:
    return load_roster_file(demo_roster_path())


@pytest.fixture(scope="module")
def lancashire() -> Policy:
    return _pack("lancashire")


def _errors(path: Path) -> list[str]:
    with pytest.raises(RosterFileError) as info:
        load_roster_file(path)
    assert str(path) in str(info.value)
    return info.value.problems


def _one(problems: list[str], *needles: str) -> str:
    hits = [p for p in problems if all(n in p for n in needles)]
    assert hits, f"no problem mentions {needles}: {problems}"
    return hits[0]


# --- the demo roster ------------------------------------------------------------------------


def test_demo_roster_is_shipped_and_loads(demo: list[Person]) -> None:
    assert demo_roster_path().name == "roster.yaml"
    assert demo_roster_path().is_file()
    assert len(demo) >= 20


@pytest.mark.parametrize("pack", ["lancashire", "north-tyneside", "solihull", "coventry"])
def test_demo_roster_covers_every_shipped_pack(demo: list[Person], pack: str) -> None:
    assert check_roster(demo, _pack(pack)) == []


def test_demo_practice_manager_pools(demo: list[Person]) -> None:
    roster = Roster(demo)
    sizes = {area: len(roster.with_role("practice_manager", area)) for area in AREAS}
    assert sizes == {"East": 2, "Central": 2, "North": 1, "CSSH": 3}


def test_demo_people_are_fictional_example_org(demo: list[Person]) -> None:
    assert all(str(p.email).endswith("@example.org") for p in demo)
    text = demo_roster_path().read_text(encoding="utf-8")
    assert "tel:" not in text.lower()
    # the only phone numbers are from Ofcom's drama range (01632 960xxx), which reach nobody
    numbers = re.findall(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b", text)
    assert numbers and all(re.fullmatch(r"01632 960 ?\d{3}", n) for n in numbers), numbers
    assert all(p.phone is None or p.phone.startswith("01632 960") for p in demo)


def test_demo_has_mailboxes_and_chat_ids(demo: list[Person]) -> None:
    roster = Roster(demo)
    assert roster.get("csap-team").roles == ("csap_mailbox",)  # type: ignore[union-attr]
    assert roster.get("iro-mailbox").roles == ("iro_mailbox",)  # type: ignore[union-attr]
    assert roster.get("edt").roles == ("edt_mailbox",)  # type: ignore[union-attr]
    assert roster.by_slack_id("U0DEMO001").id == "ava.okafor"  # type: ignore[union-attr]
    assert sum(1 for p in demo if p.teams_aad_id) >= 3


def test_away_practice_manager_is_covered_by_delegate(demo: list[Person], lancashire: Policy) -> None:
    roster = Roster(demo)
    away = roster.get("nia.brennan")
    assert away is not None and away.is_away(date(2027, 1, 6))
    covered = assign(lancashire, roster, 0, "North", date(2027, 1, 6))
    assert covered.stage == 0 and covered.reviewers == ("callum.reid",)
    present = assign(lancashire, roster, 0, "North", date(2027, 1, 11))
    assert present.reviewers == ("nia.brennan",)


def test_describe_roster_shows_a_table(demo: list[Person]) -> None:
    table = describe_roster(demo)
    assert table.splitlines()[0].split()[:3] == ["id", "name", "email"]
    assert "MASH/CSSH Practice Manager" in table
    assert "2027-01-04..2027-01-08" in table
    assert f"{len(demo)} people" in table


# --- checks against a policy ------------------------------------------------------------------


def test_missing_team_manager_is_a_check_problem(demo: list[Person], lancashire: Policy) -> None:
    without = [p for p in demo if "mash_team_manager" not in p.roles]
    problems = check_roster(without, lancashire)
    assert len(problems) == 1
    assert "mash_team_manager" in problems[0] and "Team Manager" in problems[0]


def test_missing_area_pool_names_the_area(demo: list[Person], lancashire: Policy) -> None:
    without = [p for p in demo if p.id != "nia.brennan"]
    problems = check_roster(without, lancashire)
    _one(problems, "practice_manager", "area North")
    assert not any("area East" in p for p in problems)


def test_missing_mailbox_and_dangling_delegate_are_problems(demo: list[Person], lancashire: Policy) -> None:
    people = [p for p in demo if p.id not in ("csap-team", "callum.reid")]
    problems = check_roster(people, lancashire)
    _one(problems, "csap_mailbox")
    _one(problems, "nia.brennan", "delegate")


# --- loading: good files ----------------------------------------------------------------------


def test_csv_roster_loads(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(
        HEADER
        + "a.one,A One,a.one@example.org,practice_manager;senior_manager,East;North,mash,U1,,b.two,"
        "2027-01-04..2027-01-08;2027-02-01\n"
        + "b.two,B Two,b.two@example.org,mash_team_manager,,MASH,,,,\n",
        encoding="utf-8",
    )
    first, second = load_roster_file(path)
    assert first.roles == ("practice_manager", "senior_manager")
    assert first.areas == ("East", "North") and first.delegate == "b.two" and first.slack_user_id == "U1"
    assert [(a.start, a.end) for a in first.away] == [
        (date(2027, 1, 4), date(2027, 1, 8)),
        (date(2027, 2, 1), date(2027, 2, 1)),
    ]
    assert second.areas == () and second.teams_aad_id is None


# --- loading: errors ---------------------------------------------------------------------------

CSV_BAD = HEADER + "\n".join(
    [
        "ok.one,Ok One,ok.one@example.org,practice_manager,East,,,,,",  # row 2
        "ok.one,Dup Id,dup.id@example.org,practice_manager,East,,,,,",  # row 3 duplicate id
        "dup.mail,Dup Mail,OK.ONE@example.org,practice_manager,East,,,,,",  # row 4 duplicate email
        "bad.area,Bad Area,bad.area@example.org,practice_manager,Westshire,,,,,",  # row 5
        "bad.role,Bad Role,bad.role@example.org,chief_wizard,,,,,,",  # row 6
        "bad.del,Bad Delegate,bad.del@example.org,practice_manager,East,,,,nobody,",  # row 7
        "bad.away,Bad Away,bad.away@example.org,practice_manager,East,,,,,2027-01-08..2027-01-04",  # row 8
        "no.mail,No Mail,,practice_manager,East,,,,,",  # row 9 missing email
        "bad.mail,Bad Mail,not-an-email,practice_manager,East,,,,,",  # row 10
        "Bad Id,Bad Id,bad.id@example.org,practice_manager,East,,,,,",  # row 11
        "bad.side,Bad Side,bad.side@example.org,practitioner,,police,,,,",  # row 12
        "bad.fmt,Bad Format,bad.fmt@example.org,practitioner,,,,,,next week",  # row 13
    ]
) + "\n"


@pytest.mark.parametrize(
    ("row", "field", "words"),
    [
        ("row 3 (id ok.one)", "field id", "duplicate id"),
        ("row 4 (id dup.mail)", "field email", "duplicate email"),
        ("row 5 (id bad.area)", "field areas", "unknown area"),
        ("row 6 (id bad.role)", "field roles", "unknown role"),
        ("row 7 (id bad.del)", "field delegate", "'nobody' is not an id"),
        ("row 8 (id bad.away)", "field away", "before its start"),
        ("row 9 (id no.mail)", "field email", "missing"),
        ("row 10 (id bad.mail)", "field email", "email"),
        ("row 11 (id Bad Id)", "field id", "lowercase"),
        ("row 12 (id bad.side)", "field side", "MASH"),
        ("row 13 (id bad.fmt)", "field away", "START..END"),
    ],
)
def test_csv_errors_name_row_and_field(tmp_path: Path, row: str, field: str, words: str) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(CSV_BAD, encoding="utf-8")
    problem = _one(_errors(path), f": {row}, {field}", words)
    assert problem.startswith(str(path))


def test_csv_good_rows_are_not_blamed(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text(CSV_BAD, encoding="utf-8")
    assert not any("row 2 " in p for p in _errors(path))


def test_csv_header_problems(tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("id,name,mail,colour\nx,X,x@example.org,red\n", encoding="utf-8")
    problems = _errors(path)
    _one(problems, "row 1", "'colour'", "unknown column")
    _one(problems, "row 1", "missing required column 'email'")


YAML_BAD = """\
people:
  - id: ok.one
    name: Ok One
    email: ok.one@example.org
    roles: [practice_manager]
    areas: [East]
  - id: ok.one
    name: Dup Id
    email: dup.id@example.org
  - id: dup.mail
    name: Dup Mail
    email: Ok.One@Example.org
  - id: bad.area
    name: Bad Area
    email: bad.area@example.org
    roles: [practice_manager]
    areas: [Westshire]
  - id: bad.role
    name: Bad Role
    email: bad.role@example.org
    roles: [chief_wizard]
  - id: bad.del
    name: Bad Delegate
    email: bad.del@example.org
    delegate: nobody
  - id: bad.away
    name: Bad Away
    email: bad.away@example.org
    away:
      - {start: 2027-01-08, end: 2027-01-04}
  - id: no.mail
    name: No Mail
  - id: extra.field
    name: Extra
    email: extra@example.org
    fax: "01234"
"""


@pytest.mark.parametrize(
    ("where", "field", "words"),
    [
        ("person 2 (id ok.one), line 7", "field id", "duplicate id"),
        ("person 3 (id dup.mail), line 12", "field email", "duplicate email"),
        ("person 4 (id bad.area), line 17", "field areas", "unknown area"),
        ("person 5 (id bad.role), line 21", "field roles", "unknown role"),
        ("person 6 (id bad.del), line 25", "field delegate", "'nobody' is not an id"),
        ("person 7 (id bad.away), line 29", "field away (period 1)", "before its start"),
        ("person 8 (id no.mail), line 31", "field email", "missing"),
        ("person 9 (id extra.field), line 36", "field fax", "unknown field"),
    ],
)
def test_yaml_errors_name_person_line_and_field(tmp_path: Path, where: str, field: str, words: str) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text(YAML_BAD, encoding="utf-8")
    _one(_errors(path), f"{path}: {where}, {field}", words)


def test_yaml_structure_errors(tmp_path: Path) -> None:
    path = tmp_path / "roster.yaml"
    path.write_text("people: [\n  - id: x\n", encoding="utf-8")
    _one(_errors(path), "not valid YAML", "line")
    path.write_text("staff:\n  - id: x\n", encoding="utf-8")
    _one(_errors(path), "'people:'")
    path.write_text("people:\n  - just a string\n", encoding="utf-8")
    _one(_errors(path), "person 1, line 2", "mapping")
    path.write_text("people: []\n", encoding="utf-8")
    _one(_errors(path), "no people")


def test_missing_file_and_wrong_type(tmp_path: Path) -> None:
    _one(_errors(tmp_path / "absent.yaml"), "file not found")
    wrong = tmp_path / "roster.xlsx"
    wrong.write_bytes(b"PK")
    _one(_errors(wrong), "unsupported file type")
