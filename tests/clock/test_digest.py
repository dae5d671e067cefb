"""The Senior Managers' daily digest: content for a pinned set of challenges (pure)."""

from __future__ import annotations

from bot.challenge import Outcome, State
from bot.digest import (
    DIGEST_KIND,
    Digest,
    as_message,
    build_digests,
    previous_digest_time,
    recipients,
    render_html,
    render_text,
)
from bot.ladder import calendar_of
from bot.roster import Away, Roster
from tests.clock.support import (
    LANCASHIRE,
    challenge,
    closed,
    local,
    roster_people,
)

NOW = local("2027-01-06 08:30")  # Wed 6 Jan 2027, digest time
SINCE = local("2027-01-05 08:30")  # the previous working day's digest
SECRETS = ("LCS999999", "SECRET-REASON", "SECRET-DECISION", "SECRET-REQUEST")


def pinned() -> list:
    return [
        challenge("CH-BRCH", area="East", stage=3, due="2027-01-06 08:20", breached=True,
                  reviewers=("head-of-service",)),
        challenge("CH-LATE", area="Central", stage=1, due="2027-01-06 08:15", urgent=True,
                  urgent_reason="SECRET-REASON", raised="2027-01-06 04:15"),
        challenge("CH-TDAY", area="East", stage=0, due="2027-01-06 17:00", raised="2027-01-05 10:00",
                  reviewers=("pm-east-1", "pm-east-2")),
        challenge("CH-TMRW", area="North", stage=1, due="2027-01-07 17:00", state=State.ACCEPTED,
                  owner_id="team-manager"),
        challenge("CH-LATR", area="CSSH", stage=2, due="2027-01-12 17:00", reviewers=("senior-manager",)),
        challenge("CH-PROP", area="East", stage=1, due="2027-01-06 17:00", state=State.OUTCOME_PROPOSED,
                  owner_id="team-manager"),
        closed("CH-DONE", "2027-01-05 15:00", area="Central"),
        challenge("CH-WDRN", area="North", due="2027-01-06 17:00", state=State.WITHDRAWN,
                  raised="2027-01-05 11:00", closed_at=local("2027-01-05 12:00")),
        closed("CH-OLD", "2027-01-04 12:00", kind=Outcome.DECISION_REVISED),
    ]


def digests(**kwargs) -> dict[str, Digest]:
    roster = kwargs.pop("roster", Roster(roster_people()))
    found = build_digests(pinned(), roster, LANCASHIRE, kwargs.pop("now", NOW), kwargs.pop("since", SINCE), **kwargs)
    return {d.person_id: d for d in found}


def refs(lines) -> list[str]:
    return [line.reference for line in lines]


def test_each_senior_manager_and_head_of_service_gets_one_digest() -> None:
    assert list(digests()) == ["senior-manager", "head-of-service", "sm-north"]


def test_digest_sections_for_all_areas() -> None:
    d = digests()["senior-manager"]
    assert d.day_words == "Wed 6 Jan 2027" and d.areas == ()
    assert refs(d.overdue) == ["CH-BRCH", "CH-LATE"]  # breached first, though due later
    assert refs(d.due_today) == ["CH-TDAY"]  # an outcome awaiting the challenger is not "due"
    assert refs(d.due_next) == ["CH-TMRW"] and d.next_day_label == "Due tomorrow (Thu 7 Jan)"
    assert refs(d.urgent) == ["CH-LATE"]
    assert refs(d.raised) == ["CH-TDAY", "CH-WDRN", "CH-LATE"]  # in the order raised
    assert refs(d.resolved) == ["CH-WDRN", "CH-DONE"]  # CH-OLD closed before the last digest
    assert [line.note for line in d.resolved] == ["withdrawn", "Decision upheld"]
    assert [(s.stage_name, s.count) for s in d.by_stage] == [
        ("Practice Manager", 1), ("Team Manager", 3), ("Senior Manager", 1), ("Head of Service", 1)]
    assert d.by_area == (("East", 3), ("Central", 1), ("North", 1), ("CSSH", 1))
    assert d.open_total == 6


