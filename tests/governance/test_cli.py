"""The governance commands end to end through `mashbot` (in-process), on the generated quarter."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from adapters.cli import main
from tests.governance.conftest import Generated
from tests.governance.test_retention import PURGE_NOW

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(quarter_url: str, policy_file: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Run:
    monkeypatch.setenv("MASHBOT_DATABASE_URL", quarter_url)
    monkeypatch.setenv("MASHBOT_POLICY", str(policy_file))
    monkeypatch.delenv("MASHBOT_ROSTER", raising=False)
    monkeypatch.chdir(tmp_path)

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out = capsys.readouterr()
        return code, out.out, out.err

    assert run("db", "upgrade")[0] == 0
    return run


def test_report_purge_verify_export_through_the_cli(cli: Run, quarter500: Generated, tmp_path: Path,
                                                   pin_clock: Callable[..., None]) -> None:
    args = ("report", "quarterly", "--from", "2026-04-01", "--to", "2026-06-30", "--now", "2026-08-03T10:00")
    code, text, err = cli(*args, "--csv", "q.csv", "--html", "q.html")
    assert code == 0, err
    assert text.startswith("MASH professional challenges — quarterly report\n")
    assert "as they stood at Mon 3 Aug 2026, 10:00" in text
    assert re.search(r"Challenges raised\s+500\n", text)
    assert "CSV written to q.csv" in err and "HTML written to q.html" in err
    assert (tmp_path / "q.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    html = (tmp_path / "q.html").read_text(encoding="utf-8")
    assert html.count('src="data:image/png;base64,') >= 8 and "http" not in html.replace("http-equiv", "")

    ref = next(e.reference for e in quarter500.quarter.expects if e.scenario == "full_ladder")
    code, shown, _ = cli("challenges", "show", ref)
    assert code == 0 and "Head of Service (Stage 3 of 3); state closed" in shown

    code, out, _ = cli("purge", "--dry-run", "--now", PURGE_NOW.isoformat())
    assert code == 0 and out.startswith("Would purge ") and "(retention 730 days)" in out
    n = int(out.split()[2])
    # --now only rehearses, even without --dry-run: nothing is purged
    code, out, err = cli("purge", "--now", PURGE_NOW.isoformat())
    assert code == 0 and out.startswith(f"Would purge {n} ") and "--now rehearses and changes nothing" in err
    pin_clock(PURGE_NOW)
    code, out, _ = cli("purge")
    assert code == 0 and out.startswith(f"Purged {n} challenge(s) closed or withdrawn before Fri 15 May 2026, 00:00")
    assert cli("purge")[1].startswith("Nothing to purge")

    code, out, _ = cli("audit", "verify")
    assert code == 0 and "hash chain intact" in out
    gone = next(e.reference for e in quarter500.quarter.expects if e.scenario == "pm_late")
    code, out, _ = cli("challenges", "show", gone)
    assert code == 1 and "It was purged under the retention period at " in out

    code, again, _ = cli(*args)
    assert code == 0
    counts_before, lessons_before = text.split("\nLessons learned\n")
    counts_after, lessons_after = again.split("\nLessons learned\n")
    note = f"{n} of these challenges were purged under the retention period; their counts are kept.\n"
    assert note in counts_after and counts_after.replace(note, "") == counts_before  # every number the same
    assert lessons_after.count("\n") == lessons_before.count("\n")  # every lesson still listed,
    assert "(text removed under the retention period)" in lessons_after  # the purged ones without text

    code, out, _ = cli("challenges", "export", ref, "--out", "exports")
    assert code == 0 and f"Exported {ref} (" in out
    doc = json.loads((tmp_path / "exports" / f"{ref}.json").read_text(encoding="utf-8"))
    assert doc["reference"] == ref and doc["timeline"]
    assert (tmp_path / "exports" / f"{ref}.txt").exists()
    assert cli("challenges", "export", "CH-NOPE99")[0] == 1


def test_report_dates_are_checked(cli: Run) -> None:
    code, _, err = cli("report", "quarterly", "--from", "2026-06-30", "--to", "2026-04-01")
    assert code == 2 and "is before --from" in err
    with pytest.raises(SystemExit):
        cli("report", "quarterly", "--from", "30/06/2026", "--to", "2026-04-01")
