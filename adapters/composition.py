"""Where the channels meet the outbox: the composition root's one place that gives the
dispatcher its chat senders and their after-send hooks.

A channel builds its sender and says what it offers (an `Outlet`); it never changes the
dispatcher itself. `adapters.web.create_app` connects every mounted channel's outlet to the
scheduler's dispatcher, once, in the order the channels were mounted (that order is the
order a person is tried in: Slack, then Teams, then email). The service's other shared
parts -- the core, the front desk, the one card-signing key -- are built by
`adapters.bootstrap.Service`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, replace

from adapters.dispatcher import ChatSender, Dispatcher
from bot.challenge import Message


@dataclass(frozen=True)
class Outlet:
    """What a channel offers the dispatcher: its sender, and what to do after any send."""

    sender: ChatSender
    on_sent: tuple[Callable[[Message], Awaitable[None]], ...] = ()


def connect(dispatcher: Dispatcher, outlets: Iterable[Outlet | None]) -> Dispatcher:
    """Give `dispatcher` the senders and hooks of `outlets` (None: a channel with nothing to send)."""
    for outlet in outlets:
        if outlet is None:
            continue
        dispatcher.chat = (*dispatcher.chat, outlet.sender)
        dispatcher.on_sent = (*dispatcher.on_sent, *outlet.on_sent)
    return dispatcher


def own_dispatcher(base: Dispatcher, outlet: Outlet) -> Dispatcher:
    """A channel served without the scheduler sends through a dispatcher of its own."""
    return replace(base, chat=(outlet.sender,), on_sent=outlet.on_sent)
