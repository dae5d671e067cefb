"""Email through Microsoft Graph (`POST /v1.0/users/{sender}/sendMail`), for councils on
Microsoft 365 where SMTP AUTH with a password is switched off.

The email is composed exactly as for SMTP (adapters.email.compose) and then mapped to
Graph's message JSON, so both transports carry the same subject, recipients, body,
Message-ID and attachments. Graph's JSON takes one body: the HTML part (Exchange adds the
plain-text alternative for recipients that need it).
"""

from __future__ import annotations

import base64
import json
import re
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any
from urllib.parse import quote

import aiohttp

from adapters.dispatcher import SendFailed
from adapters.email import compose
from adapters.entra import ClientCredentials
from bot.challenge import Message
from bot.roster import Person

DEFAULT_GRAPH_URL = "https://graph.microsoft.com"
GRAPH_SCOPE = "/.default"  # appended to the Graph URL: https://graph.microsoft.com/.default

_THROTTLED = {429, 503, 504}
# Error codes meaning the mailbox, not this message, is the problem: nothing sends until an
# administrator acts, and the reason tells them what to do.
_MAILBOX_GONE = {"ErrorInvalidUser", "MailboxNotEnabledForRESTAPI", "ResourceNotFound",
                 "MailboxNotHostedInExchangeOnline", "ErrorNonExistentMailbox"}


def graph_message(email: EmailMessage) -> dict[str, Any]:
    """The sendMail request body for a composed email (HTML body, recipients with their
    display names, the Message-ID, attachments as fileAttachment)."""
    html_part = email.get_body(("html",))
    text_part = email.get_body(("plain",))
    if html_part is not None:
        body = {"contentType": "HTML", "content": html_part.get_content()}
    else:
        body = {"contentType": "Text", "content": text_part.get_content() if text_part is not None else ""}
    message: dict[str, Any] = {
        "subject": str(email["Subject"] or ""),
        "body": body,
        "toRecipients": _recipients(email.get_all("To", [])),
        "internetMessageId": str(email["Message-ID"]),
        # Graph accepts only custom x- headers; this one keeps out-of-office replies away.
        "internetMessageHeaders": [{"name": "X-Auto-Response-Suppress", "value": "All"}],
    }
    if email.get_all("Cc"):
        message["ccRecipients"] = _recipients(email.get_all("Cc", []))
    attachments = [_attachment(part) for part in email.iter_attachments() if isinstance(part, EmailMessage)]
    if attachments:
        message["attachments"] = attachments
    # No copy in the sender's Sent Items: the audit trail is the record, and a mailbox full of
    # case notices is one more place personal data would have to be found and deleted.
    return {"message": message, "saveToSentItems": False}


def _recipients(headers: list[str]) -> list[dict[str, Any]]:
    recipients = []
    for name, address in getaddresses([str(h) for h in headers]):
        entry: dict[str, str] = {"address": address}
        if name:
            entry["name"] = name
        recipients.append({"emailAddress": entry})
    return recipients


def _attachment(part: EmailMessage) -> dict[str, Any]:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else str(part.get_content()).encode()
    return {"@odata.type": "#microsoft.graph.fileAttachment", "name": part.get_filename() or "attachment",
            "contentType": part.get_content_type(), "contentBytes": base64.b64encode(data).decode("ascii")}


class GraphSender:
    """adapters.dispatcher.Sender for email through Graph, as one mailbox (`sender`)."""

    channel = "email"

    def __init__(self, tokens: ClientCredentials, sender: str, mail_from: str, *,
                 graph_url: str = DEFAULT_GRAPH_URL, timeout: float = 30.0) -> None:
        self.tokens = tokens
        self.sender = sender
        self.mail_from = mail_from
        self.url = f"{graph_url.rstrip('/')}/v1.0/users/{quote(sender, safe='@')}/sendMail"
        self.timeout = timeout

    async def send(self, message: Message, person: Person, *, key: str) -> str:
        email = compose(message, person, self.mail_from, key)
        body = graph_message(email)
        token = await self.tokens.token()
        status, headers, text = await self._post(token, body)
        if status == 401:
            # A token Graph no longer accepts (revoked, or signed before a key roll): once,
            # drop it and ask Entra ID for a fresh one.
            await self.tokens.forget(token)
            status, headers, text = await self._post(await self.tokens.token(), body)
        if 200 <= status < 300:
            return str(email["Message-ID"])
        raise graph_refused(status, headers, text, self.sender)

    async def _post(self, token: str, body: dict[str, Any]) -> tuple[int, dict[str, str], str]:
        timeout = aiohttp.ClientTimeout(total=self.timeout)
        try:
            # trust_env: Graph goes through the same HTTPS_PROXY / NO_PROXY as msal's token requests.
            async with aiohttp.ClientSession(timeout=timeout, trust_env=True) as session:
                async with session.post(self.url, json=body, headers={"Authorization": f"Bearer {token}"}) as resp:
                    return resp.status, dict(resp.headers), await resp.text(errors="replace")
        except TimeoutError as exc:
            raise SendFailed(f"Graph did not answer within {self.timeout:g}s") from exc
        except aiohttp.ClientError as exc:
            raise SendFailed(f"could not reach Microsoft Graph ({type(exc).__name__})") from exc


def graph_refused(status: int, headers: dict[str, str], text: str, sender: str) -> SendFailed:
    """A Graph error answer as the dispatcher's SendFailed: throttling is retried after its
    Retry-After; a mailbox or permission problem is recorded with what an administrator does."""
    code = _error_code(text)
    label = f"{status} {code}" if code else str(status)
    if status in _THROTTLED:
        return SendFailed(f"Graph is busy ({label}); retried", retry_after=_retry_after(headers))
    if status == 401:
        return SendFailed(f"Graph refused the app's token twice ({label}); check MASHBOT_GRAPH_TENANT_ID "
                          "and that the app registration is in the sender's tenant")
    if status == 403:
        return SendFailed(f"Graph refused ({label}): the app has no Mail.Send permission for {sender}; grant "
                          "the Mail.Send application permission in Entra ID (with admin consent) and allow "
                          "this mailbox in the application access policy", permanent=True)
    if status == 404 or code in _MAILBOX_GONE:
        return SendFailed(f"Graph refused ({label}): {sender} is not an Exchange Online mailbox; set "
                          "MASHBOT_GRAPH_SENDER to a licensed or shared mailbox in this tenant", permanent=True)
    if status == 413 or (400 <= status < 500 and status != 408):
        return SendFailed(f"Graph refused the message ({label})", permanent=True)
    return SendFailed(f"Graph failed ({label}); retried", retry_after=_retry_after(headers))


def _error_code(text: str) -> str | None:
    """Graph's `error.code`, or None for an HTML, plain-text or broken JSON body."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    error = data.get("error") if isinstance(data, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    # Only a code-shaped value is kept: the reason is stored and logged, a free text may not be.
    return code if isinstance(code, str) and re.fullmatch(r"[A-Za-z0-9_.]{1,80}", code) else None


def _retry_after(headers: dict[str, str]) -> float | None:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    try:
        seconds = float(value) if value is not None else None
    except ValueError:
        return None  # an HTTP-date: Graph sends seconds; the dispatcher's backoff applies instead
    return seconds if seconds is not None and seconds >= 0 else None
