"""Settings from the environment (and a `.env` file), per DESIGN.md §8."""

from __future__ import annotations

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_url: str = Field("sqlite+aiosqlite:///./mashbot.db", alias="MASHBOT_DATABASE_URL")
    policy: str = Field("lancashire", alias="MASHBOT_POLICY")
    roster: str | None = Field(None, alias="MASHBOT_ROSTER")
    public_url: str | None = Field(None, alias="MASHBOT_PUBLIC_URL")
    secret: SecretStr | None = Field(None, alias="MASHBOT_SECRET")
    smtp_url: SecretStr | None = Field(None, alias="MASHBOT_SMTP_URL")
    mail_from: str = Field("mashbot@example.org", alias="MASHBOT_MAIL_FROM")
    tick_seconds: float = Field(30, gt=0, alias="MASHBOT_TICK_SECONDS")
    host: str = Field("127.0.0.1", alias="MASHBOT_HOST")
    port: int = Field(3978, ge=0, le=65535, alias="MASHBOT_PORT")
    microsoft_app_id: str = Field("", alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr = Field(SecretStr(""), alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_type: str = Field("MultiTenant", alias="MICROSOFT_APP_TYPE")
    microsoft_app_tenant_id: str = Field("", alias="MICROSOFT_APP_TENANT_ID")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str | None = Field(None, alias="SLACK_API_URL")
    # Local-only modes (see adapters/local_modes.py): each needs a loopback bind.
    console: bool | None = Field(None, alias="MASHBOT_CONSOLE")  # None: on only with MASHBOT_DEMO=1
    demo: bool = Field(False, alias="MASHBOT_DEMO")  # the console and its demo clock
    teams_local: bool = Field(False, alias="MASHBOT_TEAMS_LOCAL")  # unauthenticated Teams (Emulator, tests)
    # --- slack (issue 4): who people unknown to the roster should ask, e.g. "MASH business support (ext. 1234)"
    admin_contact: str | None = Field(None, alias="MASHBOT_ADMIN_CONTACT")
    # --- end slack ---

    @property
    def has_channel_credentials(self) -> bool:
        return bool(self.microsoft_app_id or self.slack_bot_token or self.slack_signing_secret)
