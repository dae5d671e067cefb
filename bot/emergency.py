"""Solihull's Emergency Resolution Protocol, besides the urgent ladder.

"If the practitioner feels that this is a dispute relating to a child protection concern that
requires immediate action as there is a likelihood of imminent significant harm they should
speak directly to their line manager, or designated safeguarding lead who will follow the
Emergency Resolution Protocol."
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot import texts
from bot.kinds import EventKind, MessageKind
from bot.errors import InvalidCommand

if TYPE_CHECKING:
    from bot.ladder import Change


def on_raise(change: Change, needed: bool) -> None:
    """Tell the practitioner to speak to them at once, and tell the line managers and
    designated safeguarding leads of the area (roster roles) straight away."""
    if not needed:
        return
    ch = change.challenge
    roles = ch.policy.notifications.emergency_protocol
    if not roles:
        raise InvalidCommand(texts.NO_EMERGENCY_PROTOCOL, field="emergency_protocol")
    if not ch.urgent:
        raise InvalidCommand(texts.EMERGENCY_NEEDS_URGENT, field="emergency_protocol")
    told = [pid for role in roles for pid in change.role_holders(role, area_scoped=True) if pid != ch.challenger_id]
    told = list(dict.fromkeys(told))
    change.event(EventKind.EMERGENCY_PROTOCOL, ch.state, ch.challenger_id, to=told)
    change.send(MessageKind.EMERGENCY_PROTOCOL, told, case_reference=ch.case_reference)
    change.reply = " ".join((change.reply, texts.EMERGENCY_SPEAK_NOW.format(
        names=change.names(told) if told else texts.EMERGENCY_NOBODY)))
