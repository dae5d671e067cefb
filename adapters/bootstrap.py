"""The composition root: wires settings, storage, policy, the core, the front desk and the one
card-signing key. Nothing at import time. (adapters/composition.py connects the channels'
senders to the outbox dispatcher.)"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from adapters.policy_files import load_policy
from adapters.settings import Settings
from bot.audit import AuditKey, audit_key
from bot.errors import InvalidCommand
from bot.policy import Policy
from storage.database import Database
from storage.marks import CommittedMarks

if TYPE_CHECKING:
    from adapters.dispatcher import Dispatcher
    from bot.handlers import Mashbot
    from dialogs.desk import Desk
    from dialogs.ports import Marks

log = logging.getLogger("mashbot")

# Crockford-style alphabet without look-alikes (0/O, 1/I/L, U), so references read aloud well.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A short, unguessable challenge reference such as CH-7K2M9Q."""
    return "CH-" + "".join(secrets.choice(_ALPHABET) for _ in range(6))


def utc_now() -> datetime:
    """The one place the service reads the clock; the core is always given `now`."""
    return datetime.now(UTC)


@dataclass
class Service:
    settings: Settings
    database: Database
    # The policy pack is parsed (and the core built) on first use: a command that only lists
    # challenges reads each one's own snapshot and never needs the current pack.
    _policy: Policy | None = None
    _mashbot: Mashbot | None = None
    # The console's demo clock moves the service's notion of now forward; never in production.
    clock_offset: timedelta = timedelta(0)
    _card_secret: bytes | None = None
    _desk: Desk | None = None

    @property
    def policy(self) -> Policy:
        if self._policy is None:
            self._policy = load_policy(self.settings.policy)
        return self._policy

    @property
    def mashbot(self) -> Mashbot:
        if self._mashbot is None:
            # The core and the front desk are imported when first asked for, not at start-up:
            # /healthz answers without them (see adapters/web.py, which warms them up).
            from bot.handlers import Mashbot

            database = self.database
            self._mashbot = Mashbot(uow=database.uow, policy=self.policy, new_reference=new_reference,
                                    mail_configured=self.settings.mail_transport_configured,
                                    read_uow=lambda: database.uow(read_only=True))
        return self._mashbot

    @mashbot.setter
    def mashbot(self, value: Mashbot) -> None:
        self._mashbot = value
        self._desk = None

    @property
    def desk(self) -> Desk:
        """The front desk every channel asks (dialogs/desk.py)."""
        if self._desk is None:
            from dialogs.desk import Desk

            database = self.database
            self._desk = Desk(self.mashbot, lambda: database.uow(read_only=True), self.now)
        return self._desk

    @property
    def marks(self) -> Marks:
        """Once-only marks a channel claims (a form submitted once), each claim committed at once."""
        return CommittedMarks(self.database.uow)

    @property
    def card_secret(self) -> bytes:
        """The one key that signs every channel's card buttons (see `card_secret`)."""
        if self._card_secret is None:
            self._card_secret = card_secret(self.settings)
        return self._card_secret

    def now(self) -> datetime:
        """The service's now: the real clock plus any demo offset."""
        return utc_now() + self.clock_offset

    def rehearsal_now(self, given: datetime | None) -> datetime:
        """A CLI `--now` (naive = the policy's local time), or the clock when none is given."""
        if given is None:
            return self.now()
        from bot.ladder import calendar_of

        return given if given.tzinfo else given.replace(tzinfo=calendar_of(self.policy).zone)

    async def close(self) -> None:
        await self.database.dispose()


def card_secret(settings: Settings) -> bytes:
    """MASHBOT_SECRET signs card actions. Without it, a key derived from the first channel
    secret set (SLACK_SIGNING_SECRET, then MICROSOFT_APP_PASSWORD) keeps buttons working across
    restarts and replicas; with neither, a random key for this process. Every channel of a
    service signs with the one key (Service.card_secret), so a card's button is good anywhere."""
    if settings.secret is not None and settings.secret.get_secret_value():
        return settings.secret.get_secret_value().encode()
    for name, value in (("SLACK_SIGNING_SECRET", settings.slack_signing_secret),
                        ("MICROSOFT_APP_PASSWORD", settings.microsoft_app_password)):
        if value is not None and value.get_secret_value():
            log.warning("MASHBOT_SECRET is not set: card buttons are signed with a key derived from %s; "
                        "set MASHBOT_SECRET to keep cards valid across a rotation", name)
            return hmac.new(value.get_secret_value().encode(), b"mashbot card actions", hashlib.sha256).digest()
    log.warning("MASHBOT_SECRET is not set: cards are signed with a random key for this process only")
    return secrets.token_bytes(32)


def audit_key_of(settings: Settings) -> AuditKey:
    """MASHBOT_AUDIT_KEY as a key; the development key when it is unset."""
    try:
        return audit_key(settings.audit_key.get_secret_value() if settings.audit_key else None)
    except ValueError as exc:
        raise InvalidCommand(str(exc)) from None


def build(settings: Settings | None = None) -> Service:
    """Assemble the service from settings (environment by default)."""
    settings = settings or Settings()
    return Service(settings=settings, database=Database(settings.database_url, audit_key=audit_key_of(settings)))


@asynccontextmanager
async def serving_dispatcher(service: Service) -> AsyncIterator[Dispatcher]:
    """The outbox dispatcher `mashbot serve` runs -- email and every configured chat channel,
    wired the same way -- for a one-off command such as cron's `mashbot tick`. No job is
    started and no port is opened. The service is closed when the block ends."""
    from aiohttp import web

    from adapters.web import CLOCKWORK, create_app

    app = create_app(service, scheduler=True, jobs=False)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()  # the channels' start-up and clean-up hooks (e.g. Slack drains its tasks)
    try:
        yield app[CLOCKWORK].dispatcher
    finally:
        await runner.cleanup()