def test_due_times_and_people_are_in_words() -> None:
    d = digests()["senior-manager"]
    brch, late = d.overdue
    assert (brch.due, brch.stage_name, brch.reviewers, brch.breached) == (
        "Wed 6 Jan, 08:20", "Head of Service", "Head Of Service", True)
    assert late.urgent and late.challenger == "Practitioner"
    assert d.due_next[0].reviewers == "Team Manager"  # the owner, once accepted
    assert d.due_today[0].reviewers == "Pm East 1, Pm East 2"


def test_an_area_scoped_recipient_sees_only_their_areas_and_their_own_since() -> None:
    d = digests()["sm-north"]
    assert d.areas == ("North",)
    assert refs(d.due_next) == ["CH-TMRW"] and refs(d.resolved) == ["CH-WDRN"]
    assert not d.overdue and not d.due_today and d.open_total == 1
    earlier = digests(since_by_person={"sm-north": local("2026-12-01 08:30")})["sm-north"]
    assert refs(earlier.raised) == ["CH-TMRW", "CH-WDRN"]


def test_on_a_friday_the_forecast_is_the_next_working_day() -> None:
    d = digests(now=local("2027-01-08 08:30"))["senior-manager"]
    assert d.next_day_label == "Due by the next working day (Mon 11 Jan)"


def test_an_away_recipient_is_covered_by_their_delegate() -> None:
    people = [p if p.id != "head-of-service" else p.model_copy(update={
        "delegate": "county-manager", "away": (Away(start=NOW.date(), end=NOW.date()),)}) for p in roster_people()]
    found = recipients(LANCASHIRE, Roster(people), NOW.date())
    assert [(r.person.id, r.areas, r.covering_for) for r in found] == [
        ("senior-manager", (), ()), ("county-manager", (), ("Head Of Service",)), ("sm-north", ("North",), ())]


def test_the_text_holds_references_stages_areas_due_times_and_names_only() -> None:
    d = digests()["senior-manager"]
    text, page = render_text(d), render_html(d)
    for secret in SECRETS:
        assert secret not in text and secret not in page
    assert "Overdue (2)" in text
    assert "CH-BRCH  East  Head of Service — overdue since Wed 6 Jan, 08:20; with Head Of Service  [BREACHED]" in text
    assert "Due tomorrow (Thu 7 Jan) (1)" in text
    assert "Open by stage (6): Practice Manager 1 · Team Manager 3 · Senior Manager 1 · Head of Service 1" in text
    assert "<li>CH-TDAY  East  Practice Manager — due Wed 6 Jan, 17:00; with Pm East 1, Pm East 2</li>" in page


def test_a_quiet_day_says_so() -> None:
    d = build_digests([], Roster(roster_people()), LANCASHIRE, NOW, SINCE)[0]
    assert d.is_empty
    assert "No open challenges in your areas, and none raised or resolved since Tue 5 Jan, 08:30." in render_text(d)


def test_the_digest_travels_as_a_chat_message_with_its_own_text() -> None:
    d = digests()["senior-manager"]
    message = as_message(d)
    assert (message.kind, message.to, message.reference) == (DIGEST_KIND, "senior-manager", None)
    assert message.data["subject"] == "Professional challenges: daily digest for Wed 6 Jan 2027"
    assert message.data["body"] == render_text(d)


def test_since_defaults_to_the_previous_working_days_digest_time() -> None:
    cal = calendar_of(LANCASHIRE)
    assert previous_digest_time(cal, local("2027-01-04 08:30")) == local("2026-12-31 08:30")  # over New Year
    assert previous_digest_time(cal, local("2027-01-06 08:30")) == local("2027-01-05 08:30")


# --- messages that could not be delivered ----------------------------------------------------

def _failed() -> list:
    from bot.digest import FailedMessage

    return [FailedMessage("review_requested", "pm-east-1", "chat", "CH-TDAY", local("2027-01-05 10:00")),
            FailedMessage("csap_form", "head-of-service", "email", "CH-GONE", local("2027-01-05 11:00")),
            FailedMessage("nudge", "pm-north-1", "chat", "CH-TMRW", local("2027-01-06 08:00"))]


