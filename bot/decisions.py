"""What reviewers and challengers decide: the transitions their commands make.

Each function is given a `Change` (the challenge, roster and `now`) and records the events,
messages and reply it produces; the handlers route commands here and persist the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot import texts
from bot.challenge import UNDECIDED_STATES, Channel, Event, Outcome, OutcomeRecord, State
from bot.errors import InvalidCommand, NotAllowed
from bot.ladder import Change, check_free_text, require_state
from bot.policy import Duty


def accept(change: Change, actor: str) -> None:
    ch = change.challenge
    require_state(change, State.OPEN)
    pool = ch.reviewers
    ch.state = State.ACCEPTED
    ch.owner_id = actor
    ch.reviewers = (actor,)
    change.touch(actor, "accepted")
    change.event("accepted", State.OPEN, actor)
    at = change.when(change.now)
    change.send("taken", [p for p in pool if p != actor], at=at)
    change.send("accepted", [ch.challenger_id])
    change.reply = f"You own {ch.reference} at {change.stage_name()}. Due {change.due_words()}."


def record_outcome(change: Change, actor: str, outcome: Outcome, rationale: str, level: str | None) -> None:
    ch = change.challenge
    require_state(change, State.ACCEPTED, State.OPEN)
    policy = ch.policy
    if outcome.value not in policy.outcomes:
        raise InvalidCommand(f"Outcome must be one of: {', '.join(texts.OUTCOME_LABELS[o] for o in policy.outcomes)}.")
    if not rationale.strip():
        raise InvalidCommand("Please give the rationale for the outcome.")
    check_free_text("Rationale", rationale)
    note = None
    if outcome in (Outcome.DE_ESCALATED, Outcome.ASSESSMENT_CANCELLED):
        if outcome is Outcome.DE_ESCALATED and level not in policy.de_escalation_levels:
            raise InvalidCommand(f"De-escalation needs the level: {' or '.join(policy.de_escalation_levels)}.")
        if level:
            note = texts.DE_ESCALATION_NOTE.format(rationale=rationale.strip().rstrip("."), level=level)
    old = ch.state
    ch.owner_id = ch.owner_id or actor
    ch.outcome = OutcomeRecord(kind=outcome, rationale=rationale.strip(), level=level, stage=ch.stage,
                               by=actor, at=change.now, case_note=note)
    joint = policy.joint_agreement
    data: dict[str, Any] = {"decider_name": change.roster.name_of(actor), "outcome_label": texts.OUTCOME_LABELS[outcome.value],
            "rationale": rationale.strip(), "case_note": note or ""}
    if joint and outcome.value == joint.outcome:
        ch.state = State.AWAITING_JOINT_AGREEMENT
        ch.joint_agreed_by = {}
        change.touch(actor, "outcome_recorded")
        change.event("outcome_recorded", old, actor, outcome=outcome.value, level=level, joint=True,
                     rationale=rationale.strip())
        approvers = [p for role in joint.roles for p in change.role_holders(role, area_scoped=True)]
        change.send("joint_agreement_request", approvers, **data)
        change.reply = f"Recorded. {ch.reference} waits for joint agreement ({change.names(approvers)})."
        return
    change.touch(actor, "outcome_recorded")
    propose(change, old, actor, data)


def propose(change: Change, old: State, actor: str, data: dict[str, Any]) -> None:
    """The outcome stands unless the challenger escalates within the stage window."""
    ch = change.challenge
    assert ch.outcome is not None
    ch.state = State.OUTCOME_PROPOSED
    if ch.urgent:
        floor = change.cal.hours_after(change.now, ch.policy.stage(ch.stage).urgent_limit.amount)
    else:
        floor = change.cal.working_days_after(change.now, 1)
    ch.answer_due_at = max(ch.due_at, floor)
    ch.next_nudge_at = None
    change.event("outcome_recorded" if old is not State.AWAITING_JOINT_AGREEMENT else "joint_agreed",
                 old, actor, outcome=ch.outcome.kind.value, level=ch.outcome.level,
                 rationale=ch.outcome.rationale, answer_due_at=ch.answer_due_at.isoformat())
    final = ch.stage >= ch.policy.last_stage
    data = data | {"answer_due": change.when(ch.answer_due_at), "at": change.when(ch.outcome.at), "final_stage": final,
                   "record_location": ch.policy.record_location}
    change.send("outcome_recorded", [ch.challenger_id], **data)
    participants = [ch.challenger_id, ch.outcome.by]
    change.send("outcome_record", participants, Channel.EMAIL, **data)
    choice = "accept it (final stage)" if final else "accept or escalate"
    change.reply = (f"Outcome recorded for {ch.reference}. {change.roster.name_of(ch.challenger_id)} can {choice} "
                    f"by {change.when(ch.answer_due_at)}." + (f" Case note: {ch.outcome.case_note}"
                                                                         if ch.outcome.case_note else ""))


def joint_answer(change: Change, actor: str, agree: bool, reason: str) -> None:
    ch = change.challenge
    require_state(change, State.AWAITING_JOINT_AGREEMENT)
    joint = ch.policy.joint_agreement
    assert joint is not None and ch.outcome is not None
    person = change.roster.get(actor)
    roles = [r for r in joint.roles if person is not None and person.has_role(r, ch.area)]
    if not roles:
        raise NotAllowed(texts.NOT_YOURS.format(names=" and ".join(r.replace("_", " ") for r in joint.roles)))
    if not agree:
        if not reason.strip():
            raise InvalidCommand("Please give the reason for refusing.")
        check_free_text("Reason", reason)
        ch.state = State.ACCEPTED
        ch.outcome = None
        ch.joint_agreed_by = {}
        change.touch(actor, "joint_refused")
        change.event("joint_refused", State.AWAITING_JOINT_AGREEMENT, actor, reason=reason.strip())
        change.send("joint_refused", [ch.challenger_id, *(p for p in [ch.owner_id] if p)],
                    actor_name=change.roster.name_of(actor), reason=reason.strip())
        change.reply = f"Refused. {ch.reference} goes back to {change.roster.name_of(ch.owner_id)}."
        return
    ch.joint_agreed_by = {**ch.joint_agreed_by, **{r: actor for r in roles}}
    change.touch(actor, "joint_agreed")
    if set(joint.roles) - set(ch.joint_agreed_by):
        change.event("joint_agreed", State.AWAITING_JOINT_AGREEMENT, actor, roles=roles, complete=False)
        change.reply = f"Agreement noted for {ch.reference}; waiting for the other party."
        return
    data: dict[str, Any] = {"decider_name": change.roster.name_of(ch.outcome.by),
            "outcome_label": texts.OUTCOME_LABELS[ch.outcome.kind.value], "rationale": ch.outcome.rationale}
    propose(change, State.AWAITING_JOINT_AGREEMENT, actor, data)


def accept_outcome(change: Change, actor: str) -> None:
    ch = change.challenge
    require_state(change, State.OUTCOME_PROPOSED)
    assert ch.outcome is not None
    ch.state = State.CLOSED
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, "outcome_accepted")
    change.event("outcome_accepted", State.OUTCOME_PROPOSED, actor, outcome=ch.outcome.kind.value)
    change.send("closed", [ch.challenger_id, ch.outcome.by], outcome_label=texts.OUTCOME_LABELS[ch.outcome.kind.value])
    change.reply = f"{ch.reference} is closed."


def withdraw(change: Change, actor: str, reason: str) -> None:
    ch = change.challenge
    if not ch.is_active:
        raise InvalidCommand(texts.BAD_STATE.format(reference=ch.reference, state=ch.state.value))
    check_free_text("Reason", reason)
    old = ch.state
    people = (ch.owner_id,) if ch.owner_id else ch.reviewers
    ch.state = State.WITHDRAWN
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, "withdrawn")
    change.event("withdrawn", old, actor)
    change.send("withdrawn", people, actor_name=change.roster.name_of(actor))
    change.reply = f"{ch.reference} is withdrawn."


def delegate(change: Change, actor: str, to_id: str) -> None:
    ch = change.challenge
    require_state(change, State.OPEN, State.ACCEPTED)
    target = change.roster.get(to_id)
    if target is None:
        raise InvalidCommand(f"{to_id!r} is not in the roster; choose a colleague mashbot knows.")
    if to_id == ch.challenger_id:
        raise InvalidCommand("A challenge cannot be delegated to the person who raised it.")
    if target.is_away(change.cal.local(change.now).date()):
        raise InvalidCommand(f"{target.name} is away; choose someone else.")
    old = ch.state
    if ch.state is State.ACCEPTED:
        ch.owner_id = to_id
        ch.reviewers = (to_id,)
    else:
        ch.reviewers = tuple(dict.fromkeys(to_id if r == actor else r for r in ch.reviewers)) \
            if actor in ch.reviewers else (to_id,)
    change.touch(actor, "delegated")
    change.event("delegated", old, actor, to=to_id)
    change.send("delegated", [to_id], actor_name=change.roster.name_of(actor))
    change.reply = f"{ch.reference} delegated to {target.name}."


def mark_urgent(change: Change, actor: str, reason: str) -> None:
    ch = change.challenge
    require_state(change, *UNDECIDED_STATES)
    if ch.urgent:
        raise InvalidCommand(f"{ch.reference} is already urgent.")
    if not reason.strip():
        raise InvalidCommand("An urgent challenge needs a reason (immediate or life-threatening risk).")
    check_free_text("Urgent reason", reason)
    ch.urgent = True
    ch.urgent_reason = reason.strip()
    ch.due_at = min(ch.due_at, change.stage_due(change.now))
    ch.next_nudge_at = None
    change.touch(actor, "marked_urgent")
    change.event("marked_urgent", ch.state, actor, due_at=ch.due_at.isoformat())
    change.send("review_requested", (ch.owner_id,) if ch.owner_id else ch.reviewers)
    change.heads_up()
    change.notices_on_raise()
    change.reply = f"{ch.reference} is urgent: due {change.when(ch.due_at)}."


def set_cp_or_looked_after(change: Change, actor: str, value: bool) -> None:
    ch = change.challenge
    if ch.cp_or_looked_after == value:
        raise InvalidCommand(f"{ch.reference} already has that flag.")
    ch.cp_or_looked_after = value
    change.touch(actor, "cp_flag_set")
    change.event("cp_flag_set", ch.state, actor, value=value)
    n = ch.policy.notifications
    if value and n.iro_when_cp_or_looked_after:
        change.send("iro_notice", change.role_holders(n.iro), Channel.EMAIL)
    change.reply = f"{ch.reference} updated."


def add_lesson(change: Change, actor: str, category: str, text: str, categories: dict[str, str]) -> None:
    ch = change.challenge
    if category not in categories:
        raise InvalidCommand(f"Lesson category must be one of: {', '.join(categories.values())}.")
    if not text.strip():
        raise InvalidCommand("Please describe the lesson.")
    check_free_text("Lesson", text)
    change.touch(actor, "lesson_added")
    change.event("lesson_added", ch.state, actor, category=category, text=text.strip())
    change.send("lesson_learned", change.role_holders(ch.policy.notifications.lessons_learned), Channel.EMAIL,
                category_label=categories[category], text=text.strip())
    change.reply = "Lesson recorded and sent."


def tell_csap(change: Change, actor: str, detail: str) -> None:
    ch = change.challenge
    if not ch.urgent:
        raise InvalidCommand("This action is for urgent (life-threatening) challenges only.")
    check_free_text("Detail", detail)
    change.touch(actor, "csap_told")
    change.event("csap_told", ch.state, actor)
    text = detail.strip() or "An agency maintains a position of non-involvement in a life-threatening case."
    change.send("csap_non_involvement", change.role_holders(ch.policy.notifications.csap), Channel.EMAIL,
                detail=text)
    change.reply = "The CSAP team has been told."


def send_stage3_form(change: Change, actor: str, family: Sequence[tuple[str, str]], meeting_date: str,
                     history: Sequence[Event], fields: dict[str, str]) -> None:
    """Email the completed Stage 3 form to CSAP; the family details are not kept (DESIGN §2)."""
    ch = change.challenge
    if not any(Duty.CSAP_FORM in ch.policy.stage(i).duties for i in range(ch.stage + 1)):
        raise InvalidCommand(f"{ch.reference} has not reached the stage that sends the Stage 3 form.")
    unknown = [key for key, _ in family if key not in fields]
    if unknown:
        raise InvalidCommand(f"Unknown family detail(s): {', '.join(unknown)}.")
    details = {fields[key]: value.strip() for key, value in family if value.strip()}
    if not details:
        raise InvalidCommand("Please give the family details the CSAP form asks for.")
    form = change.csap_form() | {
        "stages_1_and_2": stage_history(change, history, stages=(1, 2)),
        "stage_3_meeting": meeting_date.strip(),
        "family": details,
    }
    ch.stage3_form_sent_at = change.now
    change.touch(actor, "stage3_form_sent")
    change.event("stage3_form_sent", ch.state, actor)  # no details: they are not kept
    change.send("stage3_form", change.role_holders(ch.policy.notifications.csap), Channel.EMAIL,
                form=form, personal_keys=["form.family"])
    change.reply = "The Stage 3 form has been emailed to the CSAP team; mashbot keeps no family details."


def stage_history(change: Change, history: Sequence[Event], stages: Iterable[int]) -> str:
    """'Stage 1 Team Manager: decision upheld (Tue 12 Jan 2027)' lines, from the audit trail."""
    ch = change.challenge
    lines = []
    wanted = set(stages)
    for event in history:
        if event.kind not in ("outcome_recorded", "escalated", "escalated_timeout"):
            continue
        stage = event.detail.get("from_stage", event.stage)  # an escalation is filed under the new stage
        if stage not in wanted:
            continue
        what = texts.EVENT_LABELS.get(event.kind, event.kind)
        if event.detail.get("outcome"):
            what = texts.OUTCOME_LABELS.get(str(event.detail["outcome"]), what)
        # a time-out happened at the old due time, whenever the tick applied it
        when = datetime.fromisoformat(event.detail["stage_started_at"]) if "stage_started_at" in event.detail \
            else event.at
        lines.append(f"{ch.policy.stage(int(stage)).name} ({change.cal.describe_with_year(when)}): {what}")
    return "; ".join(lines) or "—"


