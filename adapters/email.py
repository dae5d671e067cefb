"""Email over SMTP (aiosmtplib): notices to mailboxes (CSAP, IRO, EDT, LSCP), the
record-by-email copies, and the fallback for a person with no chat identity.

Every email has a plain-text and an HTML part rendered from bot.texts (or the digest's own
rendering). The Message-ID is derived from the outbox row, so a resend after a crash
carries the same id and mail clients can fold the duplicate.
"""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formataddr, formatdate, parseaddr
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from adapters.dispatcher import SendFailed
from adapters.entra import ClientCredentials
from adapters.invitations import attach_invitation
from bot import texts
from bot.challenge import Message
from bot.kinds import MessageKind
from bot.roster import Person

FOOTER = "This is an automatic message from mashbot, the professional challenge bot."
_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


class MailSettingsError(ValueError):
    """The mail settings cannot work; the message names the setting to fix (never a secret)."""


class SmtpUrlError(MailSettingsError):
    """MASHBOT_SMTP_URL is not usable (the message never repeats the URL: it may hold a password)."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where to send: smtp://[user[:password]@]host[:port][?starttls=true|false&timeout=S&auth=xoauth2],
    or smtps:// for implicit TLS. Without `starttls`, STARTTLS is used when the server offers it.
    `auth=xoauth2`: the user signs in with an OAuth access token (Exchange Online) instead of a password."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool | None = None
    timeout: float = 30.0
    xoauth2: bool = False

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as exc:
            raise SmtpUrlError("MASHBOT_SMTP_URL is not a valid URL (like smtp://host:25)") from exc
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise SmtpUrlError("MASHBOT_SMTP_URL must look like smtp://host:port or smtps://host:port")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        start_tls = query.get("starttls")
        if start_tls is not None and start_tls not in _TRUE | _FALSE:
            raise SmtpUrlError("MASHBOT_SMTP_URL: starttls must be true or false")
        try:
            timeout = float(query.get("timeout", "30"))
        except ValueError as exc:
            raise SmtpUrlError("MASHBOT_SMTP_URL: timeout must be a number of seconds") from exc
        auth = query.get("auth", "password")
        if auth not in {"password", "xoauth2"}:
            raise SmtpUrlError("MASHBOT_SMTP_URL: auth must be password or xoauth2")
        if auth == "xoauth2" and (not parts.username or parts.password):
            raise SmtpUrlError("MASHBOT_SMTP_URL with auth=xoauth2 needs the mailbox as user and no password, "
                               "like smtp://mashbot%40council.gov.uk@smtp.office365.com:587?auth=xoauth2")
        return cls(
            hostname=parts.hostname,
            port=port or _DEFAULT_PORTS[parts.scheme],
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=parts.scheme == "smtps",
            start_tls=None if start_tls is None else start_tls in _TRUE,
            timeout=timeout,
            xoauth2=auth == "xoauth2",
        )


def render_message(message: Message) -> tuple[str, str, str]:
    """Subject, plain text and HTML of an outbox message."""
    data = message.data
    if message.kind == MessageKind.DIGEST:
        subject, text = str(data.get("subject", "")), str(data.get("body", ""))
        body_html = str(data.get("html") or _paragraphs(text))
        return subject, f"{text}\n{FOOTER}\n", _document(subject, body_html)
    if message.kind not in texts.MESSAGES:
        raise SendFailed(f"unknown message kind {message.kind!r}", permanent=True)
    subject, body = texts.render(message.kind, data)
    extra = _extra_lines(data)
    text = "\n".join([body, "", *extra, FOOTER]) if extra else f"{body}\n\n{FOOTER}"
    body_html = _paragraphs(body)
    if extra:
        body_html += "\n<table>" + "".join(
            f"<tr><th align=\"left\">{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
            for k, v in (line.split(": ", 1) for line in extra)) + "</table>"
    text, body_html = _with_action_links(data, text, body_html)
    return subject, text + "\n", _document(subject, body_html)


def _with_action_links(data: Mapping[str, Any], text: str, body_html: str) -> tuple[str, str]:
    """The action links a message carries (adapters/web_page/mail_links.py), before the footer."""
    from adapters.web_page.mail_links import link_lines

    lines, links_html = link_lines(data)
    if not lines:
        return text, body_html
    head, _, _ = text.rpartition(FOOTER)
    return head + "\n".join(lines) + "\n\n" + FOOTER, body_html + "\n" + links_html


def _extra_lines(data: Mapping[str, Any]) -> list[str]:
    """Fields that travel with a message beyond its sentence: the Stage 3 form, a case note."""
    lines: list[str] = []
    form = data.get("form")
    if isinstance(form, Mapping):
        for k, v in form.items():
            if isinstance(v, Mapping):  # the family details: one labelled line each
                lines += [f"{_label(k)} — {label}: {value}" for label, value in v.items() if value]
            elif v not in (None, ""):
                lines.append(f"{_label(k)}: {v}")
    if data.get("case_note"):
        lines.append(f"Case note: {data['case_note']}")
    return lines


def _label(key: str) -> str:
    return texts.FORM_LABELS.get(key) or key.replace("_", " ").capitalize()


def _paragraphs(text: str) -> str:
    return "\n".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in text.split("\n\n") if p.strip())


def _document(subject: str, body_html: str) -> str:
    return (f"<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{html.escape(subject)}</title></head>"
            f"<body>{body_html}\n<p><small>{html.escape(FOOTER)}</small></p></body></html>\n")


def compose(message: Message, person: Person, mail_from: str, key: str) -> EmailMessage:
    """The email for one outbox message to one roster person."""
    subject, text, body_html = render_message(message)
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "mashbot.invalid"
    email = EmailMessage()
    email["From"] = mail_from
    email["To"] = formataddr((person.name, str(person.email)))
    email["Subject"] = subject
    email["Date"] = formatdate(usegmt=True)
    email["Message-ID"] = f"<mashbot.{key}@{domain}>"
    email["Auto-Submitted"] = "auto-generated"
    email["X-Auto-Response-Suppress"] = "All"
    email.set_content(text)
    email.add_alternative(body_html, subtype="html")
    attach_invitation(email, message.data)  # a booked discussion's .ics
    return email


SmtpSend = Callable[..., Awaitable[Any]]


class EmailSender:
    """adapters.dispatcher.Sender for email: one SMTP conversation per message.

    With `tokens` (and `auth=xoauth2` in the URL) the user signs in with AUTH XOAUTH2 and an
    access token from Entra ID instead of a password."""

    channel = "email"

    def __init__(self, config: SmtpConfig, mail_from: str, smtp_send: SmtpSend | None = None,
                 tokens: ClientCredentials | None = None) -> None:
        if config.xoauth2 and tokens is None:
            raise MailSettingsError("MASHBOT_SMTP_URL asks for auth=xoauth2: set the Entra ID app "
                                    "(MASHBOT_GRAPH_TENANT_ID, MASHBOT_GRAPH_CLIENT_ID and a secret or certificate)")
        self.config = config
        self.mail_from = mail_from
        self._smtp_send = smtp_send  # None: aiosmtplib.send
        self.tokens = tokens if config.xoauth2 else None

    async def send(self, message: Message, person: Person, *, key: str) -> str:
        # Imported by the first send, not at start-up: a service without SMTP never loads it.
        import aiosmtplib

        email = compose(message, person, self.mail_from, key)
        c = self.config
        sign_in: dict[str, Any] = {"password": c.password}
        used: list[str] = []
        if self.tokens is not None:
            tokens = self.tokens

            async def oauth_token() -> str:
                used.append(await tokens.token())
                return used[-1]

            sign_in = {"oauth_token_generator": oauth_token}
        try:
            await (self._smtp_send or aiosmtplib.send)(email, hostname=c.hostname, port=c.port, username=c.username,
                                  use_tls=c.use_tls, start_tls=c.start_tls, timeout=c.timeout, **sign_in)
        except aiosmtplib.SMTPAuthenticationError as exc:
            if self.tokens is None:
                raise SendFailed(f"SMTP {exc.code} (SMTPAuthenticationError)") from exc
            for token in used:  # the next attempt from the outbox asks Entra ID for a fresh token
                await self.tokens.forget(token)
            raise SendFailed(f"SMTP {exc.code}: the server refused the OAuth token; give the app SMTP.SendAsApp "
                             "and the mailbox permission in Exchange Online, and turn on SMTP AUTH for the "
                             "mailbox") from exc
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            raise SendFailed(f"SMTP recipient refused ({', '.join(map(str, codes))})",
                             permanent=all(500 <= code < 600 for code in codes)) from exc
        except aiosmtplib.SMTPResponseException as exc:
            # 4xx is "try later"; 5xx from a relay is usually configuration (auth, relaying)
            # that an administrator fixes, so it is retried too until the dispatcher's bound.
            raise SendFailed(f"SMTP {exc.code} ({type(exc).__name__})") from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            if self.tokens is not None and "XOAUTH2" in str(exc):
                raise SendFailed("the SMTP server does not offer AUTH XOAUTH2 (use smtp.office365.com:587 "
                                 "with starttls=true, or MASHBOT_MAIL=graph)") from exc
            raise SendFailed(type(exc).__name__) from exc
        return str(email["Message-ID"])
