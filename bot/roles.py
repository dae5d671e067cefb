"""The roles a roster person can hold, in the words the procedures use."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

from bot import texts

ROLE_LABELS = texts.ROLE_LABELS  # the role keys mashbot knows, with the words people read

KNOWN_ROLES = frozenset(ROLE_LABELS)


def role_label(role: str) -> str:
    """The label people read for a role key."""
    return ROLE_LABELS.get(role, role.replace("_", " "))


def known_role(value: str) -> str:
    """Pydantic validator: a role key mashbot knows (the message lists them)."""
    if value not in KNOWN_ROLES:
        raise ValueError(texts.UNKNOWN_ROLE.format(role=value, known=", ".join(sorted(KNOWN_ROLES))))
    return value


Role = Annotated[str, AfterValidator(known_role)]
