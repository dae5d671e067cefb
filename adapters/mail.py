"""The email transport the settings choose, checked once at start-up with messages that
name the setting to fix.

MASHBOT_MAIL=smtp (default): MASHBOT_SMTP_URL, with a password or, with `auth=xoauth2`, an
Entra ID access token. MASHBOT_MAIL=graph: Microsoft Graph sendMail as MASHBOT_GRAPH_SENDER.
Both OAuth routes use one Entra ID app: MASHBOT_GRAPH_TENANT_ID / _CLIENT_ID and a
_CLIENT_SECRET or _CERT_PATH + _CERT_THUMBPRINT; the Teams bot's MICROSOFT_APP_* values
stand in when those are unset (the same app registration may send mail).
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from adapters.dispatcher import Sender
from adapters.email import EmailSender, MailSettingsError, SmtpConfig
from adapters.entra import ClientCredentials, EntraApp
from adapters.graph_mail import GRAPH_SCOPE, GraphSender
from adapters.settings import Settings

TRANSPORTS = ("smtp", "graph")
_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Client credentials need the council's own tenant, never a multi-tenant alias.
_NOT_A_TENANT = {"common", "organizations", "consumers"}


def mail_sender(settings: Settings, *, verify: bool | str = True) -> Sender | None:
    """The email sender, or None when no mail is configured (messages then wait in the outbox).
    Raises MailSettingsError when the settings cannot work."""
    transport = _transport(settings)
    if transport == "graph":
        sender = _graph_sender_address(settings)
        graph_url = _https(settings.graph_url, "MASHBOT_GRAPH_URL", loopback_http=True)
        graph_tokens = ClientCredentials(entra_app(settings), graph_url + GRAPH_SCOPE, verify=verify)
        return GraphSender(graph_tokens, sender, settings.mail_from, graph_url=graph_url)
    url = settings.smtp_url.get_secret_value().strip() if settings.smtp_url is not None else ""
    if not url:
        return None
    config = SmtpConfig.from_url(url)
    smtp_tokens = ClientCredentials(entra_app(settings), settings.smtp_oauth_scope, verify=verify) \
        if config.xoauth2 else None
    return EmailSender(config, settings.mail_from, tokens=smtp_tokens)


def mail_configured(settings: Settings) -> bool:
    """True when the settings name a way to send email (Graph, or an SMTP URL); whether that
    way works is `mail_sender`'s check at start-up."""
    return settings.mail_transport_configured


def describe_mail(settings: Settings) -> str:
    """One line for the start-up log: how email goes out (validates the settings first)."""
    sender = mail_sender(settings)
    if isinstance(sender, GraphSender):
        return f"Email: Microsoft Graph sendMail as {sender.sender}."
    if isinstance(sender, EmailSender):
        how = " with OAuth (XOAUTH2)" if sender.config.xoauth2 else ""
        return f"Email: SMTP via {sender.config.hostname}:{sender.config.port}{how}."
    return "Email: not configured (MASHBOT_SMTP_URL or MASHBOT_MAIL=graph); emails wait in the outbox."


def _transport(settings: Settings) -> str:
    transport = settings.mail.strip().lower()
    if transport not in TRANSPORTS:
        raise MailSettingsError(f"MASHBOT_MAIL must be smtp or graph, not {settings.mail.strip()[:20]!r}")
    return transport


def entra_app(settings: Settings) -> EntraApp:
    """The Entra ID app that signs mail in, from MASHBOT_GRAPH_* (falling back to the Teams bot's)."""
    tenant = (settings.graph_tenant_id or settings.microsoft_app_tenant_id or "").strip()
    client_id = (settings.graph_client_id or "").strip()
    secret = settings.graph_client_secret.get_secret_value() if settings.graph_client_secret else ""
    if not client_id:
        client_id = settings.microsoft_app_id.strip()
        # The Teams bot's password belongs to the Teams bot's app id only.
        secret = secret or settings.microsoft_app_password.get_secret_value()
    if not tenant or tenant.lower() in _NOT_A_TENANT:
        raise MailSettingsError("MASHBOT_GRAPH_TENANT_ID must be the council's tenant id (a GUID or "
                                "council.onmicrosoft.com); client credentials cannot use 'common'")
    if not re.fullmatch(r"[A-Za-z0-9.-]{1,100}", tenant):
        raise MailSettingsError("MASHBOT_GRAPH_TENANT_ID must be a GUID or a domain like council.onmicrosoft.com")
    if not client_id:
        raise MailSettingsError("MASHBOT_GRAPH_CLIENT_ID (the app registration's Application (client) ID) is not set")
    authority = _https(settings.graph_authority, "MASHBOT_GRAPH_AUTHORITY")
    if settings.graph_cert_path or settings.graph_cert_thumbprint:
        if settings.graph_client_secret is not None:
            raise MailSettingsError("set MASHBOT_GRAPH_CLIENT_SECRET or MASHBOT_GRAPH_CERT_PATH, not both")
        key, thumbprint = _certificate(settings.graph_cert_path, settings.graph_cert_thumbprint)
        return EntraApp(tenant, client_id, private_key_pem=key, thumbprint=thumbprint, authority_host=authority)
    if not secret:
        raise MailSettingsError("the Entra ID app needs MASHBOT_GRAPH_CLIENT_SECRET, or MASHBOT_GRAPH_CERT_PATH "
                                "and MASHBOT_GRAPH_CERT_THUMBPRINT")
    return EntraApp(tenant, client_id, client_secret=secret, authority_host=authority)


def _certificate(path: str | None, thumbprint: str | None) -> tuple[str, str]:
    if not path or not thumbprint:
        raise MailSettingsError("MASHBOT_GRAPH_CERT_PATH and MASHBOT_GRAPH_CERT_THUMBPRINT go together")
    thumb = re.sub(r"[\s:]", "", thumbprint).upper()
    if not re.fullmatch(r"[0-9A-F]{40}", thumb):
        raise MailSettingsError("MASHBOT_GRAPH_CERT_THUMBPRINT must be the certificate's SHA-1 thumbprint "
                                "(40 hex digits, as Entra ID shows it)")
    try:
        pem = Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise MailSettingsError(f"MASHBOT_GRAPH_CERT_PATH: cannot read {path} ({type(exc).__name__})") from exc
    if "PRIVATE KEY-----" not in pem:
        raise MailSettingsError(f"MASHBOT_GRAPH_CERT_PATH: {path} holds no PEM private key")
    return pem, thumb


def _graph_sender_address(settings: Settings) -> str:
    sender = (settings.graph_sender or "").strip()
    if not sender and "mail_from" in settings.model_fields_set:
        sender = parseaddr(settings.mail_from)[1]  # the From address is the mailbox
    if not sender:
        raise MailSettingsError("MASHBOT_GRAPH_SENDER (the mailbox mail is sent from, like "
                                "mashbot@council.gov.uk) is not set")
    if not re.fullmatch(r"[^@\s/?#]+@[^@\s/?#]+\.[^@\s/?#]+", sender):
        raise MailSettingsError("MASHBOT_GRAPH_SENDER must be one mailbox address like mashbot@council.gov.uk")
    return sender


def _https(url: str, name: str, *, loopback_http: bool = False) -> str:
    """An https URL (plain http only to loopback, for tests: a token must never cross a network in clear)."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        host = None
    if host and (parts.scheme == "https" or (loopback_http and parts.scheme == "http" and host in _LOOPBACK)):
        return url.strip().rstrip("/")
    raise MailSettingsError(f"{name} must be an https:// URL like "
                            f"{'https://graph.microsoft.com' if loopback_http else 'https://login.microsoftonline.com'}")
