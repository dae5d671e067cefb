"""The dependency rule (DESIGN §5): the core is pure and dependencies point inward."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_import_contracts_hold() -> None:
    """bot/ imports nothing of ours and no I/O library; adapters -> storage/cards/dialogs -> bot."""
    linter = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "0 broken" in run.stdout


def test_the_core_never_reads_the_clock() -> None:
    clock = re.compile(r"datetime\.now|datetime\.utcnow|date\.today|time\.time\(|time\.monotonic")
    offenders = [f"{path.relative_to(ROOT)}:{n}" for path in (ROOT / "bot").rglob("*.py")
                 for n, line in enumerate(path.read_text().splitlines(), 1) if clock.search(line)]
    assert offenders == []


def test_the_core_cards_and_dialogs_type_check_strictly() -> None:
    """STYLE.md: mypy --strict on the pure parts (bot/, cards/, dialogs/)."""
    run = subprocess.run([sys.executable, "-m", "mypy", "bot", "cards", "dialogs"], cwd=ROOT,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_unused_imports_or_undefined_names_anywhere() -> None:
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr



def test_the_identifier_check_brings_no_io_library_with_it() -> None:
    """The import contract allows indirect imports, so check what the identifier check and
    phonenumbers load when they run: none of the I/O libraries the core forbids (urllib.parse,
    which pydantic loads too, only splits strings)."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]
    forbidden = next(c["forbidden_modules"] for c in config if c.get("source_modules") == ["bot"])
    probe = ("import sys, bot.identifiers; bot.identifiers.find_identifiers('call 07700 900123, NI AB123456C'); "
             "print(' '.join(sorted(sys.modules)))")
    run = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    loaded = [m for m in run.stdout.split() if m.split(".")[0] in forbidden and m not in ("urllib", "urllib.parse")]
    assert loaded == []
