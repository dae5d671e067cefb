"""Who may look a challenge up by its reference: one table for every channel's test.

Tara raises an East challenge; each person then asks for it by reference. The answer must be
the same in Slack, Teams and the console: the card, or the words for a reference that does
not exist."""

from __future__ import annotations

from bot import texts

# person id -> (why, sees it)
WHO = {
    "tara.nolan": ("raised it", True),
    "ava.okafor": ("an East Practice Manager: in the pool reviewing it", True),
    "ellen.marsh": ("the Team Manager: above in the ladder", True),
    "farid.khan": ("a Senior Manager: reads the digest of every area", True),
    "callum.reid": ("a Central Practice Manager: MASH staff, not involved", False),
    "martin.quayle": ("an East locality Team Manager, not involved", False),
}
SLACK_IDS = {"tara.nolan": "U0DEMO007", "ava.okafor": "U0DEMO001", "ellen.marsh": "U0DEMO004",
             "farid.khan": "U0DEMO005", "callum.reid": "U0DEMO003", "martin.quayle": "U0DEMO006"}


def not_found(reference: str) -> str:
    return texts.NOT_FOUND.format(reference=reference)
