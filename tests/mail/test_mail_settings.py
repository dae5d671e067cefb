"""The mail settings are checked at start-up: a setting that cannot work stops `mashbot serve`
with a message naming what to fix (never a secret, never a traceback)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from hashlib import sha1
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from adapters.cli import main
from adapters.email import MailSettingsError
from adapters.graph_mail import GraphSender
from adapters.mail import describe_mail, entra_app, mail_configured, mail_sender
from adapters.settings import Settings
from tests.clock.support import roster_people
from tests.ladder_harness import Ladder, local
from tests.mail.microsoft import CLIENT_ID, MAILBOX, SECRET, TENANT, FakeEntra, FakeGraph

Fakes = tuple[FakeEntra, FakeGraph]
GRAPH = {"MASHBOT_MAIL": "graph", "MASHBOT_GRAPH_TENANT_ID": TENANT, "MASHBOT_GRAPH_CLIENT_ID": CLIENT_ID,
         "MASHBOT_GRAPH_CLIENT_SECRET": SECRET, "MASHBOT_GRAPH_SENDER": MAILBOX}


def make(**values: str | None) -> Settings:
    return Settings(_env_file=None, **{k: v for k, v in values.items() if v is not None})  # type: ignore[arg-type]


def refused(**values: str | None) -> str:
    with pytest.raises(MailSettingsError) as error:
        mail_sender(make(**values))
    assert SECRET not in str(error.value)
    return str(error.value)


@pytest.fixture(autouse=True)
def _no_teams_app(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MICROSOFT_APP_ID", "MICROSOFT_APP_PASSWORD", "MICROSOFT_APP_TENANT_ID", "MASHBOT_MAIL",
                 "MASHBOT_MAIL_FROM", "MASHBOT_SMTP_URL") + tuple(n for n in GRAPH if n.startswith("MASHBOT_GRAPH")):
        monkeypatch.delenv(name, raising=False)


@pytest.mark.parametrize(("change", "says"), [
    ({"MASHBOT_MAIL": "exchange"}, "MASHBOT_MAIL must be smtp or graph, not 'exchange'"),
    ({"MASHBOT_GRAPH_TENANT_ID": None}, "MASHBOT_GRAPH_TENANT_ID must be the council's tenant id"),
    ({"MASHBOT_GRAPH_TENANT_ID": "common"}, "client credentials cannot use 'common'"),
    ({"MASHBOT_GRAPH_TENANT_ID": "council/../x"}, "MASHBOT_GRAPH_TENANT_ID must be a GUID or a domain"),
    ({"MASHBOT_GRAPH_CLIENT_ID": None}, "MASHBOT_GRAPH_CLIENT_ID (the app registration's Application (client) ID)"),
    ({"MASHBOT_GRAPH_CLIENT_SECRET": None}, "the Entra ID app needs MASHBOT_GRAPH_CLIENT_SECRET, or "
                                            "MASHBOT_GRAPH_CERT_PATH and MASHBOT_GRAPH_CERT_THUMBPRINT"),
    ({"MASHBOT_GRAPH_CERT_PATH": "/nowhere/key.pem"}, "MASHBOT_GRAPH_CLIENT_SECRET or MASHBOT_GRAPH_CERT_PATH, not both"),
    ({"MASHBOT_GRAPH_CLIENT_SECRET": None, "MASHBOT_GRAPH_CERT_PATH": "/nowhere/key.pem"}, "go together"),
    ({"MASHBOT_GRAPH_CLIENT_SECRET": None, "MASHBOT_GRAPH_CERT_PATH": "/nowhere/key.pem",
      "MASHBOT_GRAPH_CERT_THUMBPRINT": "not-hex"}, "SHA-1 thumbprint (40 hex digits"),
    ({"MASHBOT_GRAPH_CLIENT_SECRET": None, "MASHBOT_GRAPH_CERT_PATH": "/nowhere/key.pem",
      "MASHBOT_GRAPH_CERT_THUMBPRINT": "AB" * 20}, "MASHBOT_GRAPH_CERT_PATH: cannot read /nowhere/key.pem"),
    ({"MASHBOT_GRAPH_SENDER": None}, "MASHBOT_GRAPH_SENDER (the mailbox mail is sent from"),
    ({"MASHBOT_GRAPH_SENDER": "a@council.example.org,b@council.example.org"}, "must be one mailbox address"),
    ({"MASHBOT_GRAPH_AUTHORITY": "http://login.microsoftonline.com"}, "MASHBOT_GRAPH_AUTHORITY must be an https:// URL"),
    ({"MASHBOT_GRAPH_URL": "http://graph.example.org"}, "MASHBOT_GRAPH_URL must be an https:// URL"),
], ids=lambda v: "-".join(v) if isinstance(v, dict) else None)
def test_graph_settings_that_cannot_work_are_refused_with_what_to_fix(change: dict[str, str | None], says: str) -> None:
    assert says in refused(**(GRAPH | change))


def test_a_file_that_holds_no_private_key_is_refused(tmp_path: Path) -> None:
    (tmp_path / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\nMII\n-----END CERTIFICATE-----\n")
    assert "holds no PEM private key" in refused(**GRAPH | {
        "MASHBOT_GRAPH_CLIENT_SECRET": None, "MASHBOT_GRAPH_CERT_PATH": str(tmp_path / "cert.pem"),
        "MASHBOT_GRAPH_CERT_THUMBPRINT": "ab:" * 19 + "ab"})


def test_the_teams_bots_app_registration_stands_in_for_graphs_own() -> None:
    app = entra_app(make(MICROSOFT_APP_ID="bot-app-id", MICROSOFT_APP_PASSWORD="bot-password",
                         MICROSOFT_APP_TENANT_ID=TENANT))
    assert (app.tenant_id, app.client_id, app.client_secret) == (TENANT, "bot-app-id", "bot-password")
    assert "bot-password" not in repr(app)
    # ... but the bot's password is never sent as the secret of another app id.
    with pytest.raises(MailSettingsError, match="needs MASHBOT_GRAPH_CLIENT_SECRET"):
        entra_app(make(MASHBOT_GRAPH_CLIENT_ID=CLIENT_ID, MICROSOFT_APP_ID="bot-app-id",
                       MICROSOFT_APP_PASSWORD="bot-password", MICROSOFT_APP_TENANT_ID=TENANT))


def test_the_sender_mailbox_defaults_to_the_from_address_when_that_is_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MASHBOT_MAIL_FROM", "MASH professional challenges <mash.bot@council.example.org>")
    sender = mail_sender(make(**GRAPH | {"MASHBOT_GRAPH_SENDER": None}))
    assert isinstance(sender, GraphSender) and sender.sender == "mash.bot@council.example.org"
    assert sender.url == "https://graph.microsoft.com/v1.0/users/mash.bot@council.example.org/sendMail"


def test_smtp_with_xoauth2_needs_the_mailbox_as_user_and_an_entra_app() -> None:
    assert "needs the mailbox as user and no password" in refused(
        MASHBOT_SMTP_URL="smtp://bot%40council.example.org:hunter2@smtp.office365.com:587?auth=xoauth2")
    assert "MASHBOT_GRAPH_TENANT_ID" in refused(
        MASHBOT_SMTP_URL="smtp://bot%40council.example.org@smtp.office365.com:587?auth=xoauth2")
    assert "auth must be password or xoauth2" in refused(MASHBOT_SMTP_URL="smtp://relay:25?auth=ntlm")


def test_the_start_up_line_says_how_email_goes_out() -> None:
    assert describe_mail(make(**GRAPH)) == f"Email: Microsoft Graph sendMail as {MAILBOX}."
    assert describe_mail(make(MASHBOT_SMTP_URL="smtp://relay.council.example.org:25")) == \
        "Email: SMTP via relay.council.example.org:25."
    assert describe_mail(make(**GRAPH | {"MASHBOT_MAIL": "smtp", "MASHBOT_SMTP_URL":
                                         "smtp://bot%40council.example.org@smtp.office365.com:587?auth=xoauth2"})) == \
        "Email: SMTP via smtp.office365.com:587 with OAuth (XOAUTH2)."
    assert describe_mail(make()).startswith("Email: not configured")
    assert mail_configured(make(**GRAPH)) and mail_configured(make(MASHBOT_SMTP_URL="smtp://relay:25"))
    assert not mail_configured(make()) and not mail_configured(make(MASHBOT_SMTP_URL="  "))


def test_serve_stops_before_starting_when_graph_mail_cannot_work(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("MASHBOT_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/never.db")
    monkeypatch.setenv("MASHBOT_MAIL", "graph")
    monkeypatch.setenv("MASHBOT_GRAPH_CLIENT_SECRET", SECRET)
    assert main(["serve", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("mashbot: MASHBOT_GRAPH_SENDER (the mailbox mail is sent from")
    assert "Traceback" not in err and SECRET not in err
    assert not (tmp_path / "never.db").exists()  # nothing was started or created


def _certificate(folder: Path) -> tuple[Path, str, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "mashbot mail")])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1)).sign(key, hashes.SHA256()))
    path = folder / "mashbot-mail.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return path, sha1(cert.public_bytes(serialization.Encoding.DER)).hexdigest(), public


async def test_a_certificate_instead_of_a_secret_signs_the_token_request(ms: Fakes, tmp_path: Path) -> None:
    entra, graph = ms
    path, thumbprint, public = _certificate(tmp_path)
    entra.public_key_pem = public  # the fake now accepts only an assertion signed by this key
    settings = make(**GRAPH | {"MASHBOT_GRAPH_CLIENT_SECRET": None, "MASHBOT_GRAPH_CERT_PATH": str(path),
                               "MASHBOT_GRAPH_CERT_THUMBPRINT": thumbprint, "MASHBOT_GRAPH_AUTHORITY": entra.url,
                               "MASHBOT_GRAPH_URL": graph.url})
    sender = mail_sender(settings, verify=str(entra.ca_path))
    assert isinstance(sender, GraphSender)
    lad = Ladder()
    await lad.raise_(local("2027-01-04 10:00"))
    message = lad.store.outbox[0]
    await sender.send(message, next(p for p in roster_people() if p.id == message.to), key="1")
    [asked] = entra.token_requests
    assert asked["client_assertion_type"].endswith("jwt-bearer") and "client_secret" not in asked
    assert len(graph.sent) == 1
