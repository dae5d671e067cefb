"""The identifier check against a labelled corpus of what caseworkers type.

tests/unit/data/identifier_corpus.txt holds small answers, each marked with the kind of
identifier it carries or "none". The check must find at least 97% of the identifiers (of
the right kind) and refuse at most 3% of the ordinary sentences. Run with -s to see the
rates and the cases it gets wrong.
"""

from __future__ import annotations

from pathlib import Path

from bot.identifiers import (
    DATE_OF_BIRTH,
    EMAIL_ADDRESS,
    NAME,
    NATIONAL_INSURANCE_NUMBER,
    NHS_NUMBER,
    PHONE_NUMBER,
    POSTCODE,
    STREET_ADDRESS,
    find_identifiers,
)

CORPUS = Path(__file__).parent / "data" / "identifier_corpus.txt"
KINDS = {
    "nhs": NHS_NUMBER,
    "nino": NATIONAL_INSURANCE_NUMBER,
    "dob": DATE_OF_BIRTH,
    "postcode": POSTCODE,
    "phone": PHONE_NUMBER,
    "email": EMAIL_ADDRESS,
    "name": NAME,
    "address": STREET_ADDRESS,
    "none": None,
}
MIN_RECALL = 0.97
MAX_FALSE_POSITIVES = 0.03


def corpus() -> list[tuple[str | None, str]]:
    cases = []
    for number, line in enumerate(CORPUS.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, sep, text = line.partition("|")
        assert sep and label.strip() in KINDS, f"line {number}: write 'kind | text', kind one of {sorted(KINDS)}"
        cases.append((KINDS[label.strip()], text.strip()))
    return cases


def test_the_corpus_is_big_enough_and_covers_every_kind() -> None:
    cases = corpus()
    assert len(cases) >= 300
    counts = {kind: sum(1 for label, _ in cases if label == kind) for kind in KINDS.values()}
    assert all(count >= 10 for count in counts.values()), counts
    assert len({text for _, text in cases}) == len(cases), "a case is written twice"


def test_recall_and_false_positive_rate_on_the_corpus() -> None:
    cases = corpus()
    missed = [(kind, text) for kind, text in cases
              if kind is not None and kind not in {found.kind for found in find_identifiers(text)}]
    refused = [(text, [found.kind for found in find_identifiers(text)]) for kind, text in cases
               if kind is None and find_identifiers(text)]
    identifiers = sum(1 for kind, _ in cases if kind is not None)
    ordinary = len(cases) - identifiers
    recall = 1 - len(missed) / identifiers
    false_positives = len(refused) / ordinary
    print(f"\nidentifier check: recall {recall:.3f} ({identifiers - len(missed)}/{identifiers}), "
          f"false positives {false_positives:.3f} ({len(refused)}/{ordinary})")
    for kind, text in missed:
        print(f"  missed {kind}: {text}")
    for text, kinds in refused:
        print(f"  refused as {', '.join(kinds)}: {text}")
    assert recall >= MIN_RECALL, f"recall {recall:.3f} below {MIN_RECALL}: missed {missed}"
    assert false_positives <= MAX_FALSE_POSITIVES, f"false positives {false_positives:.3f}: {refused}"


