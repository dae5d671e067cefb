"""The console's routes on SQLite through aiohttp's test client (pinned clock, demo roster)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from markupsafe import escape

from adapters import bootstrap, cli
from adapters.local_modes import LocalOnlyError
from adapters.console import console_enabled, demo_clock_enabled, is_loopback, mount_console
from bot.challenge import State
from dialogs.intake import form_for_policy, validate_for_policy
from tests.console.conftest import GOOD_INTAKE, Console, build_app, make_settings

SLACK = {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "test-signing-secret"}
TEAMS = {"MICROSOFT_APP_ID": "00000000-0000-0000-0000-000000000001", "MICROSOFT_APP_PASSWORD": "pw"}


def flash(page: str) -> list[str]:
    """The flash messages on a page, as text."""
    return [re.sub(r"<[^>]+>", "", m).strip()
            for m in re.findall(r'<p class="flash flash-\w+">(.*?)</p>', page, re.S)]


def has(page: str, text: str) -> bool:
    return str(escape(text)) in page


# --- when the console is on ----------------------------------------------------------------


@pytest.mark.parametrize(("settings", "switch", "on", "clock"), [
    ({}, None, False, False),  # a fresh install that has only, say, SMTP set: a real deployment
    ({"MASHBOT_SMTP_URL": "smtp://mail.example.org:587"}, None, False, False),
    ({"MASHBOT_DEMO": "1"}, None, True, True),  # what `make run` sets
    ({"MASHBOT_DEMO": "1"}, "0", False, False),
    ({}, "1", True, False),  # the console without the demo clock
    ({"MASHBOT_DEMO": "1"}, "1", True, True),
    ({**SLACK}, "1", True, False),
    ({**TEAMS}, None, False, False),
])
def test_the_console_is_on_only_when_asked_for_and_its_clock_only_in_demo_mode(
        settings: dict[str, str], switch: str | None, on: bool, clock: bool) -> None:
    configured = make_settings("sqlite:///unused.db", **settings)
    env = {} if switch is None else {"MASHBOT_CONSOLE": switch}
    assert console_enabled(configured, env) is on
    assert demo_clock_enabled(configured, env) is clock


def test_a_bad_console_switch_is_an_error() -> None:
    with pytest.raises(ValueError, match="MASHBOT_CONSOLE must be 1"):
        console_enabled(make_settings("sqlite:///unused.db"), {"MASHBOT_CONSOLE": "maybe"})


def test_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("[::1]") and is_loopback("LOCALHOST")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("example.org")


async def _client(db_url: str, env: Mapping[str, str], host: str, **settings: str) -> AsyncIterator[TestClient]:
    service = bootstrap.build(make_settings(db_url, **settings))
    app = web.Application()
    mount_console(app, service, host=host, environ=env)

    async def close(_: web.Application) -> AsyncIterator[None]:
        yield
        await service.close()

    app.cleanup_ctx.append(close)
    async with TestClient(TestServer(app)) as client:
        yield client


async def test_without_demo_mode_or_the_switch_there_is_no_console(db_url: str) -> None:
    for settings in ({}, SLACK, {"MASHBOT_SMTP_URL": "smtp://mail.example.org:587"}):
        async for client in _client(db_url, {}, "127.0.0.1", **settings):
            for method, path in (("GET", "/"), ("GET", "/raise"), ("GET", "/digest"), ("POST", "/clock")):
                response = await client.request(method, path, data={"step": "hour"} if method == "POST" else None)
                assert response.status == 404, path


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "", "192.0.2.10", "mashbot.example.org"])
@pytest.mark.parametrize("settings", [{"MASHBOT_DEMO": "1"}, {"MASHBOT_CONSOLE": "1"}])
def test_the_console_refuses_to_start_off_loopback(db_url: str, host: str, settings: dict[str, str]) -> None:
    service = bootstrap.build(make_settings(db_url, **settings))
    with pytest.raises(LocalOnlyError, match="the web console is on .* serves loopback only"):
        build_app(service, host=host)
    with pytest.raises(LocalOnlyError):
        mount_console(web.Application(), service, host=host, environ={})


def test_demo_mode_with_chat_credentials_refuses_to_start(db_url: str) -> None:
    service = bootstrap.build(make_settings(db_url, MASHBOT_DEMO="1", **SLACK))
    with pytest.raises(LocalOnlyError, match="MASHBOT_DEMO=1 .* real challenges"):
        build_app(service, host="127.0.0.1")


def test_mashbot_serve_with_the_console_off_loopback_says_why_and_exits_non_zero(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    database = tmp_path / "never.db"
    monkeypatch.setenv("MASHBOT_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("MASHBOT_DEMO", "1")
    assert cli.main(["serve", "--host", "0.0.0.0", "--port", "0"]) == 1
    err = capsys.readouterr().err
    assert "refusing to start: the web console is on but mashbot would listen on 0.0.0.0" in err
    assert "Traceback" not in err and not database.exists()


async def test_switched_on_without_demo_mode_the_console_has_no_demo_clock(db_url: str) -> None:
    async for client in _client(db_url, {"MASHBOT_CONSOLE": "1"}, "127.0.0.1", **TEAMS):
        page = await client.get("/")
        assert page.status == 200
        assert "Demo clock" not in await page.text()
        response = await client.post("/clock", data={"step": "week"})
        assert response.status == 404 and "MASHBOT_DEMO=1" in await response.text()


async def test_make_run_builds_the_console_and_its_clock_on_loopback(db_url: str) -> None:
    service = bootstrap.build(make_settings(db_url, MASHBOT_DEMO="1"))
    async with TestClient(TestServer(build_app(service, host="127.0.0.1"))) as client:
        page = await client.get("/")
        text = await page.text()
        assert page.status == 200 and "<h1>Choose who you are</h1>" in text
        assert "Demo clock" in text
        assert (await client.get("/healthz")).status == 200


def test_make_run_sets_demo_mode() -> None:
    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "MASHBOT_DEMO=" in recipe and "mashbot serve --host 127.0.0.1" in recipe


# --- the page itself -------------------------------------------------------------------------


async def test_pages_are_self_contained_and_accessible(console: Console) -> None:
    await console.act_as("tara.nolan")
    for path in ("/", "/raise", "/challenges", "/digest"):
        response = await console.client.get(path)
        page = await response.text()
        assert response.status == 200, path
        assert response.headers["Content-Security-Policy"].startswith("default-src 'self'")
        assert '<html lang="en-GB">' in page and '<a class="skip-link" href="#main">' in page
        assert len(re.findall(r"<h1[ >]", page)) == 1, path
        assert not re.search(r'(src|href|action)="(https?:)?//', page), path  # nothing external
        for control in re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', page):
            assert f'<label for="{control}"' in page, (path, control)
    css = await console.client.get("/console/static/mashbot.css")
    js = await console.client.get("/console/static/mashbot.js")
    assert css.status == 200 and ":focus-visible" in await css.text()
    assert js.status == 200 and "data-shown-when" in await js.text()


async def test_acting_as_someone_from_the_roster(console: Console) -> None:
    page = await console.client.get("/")
    text = await page.text()
    assert '<option value="tara.nolan">Tara Nolan — Practitioner (East)</option>' in text
    assert "csap-team" not in text  # team mailboxes are not people to act as
    text = await console.act_as("ava.okafor")
    assert "<h1>Inbox of Ava Okafor</h1>" in text
    assert flash(text) == ["Note: You are acting as Ava Okafor."]
    assert '<option value="ava.okafor" selected>' in text
    response = await console.client.post("/act-as", data={"person": "nobody", "next": "/"})
    assert flash(await response.text()) == ["Not done: Choose a person from the roster."]


async def test_cross_site_posts_are_refused(console: Console) -> None:
    await console.act_as("tara.nolan")
    for path in ("/act-as", "/raise", "/clock", "/challenges/CH-2345AB/accept"):
        response = await console.client.post(path, data={"person": "ava.okafor"},
                                             headers={"Origin": "http://evil.example"})
        assert response.status == 403, path
    response = await console.client.post("/raise", data=GOOD_INTAKE, headers={"Sec-Fetch-Site": "cross-site"})
    assert response.status == 403


async def test_redirects_stay_on_this_site(console: Console) -> None:
    response = await console.client.post("/act-as", data={"person": "ava.okafor", "next": "//evil.example/"},
                                         allow_redirects=False)
    assert response.status == 303 and response.headers["Location"] == "/"


# --- raising -----------------------------------------------------------------------------------


async def test_the_raise_form_is_the_intake_form(console: Console) -> None:
    await console.act_as("tara.nolan")
    page = await (await console.client.get("/raise")).text()
    form = form_for_policy(console.service.policy, default_area="East")
    assert has(page, form.title) and has(page, form.submit_label)
    for field in form.fields:
        assert f'id="intake-{field.id}" name="{field.id}"' in page, field.id
        assert has(page, field.label), field.id
        if field.help:
            assert has(page, field.help), field.id
        for choice in field.choices:
            assert f'value="{escape(choice.value)}"' in page and has(page, choice.label)
    assert '<option value="East" selected>East</option>' in page  # Tara's area
    assert 'data-shown-when="intake-urgent=yes"' in page
    # The complaints route is on the page from the start, shown as soon as the reason is chosen.
    assert 'data-shown-when="intake-reason_category=complaint"' in page
    assert has(page, console.service.policy.complaint_text)
    assert page.count('data-hidden-when="intake-reason_category=complaint"') == len(
        [f for f in form.fields if f.id not in ("case_reference", "area", "reason_category")])


async def test_the_intake_validation_messages_are_shown_per_field(console: Console) -> None:
    await console.act_as("tara.nolan")
    values = {"case_reference": "Jane Smith", "area": "East", "reason_text": "Call 07700 900123 about it",
              "urgent": "yes"}
    expected = validate_for_policy(values, console.service.policy).errors
    assert {"case_reference", "agency", "reason_text", "urgent_reason"} <= set(expected)
    response = await console.client.post("/raise", data=values)
    page = await response.text()
    assert response.status == 400
    assert '<div class="error-summary" role="alert"' in page
    for field_id, message in expected.items():
        assert f'<p class="error-message" id="intake-{field_id}-error">' in page
        assert has(page, message), (field_id, message)
        assert f'<a href="#intake-{field_id}">' in page
    # A refused personal detail is not put back into the input; the rest stays as entered.
    assert "Jane Smith" not in page and "07700 900123" not in page
    assert '<option value="East" selected>East</option>' in page
    assert 'aria-invalid="true"' in page
    async with console.service.database.uow(read_only=True) as uow:
        assert await uow.challenges.listing(active_only=False) == []


async def test_an_identifier_in_the_intake_is_named_masked_and_not_put_back(console: Console) -> None:
    await console.act_as("tara.nolan")
    values = {"case_reference": "LCS123456", "area": "East", "agency": "School", "requested_outcome": "Level 3",
              "reason_category": "level_of_need", "reason_text": "The child (Jayden) said he was scared"}
    response = await console.client.post("/raise", data=values)
    page = await response.text()
    assert response.status == 400
    assert has(page, "This looks like a name: 'Ja…' (at word 3). Please remove it")
    # A refused answer holding a personal detail is not put back into the input: retyped without it.
    assert "Jayden" not in page and "said he was scared" not in page


async def test_raising_a_challenge(console: Console) -> None:
    await console.act_as("tara.nolan")
    response = await console.client.post("/raise", data=GOOD_INTAKE)
    page = await response.text()
    ref = response.url.path.rsplit("/", 1)[1]
    assert flash(page) == [f"Done: Challenge {ref} raised: with Practice Manager (Ava Okafor, Ben Hartley), "
                           "due Tue 29 Dec, 17:00 — 1 working day left."]
    assert f"Your challenge {ref} — Practice Manager" in page
    assert "Thu 24 Dec 2026, 10:00" in page and "<strong>raised</strong>" in page
    challenge = await console.challenge(ref)
    assert challenge.challenger_id == "tara.nolan" and challenge.case_reference == "LCS123456"


async def test_a_complaint_is_redirected_and_nothing_is_recorded(console: Console) -> None:
    await console.act_as("tara.nolan")
    response = await console.client.post("/raise", data={"case_reference": "LCS123456", "area": "East",
                                                          "reason_category": "complaint"})
    page = await response.text()
    assert response.url.path == "/"
    assert has(page, console.service.policy.complaint_text.strip())
    async with console.service.database.uow(read_only=True) as uow:
        assert await uow.challenges.listing(active_only=False) == []


async def test_raising_needs_someone_to_act_as(console: Console) -> None:
    page = await (await console.client.post("/raise", data=GOOD_INTAKE)).text()
    assert flash(page) == ["Not done: Choose who you are first (acting as)."]


# --- cards and their buttons ------------------------------------------------------------------


async def test_accept_escalate_and_the_answers_for_stale_and_other_peoples_presses(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()

    await console.act_as("ava.okafor")
    inbox = await (await console.client.get("/")).text()
    assert f"Challenge {ref} — Practice Manager" in inbox
    assert f'action="/challenges/{ref}/accept"' in inbox and 'name="version" value="1"' in inbox

    await console.act_as("callum.reid")  # Central's Practice Manager: not his
    assert f"Challenge {ref}" not in await (await console.client.get("/")).text()
    response = await console.client.post(f"/challenges/{ref}/accept",
                                         data={"version": "1", "next": f"/challenges/{ref}"})
    page = await response.text()
    assert flash(page) == ["Not done: This is for Ava Okafor, Ben Hartley."]
    # and he is told on his own page: the challenge's page is not his to see
    assert response.status == 200 and response.url.path == "/"

    await console.act_as("ava.okafor")
    page = await console.press(ref, "accept", version=1)
    assert flash(page) == [f"Done: You own {ref} at Practice Manager. Due Tue 29 Dec, 17:00 — 1 working day left."]
    assert "Taken by Ava Okafor at Thu 24 Dec, 10:00." in page

    await console.act_as("ben.hartley")  # his card still showed version 1
    page = await console.press(ref, "accept", version=1)
    assert flash(page) == ["Not done: Already actioned by Ava Okafor at Thu 24 Dec, 10:00."]
    assert 'class="flash flash-warning"' in page

    await console.act_as("ava.okafor")
    # An empty required input: the error sits on that input, and its form stays open.
    response = await console.client.post(f"/challenges/{ref}/escalate", data={
        "version": str((await console.challenge(ref)).version), "next": f"/challenges/{ref}", "reason": " "})
    page = await response.text()
    assert response.status == 400
    reason_id = f"{ref}-escalate-reason"
    assert f'<p class="error-message" id="{reason_id}-error"><span class="visually-hidden">Error:</span> ' \
           "Give the reason for escalating.</p>" in page
    assert re.search(rf'<textarea id="{reason_id}"[^>]*aria-invalid="true"', page)
    assert '<details class="action-details" open>' in page and page.count("action-details\" open") == 1
    page = await console.press(ref, "escalate", reason="Needs a Team Manager view.")
    assert flash(page) == [f"Done: {ref} escalated to Team Manager."]
    challenge = await console.challenge(ref)
    assert challenge.stage == 1 and challenge.reviewers == ("ellen.marsh",)
    assert "<strong>escalated</strong>" in page

    await console.act_as("ellen.marsh")
    inbox = await (await console.client.get("/")).text()
    assert f"Challenge {ref} — Team Manager" in inbox
    assert '<dt>Your answer is due</dt><dd class="due">Tue 5 Jan, 17:00 — 5 working days left</dd>' in inbox
    # Ellen decides from why Ava sent it up.
    assert "<dt>Earlier: Practice Manager</dt>" in inbox and "Needs a Team Manager view." in inbox


async def test_outcome_then_the_challenger_accepts_it(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    await console.act_as("ava.okafor")
    await console.press(ref, "accept")
    page = await console.press(ref, "record_outcome", outcome="de_escalated", rationale="early help is in place",
                               level="2", assessment_under_way="no")
    assert flash(page)[0].startswith(f"Done: Outcome recorded for {ref}.")
    assert not has(page, "a joint decision has been made")  # no assessment ended, no joint decision
    await console.act_as("tara.nolan")
    inbox = await (await console.client.get("/")).text()
    assert "Accept outcome" in inbox and "Escalate to Team Manager" in inbox
    page = await console.press(ref, "accept_outcome")
    assert flash(page) == [f"Done: {ref} is closed."]
    assert (await console.challenge(ref)).state is State.CLOSED
    inbox = await (await console.client.get("/")).text()
    assert re.search(r'<h2 id="section-finished">Finished <span class="count">\(1\)</span>', inbox)


async def test_a_joint_agreed_cancellation_keeps_its_level_and_shows_the_case_note(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    await console.act_as("ava.okafor")
    page = await console.press(ref, "accept")
    # the level is asked for a cancellation too, not hidden behind "de-escalated"
    assert 'data-shown-when="' + ref + '-record_outcome-outcome=de_escalated"' in page
    level_field = page[page.index(f'id="{ref}-record_outcome-level"') - 400:page.index(f'id="{ref}-record_outcome-level"')]
    assert "data-shown-when" not in level_field.rsplit('<div class="field', 1)[-1]
    await console.press(ref, "record_outcome", outcome="assessment_cancelled", rationale="early help is in place",
                        level="2")
    assert (await console.challenge(ref)).state is State.AWAITING_JOINT_AGREEMENT
    for approver in ("joy.adebayo", "quentin.ashby"):
        await console.act_as(approver)
        page = await console.press(ref, "joint_agree")
    assert (await console.challenge(ref)).state is State.OUTCOME_PROPOSED
    assert has(page, "owing to early help is in place, a joint decision has been made to de-escalate the case "
                     "to level 2.")


async def test_withdraw_and_the_unknown_challenge(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    page = await console.press(ref, "withdraw")
    assert flash(page) == [f"Done: {ref} is withdrawn."]
    assert "Withdrawn by Tara Nolan at Thu 24 Dec, 10:00." in page
    response = await console.client.get("/challenges/CH-NOPE22")
    assert response.status == 404 and "There is no challenge CH-NOPE22" in await response.text()
    response = await console.client.post("/challenges/CH-NOPE22/accept", data={"version": "1", "next": "/"})
    page = await response.text()
    assert flash(page) == ["Not done: There is no challenge CH-NOPE22. Check the reference (it looks like CH-7K2M9Q)."]


# --- the demo clock ----------------------------------------------------------------------------


async def _move(console: Console, step: str) -> str:
    response = await console.client.post("/clock", data={"step": step, "next": "/"})
    assert response.status == 200
    return await response.text()


async def test_the_demo_clock_moves_by_hours_and_working_days_over_bank_holidays(console: Console) -> None:
    cal = console.service.policy.calendar()
    page = await _move(console, "hour")
    assert flash(page)[0].startswith("Note: Clock moved +1 hour to Thu 24 Dec 2026, 11:00. Tick: 0 challenge(s)")
    page = await _move(console, "day")  # Christmas, the weekend and Boxing Day's substitute are not working days
    assert "Clock moved +1 working day to Tue 29 Dec 2026, 11:00." in flash(page)[0]
    page = await _move(console, "week")  # 30, 31 Dec, 4, 5, 6 Jan (New Year's Day is a holiday)
    assert cal.describe_with_year(console.service.now()) == "Wed 6 Jan 2027, 11:00"
    assert '<strong id="service-time">Wed 6 Jan 2027, 11:00</strong>' in page
    bad = await console.client.post("/clock", data={"step": "year", "next": "/"})
    assert flash(await bad.text()) == ["Not done: Choose how far to move the clock."]


async def test_the_team_managers_five_working_days_run_out_and_it_escalates_itself(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    await console.act_as("ava.okafor")
    await console.press(ref, "accept")
    await console.press(ref, "escalate", reason="Needs a Team Manager view.")  # due Tue 5 Jan 17:00
    page = await _move(console, "week")  # Tue 5 Jan 10:00: due today, reminders sent
    assert (await console.challenge(ref)).stage == 1
    page = await (await console.client.get(f"/challenges/{ref}")).text()
    assert "<strong>nudged</strong>" in page and '<dt>Due</dt><dd class="due">Tue 5 Jan, 17:00 — due today</dd>' in page
    page = await _move(console, "day")  # Wed 6 Jan 10:00
    assert f"1 challenge(s) changed ({ref})" in flash(page)[0]
    challenge = await console.challenge(ref)
    assert challenge.stage == 2 and challenge.reviewers == ("farid.khan",)
    page = await (await console.client.get(f"/challenges/{ref}")).text()
    row = re.search(r'<tr class="event-escalated_timeout">(.*?)</tr>', page, re.S)
    assert row is not None
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[:4] == ["Wed 6 Jan 2027, 10:00", "escalated (timeout)", "Senior Manager", "mashbot (time limit)"]
    assert "from Team Manager" in cells[4]


async def test_urgent_path_and_breach_can_be_watched(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge(urgent="yes", urgent_reason="Immediate risk of harm tonight.",
                                        protective_action="Strategy discussion requested.")
    for _ in range(4):  # 4 hours per stage, clock hours, four stages
        for _ in range(4):
            await _move(console, "hour")
    challenge = await console.challenge(ref)
    assert challenge.stage == 3 and challenge.breached
    page = await (await console.client.get(f"/challenges/{ref}")).text()
    assert "breached (final stage overdue)" in page
    digest = await (await console.client.get("/digest?for=farid.khan")).text()
    assert "Breached" in digest and ref in digest
    # Names and badges are separate words, not "<name>BreachedUrgent".
    words = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", digest))
    assert "BreachedUrgent" not in words and "Breached Urgent" in words
    assert not re.search(r"[a-z](Breached|Urgent)\b", words)
    # Farid's own Senior Manager stage ran out: his digest says so.
    assert "Timed out while with you" in words and "your Senior Manager stage ran out" in words


# --- the digest ---------------------------------------------------------------------------------


async def test_the_senior_manager_digest(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    await console.act_as("farid.khan")
    page = await (await console.client.get("/digest")).text()
    assert "<h1>Senior Manager digest</h1>" in page
    assert "Farid Khan" in page and ref in page
    assert re.search(r"<th scope=\"row\">East</th><td>1</td>", page)
    other = await (await console.client.get("/digest?for=gwen.talbot")).text()
    assert "— Gwen Talbot" in other



async def test_the_digest_page_says_which_messages_could_not_be_delivered(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    async with console.service.database.uow() as uow:  # the first PM's card could not be sent
        from storage import tables

        first = await uow.session.scalar(tables.outbox.select().with_only_columns(tables.outbox.c.id)
                                         .where(tables.outbox.c.recipient == "ava.okafor"))
        await uow.outbox.mark_failed(first, "gave up after 9 attempt(s): Slack 500", None)
        await uow.commit()
    await console.act_as("farid.khan")
    page = await (await console.client.get("/digest")).text()
    assert "1 message could not be delivered" in page
    assert f"Review requested to Ava Okafor by chat about {ref}" in page
    assert "Slack 500" not in page  # why is for the administrator's `mashbot outbox show`


async def test_the_challenge_page_names_who_could_not_be_reached(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    async with console.service.database.uow() as uow:  # the dispatcher gave up on Ben (no chat, email refused)
        rows = [i for i in await uow.outbox.claim_pending(console.service.now(), 50) if i.message.reference == ref]
        for item in rows:
            if item.message.to == "ben.hartley":
                await uow.outbox.mark_failed(item.id, "email refused", None)
        await uow.commit()
    page = await (await console.client.get(f"/challenges/{ref}")).text()
    assert "<dt>Could not be reached</dt>" in page and "Ben Hartley: no chat and no working email" in page
