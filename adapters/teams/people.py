"""Who a Teams user is, and where to reach them later (stored conversation references).

A Teams user is the roster person whose `teams_aad_id` is their Entra (AAD) object id; else
the person whose stored reference is for this Teams user; else the person whose email is
the member's email or UPN as Teams reports it (one connector call). Identity comes from the
authenticated activity or from Teams itself, never from anything the user typed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from botbuilder.core import TurnContext
from botbuilder.core.teams import TeamsInfo
from botbuilder.schema import Activity, ConversationReference

from bot.roster import Person, Roster
from storage.database import Database

log = logging.getLogger("mashbot.teams")

CHANNEL = "teams"
SHARED_CONVERSATIONS = ("channel", "groupChat")


def tenant_of(activity: Activity) -> str | None:
    """The tenant id: Teams sends it in channelData (the one in `conversation` is dropped)."""
    data = activity.channel_data if isinstance(activity.channel_data, Mapping) else {}
    tenant = data.get("tenant")
    value = tenant.get("id") if isinstance(tenant, Mapping) else None
    return str(value) if value else None


def is_personal(activity: Activity) -> bool:
    """A 1:1 chat (the Emulator sends no conversation type: treated as 1:1)."""
    conversation = activity.conversation
    return conversation is None or conversation.conversation_type not in SHARED_CONVERSATIONS


def dump_reference(activity: Activity) -> str:
    """The stored form of where this activity came from: the reference and the tenant."""
    reference = TurnContext.get_conversation_reference(activity)
    reference.activity_id = None  # proactive sends must not thread onto an old message
    return json.dumps({"reference": reference.serialize(), "tenant_id": tenant_of(activity)},
                      sort_keys=True, separators=(",", ":"))


def load_reference(stored: str) -> tuple[ConversationReference, str | None]:
    data = json.loads(stored)
    reference = ConversationReference.deserialize(data["reference"])
    tenant = data.get("tenant_id")
    if tenant and reference.conversation is not None:
        reference.conversation.tenant_id = tenant
    return reference, tenant


def user_of(stored: str) -> str | None:
    """The Teams user id (29:…) a stored reference is for."""
    try:
        user = json.loads(stored)["reference"].get("user") or {}
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    return str(user["id"]) if isinstance(user, Mapping) and user.get("id") else None


async def who_is(context: TurnContext, database: Database, roster: Roster) -> Person | None:
    """The roster person who sent this activity, or None when mashbot does not know them."""
    sender = context.activity.from_property
    if sender is None or not sender.id:
        return None
    if sender.aad_object_id and (person := roster.by_teams_id(sender.aad_object_id)):
        return person
    async with database.uow(read_only=True) as uow:
        known = await uow.conversations.person_for_user(CHANNEL, sender.id, user_of)
    if known and (person := roster.get(known)):
        return person
    return await _by_email(context, roster, sender.id)


async def _by_email(context: TurnContext, roster: Roster, user_id: str) -> Person | None:
    try:
        member: Any = await TeamsInfo.get_member(context, user_id)
    except Exception as exc:  # noqa: BLE001 - Teams could not say who this is: treated as unknown
        log.info("teams: member lookup failed (%s)", type(exc).__name__)
        return None
    for address in (getattr(member, "email", None), getattr(member, "user_principal_name", None)):
        if address and (person := roster.by_email(str(address))):
            return person
    return None


async def remember(database: Database, person: Person, activity: Activity, now: datetime) -> bool:
    """Save (or refresh) where to reach this person; True when it changed."""
    if not is_personal(activity):
        return False
    stored = dump_reference(activity)
    async with database.uow(read_only=True) as uow:  # most turns change nothing: no write lock
        if await uow.conversations.get(person.id, CHANNEL) == stored:
            return False
    async with database.uow() as uow:
        await uow.conversations.put(person.id, CHANNEL, stored, now)
        await uow.commit()
    return True


async def forget(database: Database, person: Person) -> None:
    """The app was removed: reach this person by email from now on."""
    async with database.uow() as uow:
        await uow.conversations.forget(person.id, CHANNEL)
        await uow.commit()
