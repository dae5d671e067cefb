"""Access tokens for the council's Entra ID app registration (client-credentials grant, msal).

Used by Graph mail (scope https://graph.microsoft.com/.default) and by SMTP with XOAUTH2
(scope https://outlook.office365.com/.default). msal keeps the token in its in-memory cache
and asks for a new one when the cached one has less than five minutes left, so a send never
starts with a token about to expire. msal is synchronous (requests): every call runs in a
worker thread with a bounded timeout, so a slow token endpoint never blocks the event loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adapters.dispatcher import SendFailed

if TYPE_CHECKING:
    import msal

log = logging.getLogger("mashbot.entra")
# msal logs a token answer that is not JSON whole, with a traceback: such an answer may hold a
# token. The failure is reported once, without the body, as the send's reason instead.
logging.getLogger("msal.oauth2cli.oauth2").setLevel(logging.CRITICAL)
DEFAULT_AUTHORITY = "https://login.microsoftonline.com"

# Entra error codes an administrator fixes in the app registration; the reason says where.
_AADSTS_HINTS = {
    "7000215": "the client secret is wrong; set MASHBOT_GRAPH_CLIENT_SECRET to the secret's value, not its id",
    "7000222": "the client secret has expired; create a new one in Entra ID and update MASHBOT_GRAPH_CLIENT_SECRET",
    "700016": "the app id is not registered in this tenant; check MASHBOT_GRAPH_CLIENT_ID and MASHBOT_GRAPH_TENANT_ID",
    "90002": "the tenant does not exist; check MASHBOT_GRAPH_TENANT_ID",
    "700027": "the certificate is not the one uploaded to the app registration; check the thumbprint",
    "1002012": "the scope is not valid for this app",
}


@dataclass(frozen=True)
class EntraApp:
    """An app registration: a client secret or a certificate (PEM private key + SHA-1 thumbprint)."""

    tenant_id: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    private_key_pem: str | None = field(default=None, repr=False)
    thumbprint: str | None = None
    authority_host: str = DEFAULT_AUTHORITY

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def credential(self) -> str | dict[str, str]:
        if self.private_key_pem is not None and self.thumbprint:
            return {"private_key": self.private_key_pem, "thumbprint": self.thumbprint}
        return self.client_secret or ""


class ClientCredentials:
    """Access tokens for one scope of one app; `forget` drops a token the resource refused."""

    def __init__(self, app: EntraApp, scope: str, *, timeout: float = 20.0, verify: bool | str = True) -> None:
        self.app = app
        self.scope = scope
        self.timeout = timeout
        self.verify = verify  # a CA bundle path in tests (the fake token endpoint's own certificate)
        self._msal: msal.ConfidentialClientApplication | None = None
        self._lock = threading.Lock()

    async def token(self) -> str:
        """A valid access token, from the cache when it has more than five minutes left."""
        return await asyncio.to_thread(self._token)

    async def forget(self, token: str) -> None:
        """The resource refused `token` (401): the next `token()` asks Entra ID for a new one."""
        await asyncio.to_thread(self._forget, token)  # the lock may be held by a token request in flight

    def _forget(self, token: str) -> None:
        with self._lock:
            if self._msal is None:
                return
            cache = self._msal.token_cache
            for entry in list(cache.search(cache.CredentialType.ACCESS_TOKEN)):
                if entry.get("secret") == token:
                    cache.remove_at(entry)

    def _token(self) -> str:
        # msal and requests (a quarter of a second to import) only once a token is wanted:
        # a service that sends no Entra-authenticated mail never loads them.
        import msal
        import requests

        with self._lock:
            try:
                app = self._client()
                result: dict[str, Any] = app.acquire_token_for_client(scopes=[self.scope])
            except requests.RequestException as exc:
                raise SendFailed(f"could not reach the Entra ID token endpoint ({type(exc).__name__})") from exc
            except msal.exceptions.MsalError as exc:  # msal's own HTTP error, e.g. a 503 from the endpoint
                status = re.sub(r"[^0-9]", "", str(exc))[:3] or "error"
                raise SendFailed(f"the Entra ID token endpoint failed (HTTP {status}); retried") from exc
            except ValueError as exc:
                # msal raises ValueError for a tenant it cannot discover and for a non-JSON answer
                # (an HTML error page from a proxy or an outage).
                raise SendFailed("Entra ID gave no usable answer for the tenant "
                                 "(check MASHBOT_GRAPH_TENANT_ID; retried later)") from exc
        if "access_token" in result:
            return str(result["access_token"])
        raise token_refused(result)

    def _client(self) -> msal.ConfidentialClientApplication:
        import msal

        if self._msal is None:
            # instance_discovery=False: the authority is the council's configured cloud
            # (worldwide or national); msal then only reads its OpenID configuration.
            self._msal = msal.ConfidentialClientApplication(
                self.app.client_id, client_credential=self.app.credential, authority=self.app.authority,
                instance_discovery=False, timeout=self.timeout, verify=self.verify)
        return self._msal


def token_refused(result: dict[str, Any]) -> SendFailed:
    """An Entra error answer as a retried SendFailed: every message would fail the same way,
    so nothing is given up early while an administrator fixes the app registration."""
    error = re.sub(r"[^a-z_]", "", str(result.get("error", "unknown")))[:40]
    codes = [str(c) for c in result.get("error_codes") or []]
    hint = next((_AADSTS_HINTS[c] for c in codes if c in _AADSTS_HINTS), None)
    aadsts = f" AADSTS{codes[0]}" if codes else ""
    reason = f"Entra ID refused the token request ({error}{aadsts})"
    return SendFailed(f"{reason}: {hint}" if hint else reason)