def test_the_digest_says_which_messages_could_not_be_delivered_and_to_whom() -> None:
    from cards.adaptive import message_card
    from cards.slack import notice_message

    every = digests(failed=_failed())
    whole = every["senior-manager"]  # all areas: every failure, also one about no open challenge
    text = render_text(whole)
    assert "3 messages could not be delivered" in text
    roster = Roster(roster_people())
    name = roster.name_of("pm-east-1")
    assert f"Review requested to {name} by chat about CH-TDAY, queued Tue 5 Jan, 10:00" in text
    assert f"CSAP form to {roster.name_of('head-of-service')} by email about CH-GONE" in text
    assert "mashbot outbox list --failed" in text
    assert text.index("could not be delivered") < text.index("Overdue")  # first thing read
    assert "3 messages could not be delivered" in render_html(whole)
    assert not any(s in text for s in SECRETS)
    north = every["sm-north"]  # an area-scoped reader sees only their area's failures
    assert [u.reference for u in north.undelivered] == ["CH-TMRW"]
    assert "1 message could not be delivered" in render_text(north)
    # Slack, Teams and email all carry the digest's words
    data = as_message(whole).data
    assert data["undelivered"] == 3
    assert "3 messages could not be delivered" in str(notice_message(data["subject"], data["body"]))
    assert "3 messages could not be delivered" in str(message_card(data["subject"], data["body"].splitlines()))


def test_a_digest_with_only_undelivered_messages_is_not_empty() -> None:
    from bot.digest import FailedMessage

    found = build_digests([], Roster(roster_people()), LANCASHIRE, NOW, SINCE,
                          failed=[FailedMessage("nudge", "team-manager", "chat", None, local("2027-01-05 10:00"))])
    d = next(d for d in found if d.person_id == "senior-manager")
    assert not d.is_empty
    text = render_text(d)
    assert "1 message could not be delivered" in text and "No open challenges" in text
    assert all(not d.undelivered for d in found if d.areas)  # about no challenge: all-area readers only


def test_an_urgent_item_due_in_a_few_hours_is_due_within_hours_not_tomorrow() -> None:
    evening = local("2027-01-05 22:00")  # Tue evening (the demo clock can build it any time)
    soon = challenge("CH-SOON", area="East", stage=1, due="2027-01-06 02:00", urgent=True,
                     raised="2027-01-05 21:30", reviewers=("team-manager",))
    (d,) = [x for x in build_digests([soon], Roster(roster_people()), LANCASHIRE, evening, SINCE)
            if x.person_id == "senior-manager"]
    assert refs(d.due_soon) == ["CH-SOON"] and refs(d.due_next) == [] and refs(d.due_today) == []
    text = render_text(d)
    assert "Due within hours (clock-hour limits) (1)" in text and "due in 4 h 0 min (Wed 6 Jan, 02:00)" in text
    # The headings name the day the digest is built for.
    assert "Due today (Tue 5 Jan) (0)" in text and "Due tomorrow (Wed 6 Jan) (0)" in text


def test_the_readers_own_timed_out_stage_is_mentioned() -> None:
    from bot.challenge import PastStage

    moved = challenge("CH-MOVD", area="East", stage=3, due="2027-01-12 17:00", reviewers=("head-of-service",),
                      history=(PastStage(stage=2, how="timeout", at=local("2027-01-05 17:00"),
                                         reviewers=("senior-manager",)),))
    ds = {d.person_id: d for d in build_digests([moved], Roster(roster_people()), LANCASHIRE, NOW, SINCE)}
    mine = ds["senior-manager"]
    assert refs(mine.timed_out) == ["CH-MOVD"]
    assert "Timed out while with you since" in render_text(mine)
    assert "your Senior Manager stage ran out; now at Head of Service" in render_text(mine)
    assert ds["head-of-service"].timed_out == ()  # not theirs


def test_badges_are_words_apart_from_the_names() -> None:
    d = digests()["senior-manager"]
    (breached,) = [line for line in d.overdue if line.reference == "CH-BRCH"]
    assert breached.badges == ("Breached",)
    assert "[BREACHED]" in render_text(d)
