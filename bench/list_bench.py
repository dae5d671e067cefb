"""`mashbot challenges list` and `mashbot digest --dry-run` on 10,000 open challenges, against a
plain Python sqlite3 SELECT of the same rows, in one run.

Both commands run in this process as the CLI runs them (settings, engine, roster, render,
print — to a buffer), each with a cold policy-parse cache, as a new process would have. The
floor is `sqlite3.connect` + `SELECT * … fetchall()` of the rows the command reads. For
reference the run also times parsing the rows in the old format (a 4.4 KB policy copy in each
row, validated on every read) and prints the row size in both formats.

Targets: list / SELECT and digest / SELECT both under 3. Only ratios measured in this run
are printed (and row sizes in bytes).

Usage: python bench/list_bench.py [--open 10000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import io
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.seeding import NOW, add_people, challenges, load_policy, seed  # noqa: E402
from bot.challenge import Challenge  # noqa: E402
from storage import snapshots  # noqa: E402
from storage.database import Database  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.snapshots import challenge_data  # noqa: E402

ACTIVE = ("accepted", "awaiting_joint_agreement", "open", "outcome_proposed")


def best(fns: list[Callable[[], Any]], repeat: int) -> list[float]:
    """The best time of each, taking turns, so a busy spell on a shared machine hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(repeat):
        for fn, spent in zip(fns, times, strict=True):
            started = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - started)
    return [min(spent) for spent in times]


def plain_select(path: Path, where: str) -> Callable[[], Any]:
    def run() -> int:
        conn = sqlite3.connect(path)
        try:
            return len(conn.execute(f"SELECT * FROM challenges WHERE {where} ORDER BY raised_at, reference")
                       .fetchall())
        finally:
            conn.close()
    return run


def cli(argv: list[str]) -> Callable[[], Any]:
    from adapters.cli import main

    # As the `mashbot` command does (adapters/entry.py): what importing made is frozen, so the
    # collector does not rescan it while the command builds its rows.
    gc.freeze()

    def run() -> str:
        snapshots._PARSED.clear()  # a new process parses its snapshots once
        snapshots._DIGESTS.clear()
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = main(argv)
        assert code == 0, (argv, out.getvalue()[-500:])
        return out.getvalue()
    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--open", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    policy = load_policy()
    sample = challenges(policy, 50, 0, "SZ-")
    old_rows = [c.model_dump_json() for c in sample]
    new_rows = [challenge_data(c) for c in sample]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.db"
        url = f"sqlite:///{path}"
        asyncio.run(upgrade(url))

        async def fill() -> None:
            db = Database(url)
            try:
                await add_people(db)
                await seed(db, policy, args.open, 0, "CH-")
            finally:
                await db.dispose()
        asyncio.run(fill())
        os.environ["MASHBOT_DATABASE_URL"] = url
        os.environ.setdefault("MASHBOT_POLICY", "lancashire")
        listing = cli(["challenges", "list"])
        digest = cli(["digest", "--dry-run", "--now", NOW.isoformat()])
        lines = listing().count("\n") - 1
        assert lines == args.open, lines
        assert f"{args.open} open" in digest() or str(args.open) in digest()
        floor_open = plain_select(path, f"state IN {ACTIVE}")
        floor_s, list_s, digest_s = best([floor_open, listing, digest], args.repeat)
        old_parse_s, = best([lambda: [Challenge.model_validate_json(d) for d in old_rows * (args.open // 50)]], 1)
    old_size, new_size = statistics.fmean(map(len, old_rows)), statistics.fmean(map(len, new_rows))
    print(f"{args.open:,} open challenges on SQLite; best of {args.repeat}")
    print(f"  challenges.data per row: before {old_size:,.0f} bytes (policy copy inside), "
          f"after {new_size:,.0f} bytes (+ a 64-char digest; one {len(snapshots.snapshot_of(policy)[1]):,}-byte "
          "snapshot per policy)")
    print(f"  mashbot challenges list   / sqlite3 SELECT = {list_s / floor_s:6.2f}  (target < 3)")
    print(f"  mashbot digest --dry-run  / sqlite3 SELECT = {digest_s / floor_s:6.2f}  (target < 3)")
    print(f"  for reference: parsing the rows in the old format / sqlite3 SELECT = {old_parse_s / floor_s:6.2f}")
    ok = list_s / floor_s < 3 and digest_s / floor_s < 3
    print(f"  targets {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
