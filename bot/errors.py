"""Domain errors: each carries a message a person can act on."""

from __future__ import annotations


class MashbotError(Exception):
    """Base of every error the core raises; `str(error)` is shown to the person."""


class NotFound(MashbotError):
    pass


class NotAllowed(MashbotError):
    """The person may not do this (not theirs, wrong role)."""


class AlreadyActioned(MashbotError):
    """A stale or repeated command: nothing was changed."""


class InvalidCommand(MashbotError):
    """The command is not valid in the challenge's current state or its input is bad.

    `field` names the input the error is about (an intake field such as "reason_text", or an
    action input such as "rationale"), so every channel shows it on that input without reading
    the message; None when it is about the command as a whole."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NoReviewer(MashbotError):
    """The roster has no one to review a stage."""


class NotAvailable(MashbotError):
    """The service is not set up for this (e.g. no email for the Stage 3 form): nothing was
    changed or kept, and entering it again would not help."""
