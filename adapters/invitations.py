"""Calendar invitations (RFC 5545 iCalendar) for the discussions the parties book.

Built by hand: one VEVENT with UTC times (so no VTIMEZONE is needed), TEXT values escaped
(backslash, semicolon, comma, newline), parameter values quoted, lines ending in CRLF and
folded at 75 octets without splitting a UTF-8 character. A dependency would add nothing for
one fixed shape of event.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

FOLD_AT = 75  # octets per line, CRLF excluded (RFC 5545 §3.1)


def escape_text(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def quote_param(value: str) -> str:
    """A parameter value: DQUOTE is not allowed inside, so it is dropped; quoted when needed."""
    value = value.replace('"', "").replace("\r", " ").replace("\n", " ")
    return f'"{value}"' if any(c in value for c in ":;,") else value


def fold(line: str) -> bytes:
    """One content line, folded at 75 octets, each piece ending in CRLF."""
    raw = line.encode()
    pieces: list[bytes] = []
    limit = FOLD_AT
    while len(raw) > limit:
        cut = limit
        while cut > 0 and (raw[cut] & 0xC0) == 0x80:  # never inside a UTF-8 sequence
            cut -= 1
        pieces.append(raw[:cut])
        raw = raw[cut:]
        limit = FOLD_AT - 1  # continuation lines start with a space
    pieces.append(raw)
    return b"\r\n ".join(pieces) + b"\r\n"


def _utc(value: str) -> str:
    return datetime.fromisoformat(value).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _person(prop: str, who: Mapping[str, str], extra: str = "") -> str:
    return f"{prop};CN={quote_param(who.get('name', ''))}{extra}:mailto:{who.get('email', '')}"


def ics(calendar: Mapping[str, Any]) -> bytes:
    """The invitation as an iCalendar object (METHOD:REQUEST, one event)."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//mashbot//professional challenge//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{calendar['uid']}",
        f"DTSTAMP:{_utc(calendar['stamp'])}",
        f"DTSTART:{_utc(calendar['starts'])}",
        f"DTEND:{_utc(calendar['ends'])}",
        f"SUMMARY:{escape_text(str(calendar['summary']))}",
        f"LOCATION:{escape_text(str(calendar['location']))}",
        f"DESCRIPTION:{escape_text(str(calendar['description']))}",
        _person("ORGANIZER", calendar["organizer"]),
        *(_person("ATTENDEE", who, ";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE")
          for who in calendar["attendees"] if who.get("email")),
        "SEQUENCE:0",
        "STATUS:CONFIRMED",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return b"".join(fold(line) for line in lines)


def attach_invitation(email: EmailMessage, data: Mapping[str, Any]) -> None:
    """Add the .ics of a booked discussion to its email (nothing for other messages)."""
    calendar = data.get("calendar")
    if not isinstance(calendar, Mapping):
        return
    email.add_attachment(ics(calendar), maintype="text", subtype="calendar", filename="discussion.ics",
                         params={"method": "REQUEST", "charset": "utf-8"})
