"""Identifier check speed: time per typical 500-character answer, today's check against the
check as it was before (bench/identifiers_before.py), measured in the same run.

The answers are built from the labelled corpus (tests/unit/data/identifier_corpus.txt):
sentences drawn at random with a fixed seed and joined until an answer is ~500 characters,
as a reason or rationale is. The two checks take turns over the same answers, round after
round, so both see the same machine load; the median round counts.

Prints the ratio today / before and, for the target, today's time per answer: it must stay
under 5 ms on the project's machine (exit status 1 if not). The run is bounded by --rounds.

Usage: python bench/identifier_bench.py [--answers 200] [--rounds 15]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import identifiers_before  # noqa: E402  (beside this file)

from bot.identifiers import find_identifiers  # noqa: E402

CORPUS = ROOT / "tests" / "unit" / "data" / "identifier_corpus.txt"
TARGET_MS = 5.0
LENGTH = 500


def sentences() -> list[str]:
    lines = CORPUS.read_text(encoding="utf-8").splitlines()
    return [line.partition("|")[2].strip() for line in lines if "|" in line and not line.startswith("#")]


def answers(count: int, seed: int = 20261202) -> list[str]:
    rng = random.Random(seed)
    pool = sentences()
    built = []
    for _ in range(count):
        text = ""
        while len(text) < LENGTH:
            text = f"{text} {rng.choice(pool)}".strip()
        built.append(text[:LENGTH].rsplit(" ", 1)[0])
    return built


def one_round(check: Callable[[str], object], texts: list[str]) -> float:
    """Seconds per answer for one pass over all answers."""
    start = time.perf_counter()
    for text in texts:
        check(text)
    return (time.perf_counter() - start) / len(texts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--answers", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    texts = answers(args.answers)
    for text in texts[:5]:  # warm both up: compiled patterns, phone metadata
        find_identifiers(text)
        identifiers_before.find_identifiers(text)
    today: list[float] = []
    before: list[float] = []
    for _ in range(args.rounds):
        before.append(one_round(identifiers_before.find_identifiers, texts))
        today.append(one_round(find_identifiers, texts))
    today_ms = statistics.median(today) * 1000
    before_ms = statistics.median(before) * 1000
    mean_length = sum(map(len, texts)) / len(texts)
    print(f"{len(texts)} answers of ~{mean_length:.0f} characters, {args.rounds} rounds (median round)")
    print(f"today / before: {today_ms / before_ms:.2f}x  (per answer: today {today_ms:.3f} ms, before {before_ms:.3f} ms)")
    print(f"target: under {TARGET_MS:.0f} ms per answer on this machine: {'met' if today_ms < TARGET_MS else 'MISSED'}")
    return 0 if today_ms < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
