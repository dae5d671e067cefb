"""Email through Microsoft Graph sendMail, against a fake Entra ID and a fake Graph on loopback."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from adapters.dispatcher import SendFailed
from adapters.email import compose
from adapters.graph_mail import GraphSender, graph_message
from adapters.mail import mail_sender
from adapters.settings import Settings
from bot.challenge import Message
from tests.clock.support import roster_people
from tests.ladder_harness import Ladder, local
from tests.mail.microsoft import CLIENT_ID, MAILBOX, SECRET, TENANT, Answer, FakeEntra, FakeGraph, graph_error

PEOPLE = {p.id: p for p in roster_people()}
Fakes = tuple[FakeEntra, FakeGraph]


def graph_settings(entra: FakeEntra, graph: FakeGraph, **extra: str) -> Settings:
    values = {"MASHBOT_MAIL": "graph", "MASHBOT_GRAPH_TENANT_ID": TENANT, "MASHBOT_GRAPH_CLIENT_ID": CLIENT_ID,
              "MASHBOT_GRAPH_CLIENT_SECRET": SECRET, "MASHBOT_GRAPH_SENDER": MAILBOX,
              "MASHBOT_GRAPH_AUTHORITY": entra.url, "MASHBOT_GRAPH_URL": graph.url,
              "MASHBOT_MAIL_FROM": f"MASH professional challenges <{MAILBOX}>"} | extra
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def graph_sender(fakes: Fakes, **extra: str) -> GraphSender:
    entra, graph = fakes
    sender = mail_sender(graph_settings(entra, graph, **extra), verify=str(entra.ca_path))
    assert isinstance(sender, GraphSender)
    return sender


async def raised_messages() -> list[Message]:
    lad = Ladder()
    await lad.raise_(local("2027-01-04 10:00"), case_reference="LCS777777",
                     reason_text="Reason that must stay out of email.")
    return lad.store.outbox


async def review_request() -> Message:
    return next(m for m in await raised_messages() if m.kind == "review_requested" and m.to == "pm-east-1")


async def send(sender: GraphSender, message: Message | None = None, key: str = "42.1767520800") -> str:
    message = message or await review_request()
    return await sender.send(message, PEOPLE[message.to], key=key)


async def refusal(sender: GraphSender) -> SendFailed:
    with pytest.raises(SendFailed) as failed:
        await send(sender)
    reason = failed.value.reason
    assert "Traceback" not in reason and "<html" not in reason.lower() and SECRET not in reason
    return failed.value


async def test_a_review_request_goes_out_from_the_council_mailbox_as_html_to_the_named_person(ms: Fakes) -> None:
    entra, graph = ms
    message_id = await send(graph_sender(ms))
    [body] = graph.sent
    mail = body["message"]
    assert body["saveToSentItems"] is False
    assert mail["subject"] == "Challenge CH-0001 needs a Practice Manager"
    assert mail["toRecipients"] == [{"emailAddress": {"name": "Pm East 1", "address": "pm-east-1@example.org"}}]
    assert mail["body"]["contentType"] == "HTML"
    page = mail["body"]["content"]
    assert page.lstrip().startswith("<!DOCTYPE html>")
    assert "CH-0001" in page and "Practice Manager" in page and "Tue 5 Jan, 17:00" in page
    assert mail["internetMessageId"] == message_id == "<mashbot.42.1767520800@council.example.org>"
    assert {"name": "X-Auto-Response-Suppress", "value": "All"} in mail["internetMessageHeaders"]
    # The token came from the tenant by a client-credentials form POST, for Graph's scope.
    [asked] = entra.token_requests
    assert asked["grant_type"] == "client_credentials" and asked["client_id"] == CLIENT_ID
    assert asked["scope"] == f"{graph.url}/.default"
    assert graph.tokens_seen == entra.issued


async def test_nothing_personal_goes_to_graph_in_any_message_a_raise_queues(ms: Fakes) -> None:
    _, graph = ms
    sender = graph_sender(ms)
    messages = await raised_messages()
    for i, message in enumerate(messages):
        await send(sender, message, key=str(i))
    assert len(graph.sent) == len(messages)
    for body in graph.sent:
        assert "LCS777777" not in str(body) and "must stay out" not in str(body)


async def test_one_token_serves_many_sends_until_it_nears_expiry(ms: Fakes) -> None:
    entra, graph = ms
    sender = graph_sender(ms)
    for key in ("1", "2", "3"):
        await send(sender, key=key)
    assert len(entra.token_requests) == 1 and len(graph.sent) == 3
    # A token with less than five minutes left is renewed before the send, not after a refusal.
    entra.expires_in = 240
    sender = graph_sender(ms)
    for key in ("4", "5"):
        await send(sender, key=key)
    assert len(entra.token_requests) == 3 and len(graph.sent) == 5
    assert graph.tokens_seen[-2:] == entra.issued[-2:] and entra.issued[-1] != entra.issued[-2]


async def test_a_token_graph_refuses_is_dropped_once_and_the_send_retried_with_a_fresh_one(ms: Fakes) -> None:
    entra, graph = ms
    sender = graph_sender(ms)
    await send(sender, key="1")
    graph.revoked.add(entra.issued[0])
    await send(sender, key="2")
    assert len(graph.sent) == 2 and len(entra.token_requests) == 2
    assert graph.tokens_seen == [entra.issued[0], entra.issued[0], entra.issued[1]]
    await send(sender, key="3")  # the fresh token is cached in its turn
    assert len(entra.token_requests) == 2


async def test_a_second_401_is_not_retried_again_and_is_kept_for_a_later_attempt(ms: Fakes) -> None:
    entra, graph = ms
    graph.answers = [graph_error(401, "InvalidAuthenticationToken"), graph_error(401, "InvalidAuthenticationToken")]
    failed = await refusal(graph_sender(ms))
    assert not failed.permanent and "401 InvalidAuthenticationToken" in failed.reason
    assert "MASHBOT_GRAPH_TENANT_ID" in failed.reason
    assert len(graph.tokens_seen) == 2 and len(entra.token_requests) == 2


@pytest.mark.parametrize(("answer", "retry_after", "shown"), [
    (graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.",
                 **{"Retry-After": "7"}), 7.0, "429 ApplicationThrottled"),
    (Answer(503, "<html><body><h1>Service Unavailable</h1></body></html>", "text/html", {"Retry-After": "30"}),
     30.0, "503"),
    (Answer(500, "Internal Server Error", "text/plain"), None, "500"),
    (Answer(502, '{"error": {"code": "Bad', "application/json"), None, "502"),
    (graph_error(504, "UnknownError"), None, "504 UnknownError"),
], ids=["429-retry-after", "503-html", "500-text", "502-broken-json", "504"])
async def test_throttling_and_outages_are_retried_after_graphs_retry_after(
        ms: Fakes, answer: Answer, retry_after: float | None, shown: str) -> None:
    _, graph = ms
    graph.answers = [answer]
    failed = await refusal(graph_sender(ms))
    assert not failed.permanent and failed.retry_after == retry_after and shown in failed.reason
    assert not graph.sent


async def test_a_sender_mailbox_graph_does_not_know_is_recorded_for_the_administrator(ms: Fakes) -> None:
    failed = await refusal(graph_sender(ms, MASHBOT_GRAPH_SENDER="nobody@council.example.org"))
    assert failed.permanent
    assert failed.reason == ("Graph refused (404 ErrorInvalidUser): nobody@council.example.org is not an Exchange "
                             "Online mailbox; set MASHBOT_GRAPH_SENDER to a licensed or shared mailbox in this tenant")


async def test_a_mailbox_without_exchange_online_rest_is_permanent(ms: Fakes) -> None:
    _, graph = ms
    graph.answers = [graph_error(404, "MailboxNotEnabledForRESTAPI", "The mailbox is either inactive, soft-deleted, "
                                                                     "or is hosted on-premise.")]
    failed = await refusal(graph_sender(ms))
    assert failed.permanent and "MailboxNotEnabledForRESTAPI" in failed.reason and "on-premise" not in failed.reason


async def test_an_app_without_mail_send_is_told_to_grant_it_in_entra_id(ms: Fakes) -> None:
    _, graph = ms
    graph.can_send_as = set()
    failed = await refusal(graph_sender(ms))
    assert failed.permanent
    assert failed.reason.startswith(f"Graph refused (403 ErrorAccessDenied): the app has no Mail.Send permission "
                                    f"for {MAILBOX}; grant the Mail.Send application permission in Entra ID")


async def test_a_slow_graph_is_a_transient_failure_within_the_senders_timeout(ms: Fakes) -> None:
    _, graph = ms
    graph.answers = [Answer(202, delay=2.0)]
    sender = graph_sender(ms)
    sender.timeout = 0.2
    failed = await refusal(sender)
    assert not failed.permanent and failed.reason == "Graph did not answer within 0.2s"


async def test_a_wrong_client_secret_says_which_setting_to_fix_and_is_retried(ms: Fakes) -> None:
    _, graph = ms
    failed = await refusal(graph_sender(ms, MASHBOT_GRAPH_CLIENT_SECRET="the-secret-id-not-its-value"))
    assert not failed.permanent
    assert "invalid_client AADSTS7000215" in failed.reason and "MASHBOT_GRAPH_CLIENT_SECRET" in failed.reason
    assert "the-secret-id" not in failed.reason and not graph.tokens_seen


@pytest.mark.parametrize("answer", [
    Answer(503, "<html><body>Service Unavailable</body></html>", "text/html", {"Retry-After": "5"}),
    Answer(500, "oops", "text/plain"),
    Answer(200, '{"access_token": "broken', "application/json"),
], ids=["503-html", "500-text", "broken-json"])
async def test_a_token_endpoint_outage_is_a_transient_failure(ms: Fakes, answer: Answer) -> None:
    entra, graph = ms
    entra.answers = [answer]
    failed = await refusal(graph_sender(ms))
    assert not failed.permanent and not graph.tokens_seen


async def test_an_unknown_tenant_is_a_transient_failure_naming_the_setting(ms: Fakes) -> None:
    failed = await refusal(graph_sender(ms, MASHBOT_GRAPH_TENANT_ID="not-our-tenant.onmicrosoft.com"))
    assert not failed.permanent and "MASHBOT_GRAPH_TENANT_ID" in failed.reason


async def test_an_unreachable_graph_is_a_transient_failure(ms: Fakes) -> None:
    failed = await refusal(graph_sender(ms, MASHBOT_GRAPH_URL="http://127.0.0.1:9"))
    assert not failed.permanent and failed.reason.startswith("could not reach Microsoft Graph")


async def test_attachments_and_copies_map_to_graph_file_attachments_and_cc(ms: Fakes) -> None:
    message = await review_request()
    email = compose(message, PEOPLE[message.to], "mashbot <mashbot@council.example.org>", "9.1")
    invite = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    email.add_attachment(invite, maintype="text", subtype="calendar", filename="review.ics")
    email["Cc"] = "CSAP team <csap-team@example.org>, iro@example.org"
    body: dict[str, Any] = graph_message(email)["message"]
    [attachment] = body["attachments"]
    assert attachment["@odata.type"] == "#microsoft.graph.fileAttachment"
    assert (attachment["name"], attachment["contentType"]) == ("review.ics", "text/calendar")
    assert base64.b64decode(attachment["contentBytes"]) == invite
    assert body["ccRecipients"] == [{"emailAddress": {"name": "CSAP team", "address": "csap-team@example.org"}},
                                    {"emailAddress": {"address": "iro@example.org"}}]
    assert body["body"]["contentType"] == "HTML" and "CH-0001" in body["body"]["content"]


async def test_a_slow_token_endpoint_is_a_transient_failure_within_the_token_timeout(ms: Fakes) -> None:
    entra, graph = ms
    entra.answers = [Answer(200, '{"access_token": "late", "expires_in": 3599}', delay=1.5)]
    sender = graph_sender(ms)
    sender.tokens.timeout = 0.3
    failed = await refusal(sender)
    assert not failed.permanent and failed.reason == "could not reach the Entra ID token endpoint (ReadTimeout)"
    assert not graph.tokens_seen


async def test_a_broken_token_answer_is_not_logged(ms: Fakes, caplog: pytest.LogCaptureFixture) -> None:
    entra, _ = ms
    entra.answers = [Answer(200, '{"access_token": "eyJ-half-a-token', "application/json")]
    with caplog.at_level("DEBUG"):
        await refusal(graph_sender(ms))
    assert "eyJ-half-a-token" not in caplog.text and "Traceback" not in caplog.text


def test_a_text_only_email_maps_to_a_text_body() -> None:
    from email.message import EmailMessage

    email = EmailMessage()
    email["To"] = "Pm East 1 <pm-east-1@example.org>"
    email["Subject"] = "Plain"
    email["Message-ID"] = "<mashbot.1@council.example.org>"
    email.set_content("Only text.\n")
    body = graph_message(email)["message"]
    assert body["body"] == {"contentType": "Text", "content": "Only text.\n"} and "attachments" not in body
