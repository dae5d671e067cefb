"""The botbuilder CloudAdapter configured from the MICROSOFT_APP_* settings."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from botbuilder.integration.aiohttp import CloudAdapter, ConfigurationBotFrameworkAuthentication

from adapters.settings import Settings

log = logging.getLogger("mashbot.teams")

APP_TYPES = ("MultiTenant", "SingleTenant", "UserAssignedMSI")


class TeamsConfigError(ValueError):
    """The MICROSOFT_APP_* settings do not make a usable bot registration."""


@dataclass(frozen=True)
class BotConfig:
    """The attribute names ConfigurationBotFrameworkAuthentication reads (see INTEGRATION.md)."""

    APP_ID: str
    APP_PASSWORD: str
    APP_TYPE: str
    APP_TENANTID: str

    @property
    def anonymous(self) -> bool:
        """No app id: no inbound JWT check and no outbound token (Emulator, tests)."""
        return not self.APP_ID


def bot_config(settings: Settings) -> BotConfig:
    app_type = settings.microsoft_app_type.strip() or "MultiTenant"
    match = next((t for t in APP_TYPES if t.lower() == app_type.lower()), None)
    if match is None:
        raise TeamsConfigError(f"MICROSOFT_APP_TYPE must be one of {', '.join(APP_TYPES)}, not {app_type!r}")
    tenant = settings.microsoft_app_tenant_id.strip()
    app_id = settings.microsoft_app_id.strip()
    password = settings.microsoft_app_password.get_secret_value()
    if not app_id:
        match = "MultiTenant"  # anonymous: the other types need an app id
    elif match in ("SingleTenant", "UserAssignedMSI") and not tenant:
        raise TeamsConfigError(f"MICROSOFT_APP_TENANT_ID is required when MICROSOFT_APP_TYPE is {match}")
    elif match == "SingleTenant" and not password:
        raise TeamsConfigError("MICROSOFT_APP_PASSWORD is required when MICROSOFT_APP_TYPE is SingleTenant")
    return BotConfig(APP_ID=app_id, APP_PASSWORD=password,
                     APP_TYPE=match, APP_TENANTID=tenant)


def make_adapter(config: BotConfig) -> CloudAdapter:
    return CloudAdapter(ConfigurationBotFrameworkAuthentication(config))
