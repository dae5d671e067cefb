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
    # --- mail for Microsoft 365: "smtp" (MASHBOT_SMTP_URL) or "graph"; see adapters/mail.py ---
    mail: str = Field("smtp", alias="MASHBOT_MAIL")
    graph_tenant_id: str | None = Field(None, alias="MASHBOT_GRAPH_TENANT_ID")
    graph_client_id: str | None = Field(None, alias="MASHBOT_GRAPH_CLIENT_ID")
    graph_client_secret: SecretStr | None = Field(None, alias="MASHBOT_GRAPH_CLIENT_SECRET")
    graph_cert_path: str | None = Field(None, alias="MASHBOT_GRAPH_CERT_PATH")
    graph_cert_thumbprint: str | None = Field(None, alias="MASHBOT_GRAPH_CERT_THUMBPRINT")
    graph_sender: str | None = Field(None, alias="MASHBOT_GRAPH_SENDER")
    graph_authority: str = Field("https://login.microsoftonline.com", alias="MASHBOT_GRAPH_AUTHORITY")
    graph_url: str = Field("https://graph.microsoft.com", alias="MASHBOT_GRAPH_URL")
    smtp_oauth_scope: str = Field("https://outlook.office365.com/.default", alias="MASHBOT_SMTP_OAUTH_SCOPE")
    # --- end mail ---
    tick_seconds: float = Field(30, gt=0, alias="MASHBOT_TICK_SECONDS")
    # An outbox claim lasts this long unless renewed; a dead replica's messages are sent by
    # another within lease + tick seconds. The heartbeat renews it while a batch is sent.
    outbox_lease_seconds: float = Field(20, gt=0, alias="MASHBOT_OUTBOX_LEASE_SECONDS")
    outbox_heartbeat_seconds: float = Field(5, gt=0, alias="MASHBOT_OUTBOX_HEARTBEAT_SECONDS")
    host: str = Field("127.0.0.1", alias="MASHBOT_HOST")
    port: int = Field(3978, ge=0, le=65535, alias="MASHBOT_PORT")
    microsoft_app_id: str = Field("", alias="MICROSOFT_APP_ID")
    microsoft_app_password: SecretStr = Field(SecretStr(""), alias="MICROSOFT_APP_PASSWORD")
    microsoft_app_type: str = Field("MultiTenant", alias="MICROSOFT_APP_TYPE")
    microsoft_app_tenant_id: str = Field("", alias="MICROSOFT_APP_TENANT_ID")
    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_api_url: str | None = Field(None, alias="SLACK_API_URL")
    # Keys the audit chain (HMAC); never stored in the database. Unset: the development key.
    audit_key: SecretStr | None = Field(None, alias="MASHBOT_AUDIT_KEY")
    audit_old_key: SecretStr | None = Field(None, alias="MASHBOT_AUDIT_OLD_KEY")  # for `mashbot audit rekey` only
    # Local-only modes (see adapters/local_modes.py): each needs a loopback bind.
    console: bool | None = Field(None, alias="MASHBOT_CONSOLE")  # None: on only with MASHBOT_DEMO=1
    demo: bool = Field(False, alias="MASHBOT_DEMO")  # the console and its demo clock
    teams_local: bool = Field(False, alias="MASHBOT_TEAMS_LOCAL")  # unauthenticated Teams (Emulator, tests)
    # --- slack: who people unknown to the roster should ask, e.g. "MASH business support (ext. 1234)"
    admin_contact: str | None = Field(None, alias="MASHBOT_ADMIN_CONTACT")
    # --- end slack ---

    @property
    def mail_transport_configured(self) -> bool:
        """Whether mashbot can send email at all. The one check for it: the Stage 3 form is refused
        without one (its family details must not wait in the outbox). Whether the named
        transport works is checked at start-up (adapters.mail.mail_sender)."""
        if self.mail.strip().lower() == "graph":
            return True
        return bool(self.smtp_url is not None and self.smtp_url.get_secret_value().strip())

    @property
    def is_real_deployment(self) -> bool:
        """Something real is connected (a chat channel or mail): the audit trail must then be keyed."""
        return self.has_channel_credentials or self.mail_transport_configured

    @property
    def has_channel_credentials(self) -> bool:
        return bool(self.microsoft_app_id or self.slack_bot_token or self.slack_signing_secret)
