"""Lessons learned: asked of the reviewer at close, single- or multi-agency, and only the
multi-agency ones sent on.

Solihull: "Consideration should be given as to whether lessons can be learned from any stage
of this process, either on a single agency or interagency level ... Where an agency / agencies
think that there could be lessons to be learned on a multi-agency level, details should be
forwarded to the Solihull LSCP Business Manager".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts
from bot.kinds import EventKind, MessageKind
from bot.challenge import Channel
from bot.errors import InvalidCommand

if TYPE_CHECKING:
    from bot.ladder import Change

SCOPES = ("multi_agency", "single_agency", "none")


def add(change: Change, actor: str, scope: str, category: str, text: str, categories: dict[str, str]) -> None:
    """Record the answer; a multi-agency lesson goes to the pack's lessons-learned role."""
    from bot.ladder import check_free_text  # the ladder imports this module for its close hook

    ch = change.challenge
    if scope not in SCOPES:
        raise InvalidCommand(texts.LESSON_SCOPE_NEEDED, field="scope")
    if scope == "none":
        change.touch(actor, "lesson_none")
        change.event(EventKind.LESSON_NONE, ch.state, actor)
        change.reply = "Noted: no lesson to learn."
        return
    check_free_text(texts.FREE_TEXT_LABELS["lesson"], text, "text")
    if category not in categories:
        raise InvalidCommand(texts.LESSON_CATEGORY_MUST_BE.format(categories=", ".join(categories.values())),
                             field="category")
    if not text.strip():
        raise InvalidCommand(texts.LESSON_NEEDS_TEXT, field="text")
    change.touch(actor, "lesson_added")
    change.event(EventKind.LESSON_ADDED, ch.state, actor, category=category, text=text.strip(), scope=scope)
    to = change.role_holders(ch.policy.notifications.lessons_learned)
    if scope == "multi_agency" and to:
        change.send(MessageKind.LESSON_LEARNED, to, Channel.EMAIL, category_label=categories[category], text=text.strip())
        change.reply = f"Lesson recorded and sent to {change.names(to)}."
    else:
        change.reply = "Lesson recorded (single agency: kept with the challenge, not sent on)."


def ask_at_close(change: Change) -> None:
    """At close the reviewer who decided is asked whether there is a lesson (the card offers it)."""
    ch = change.challenge
    n = ch.policy.notifications
    if not n.lessons_at_close or not n.lessons_learned or ch.outcome is None:
        return
    change.send(MessageKind.LESSON_QUESTION, [ch.outcome.by])
    change.event(EventKind.LESSON_ASKED, ch.state, None, to=[ch.outcome.by])
