"""The roles a roster person can hold, in the words the procedures use."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator

ROLE_LABELS: dict[str, str] = {
    "practitioner": "Practitioner",
    "practice_manager": "MASH/CSSH Practice Manager",
    "mash_team_manager": "MASH/CSSH Team Manager",
    "mash_senior_manager": "MASH/CSSH Senior Manager",
    "head_of_service_mash": "Head of Service MASH",
    "strategic_head_of_service": "Strategic Head of Service / Director",
    "mash_county_manager": "MASH County Manager",
    "front_door_service_manager": "Front Door Service Manager",
    "assistant_director": "Assistant Director",
    "locality_team_manager": "Locality Team Manager",
    "locality_practice_manager": "Locality Practice Manager",
    "locality_senior_manager": "Locality Senior Manager",
    "locality_head_of_service": "Head of Service (locality)",
    "senior_manager": "Senior Manager",
    "csap_mailbox": "CSAP team mailbox",
    "iro_mailbox": "IRO / CPRU mailbox",
    "edt_mailbox": "Emergency Duty Team",
    "lscp_business_manager": "LSCP business manager",
    "line_manager": "Line manager",
    "designated_safeguarding_lead": "Designated safeguarding lead",
}

KNOWN_ROLES = frozenset(ROLE_LABELS)


def role_label(role: str) -> str:
    """The label people read for a role key."""
    return ROLE_LABELS.get(role, role.replace("_", " "))


def known_role(value: str) -> str:
    """Pydantic validator: a role key mashbot knows (the message lists them)."""
    if value not in KNOWN_ROLES:
        raise ValueError(f"unknown role {value!r}; known roles: {', '.join(sorted(KNOWN_ROLES))}")
    return value


Role = Annotated[str, AfterValidator(known_role)]
