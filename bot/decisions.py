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
from bot.roles import role_label


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


def record_outcome(change: Change, actor: str, outcome: Outcome, rationale: str, level: str | None,
                   assessment_under_way: bool | None = None, record_made: str | None = None) -> None:
    ch = change.challenge
    require_state(change, State.ACCEPTED, State.OPEN)
    policy = ch.policy
    if outcome.value not in policy.outcomes:
        raise InvalidCommand(f"Outcome must be one of: {', '.join(texts.OUTCOME_LABELS[o] for o in policy.outcomes)}.",
                             field="outcome")
    if not rationale.strip():
        raise InvalidCommand("Please give the rationale for the outcome.", field="rationale")
    check_free_text("Rationale", rationale, "rationale")
    if outcome is Outcome.DE_ESCALATED and level not in policy.de_escalation_levels:
        raise InvalidCommand(f"De-escalation needs the level: {' or '.join(policy.de_escalation_levels)}.",
                             field="level")
    if level is not None and level not in policy.de_escalation_levels:
        raise InvalidCommand(f"The level must be {' or '.join(policy.de_escalation_levels)}.", field="level")
    if policy.record_kinds and record_made not in policy.record_kinds:
        raise InvalidCommand(texts.ASK_RECORD_MADE.format(kinds=" or ".join(policy.record_kinds)),
                             field="record_made")
    joint = policy.joint_agreement
    if joint and outcome.value in joint.when_assessment_ends and assessment_under_way is None:
        raise InvalidCommand(texts.ASK_ASSESSMENT_UNDER_WAY.format(roles=joint_role_names(joint.roles)),
                             field="assessment_under_way")
    needs_joint = joint is not None and joint.needed(outcome.value, assessment_under_way)
    old = ch.state
    ch.owner_id = ch.owner_id or actor
    ch.outcome = OutcomeRecord(kind=outcome, rationale=rationale.strip(), level=level, stage=ch.stage,
                               by=actor, at=change.now, assessment_under_way=assessment_under_way,
                               joint=needs_joint, record_made=record_made if policy.record_kinds else None)
    data = outcome_data(change)
    if needs_joint:
        assert joint is not None
        ch.state = State.AWAITING_JOINT_AGREEMENT
        ch.joint_agreed_by = {}
        change.touch(actor, "outcome_recorded")
        change.event("outcome_recorded", old, actor, outcome=outcome.value, level=level, joint=True,
                     assessment_under_way=assessment_under_way, record_made=ch.outcome.record_made,
                     rationale=rationale.strip())
        approvers = [p for role in joint.roles for p in change.role_holders(role, area_scoped=True)
                     if p != ch.challenger_id]
        change.send("joint_agreement_request", approvers, **data)
        change.reply = f"Recorded. {ch.reference} waits for joint agreement ({change.names(approvers)})."
        return
    change.touch(actor, "outcome_recorded")
    propose(change, old, actor, data)


def joint_role_names(roles: Iterable[str]) -> str:
    return " and ".join(role_label(r) for r in roles)


def outcome_data(change: Change) -> dict[str, Any]:
    """What every message about the recorded outcome says."""
    ch = change.challenge
    assert ch.outcome is not None
    return {"decider_name": change.roster.name_of(ch.outcome.by),
            "outcome_label": texts.OUTCOME_LABELS[ch.outcome.kind.value],
            "rationale": ch.outcome.rationale, "case_note": ch.outcome.case_note or ""}


def agreed_case_note(change: Change) -> str | None:
    """The "joint decision" case note, only once a joint decision really exists: the outcome
    ended an assessment and every joint-agreement role agreed (Lancashire)."""
    ch = change.challenge
    outcome = ch.outcome
    joint = ch.policy.joint_agreement
    if outcome is None or joint is None or not outcome.joint or not outcome.level:
        return None
    if set(joint.roles) - set(ch.joint_agreed_by):
        return None
    return texts.DE_ESCALATION_NOTE.format(rationale=outcome.rationale.rstrip("."), level=outcome.level)


def propose(change: Change, old: State, actor: str, data: dict[str, Any]) -> None:
    """The outcome stands unless the challenger escalates within the stage window."""
    ch = change.challenge
    assert ch.outcome is not None
    note = agreed_case_note(change)
    if note:
        ch.outcome = ch.outcome.model_copy(update={"case_note": note})
    ch.state = State.OUTCOME_PROPOSED
    if ch.urgent:
        floor = change.cal.hours_after(change.now, ch.policy.stage(ch.stage).urgent_limit.amount)
    else:
        floor = change.cal.working_days_after(change.now, 1)
    ch.answer_due_at = max(ch.due_at, floor)
    ch.next_nudge_at = None
    change.event("outcome_recorded" if old is not State.AWAITING_JOINT_AGREEMENT else "joint_agreed",
                 old, actor, outcome=ch.outcome.kind.value, level=ch.outcome.level,
                 rationale=ch.outcome.rationale, answer_due_at=ch.answer_due_at.isoformat(),
                 record_made=ch.outcome.record_made)
    final = ch.stage >= ch.policy.last_stage
    data = data | outcome_data(change) | {"answer_due": change.when(ch.answer_due_at),
                                          "at": change.when(ch.outcome.at), "final_stage": final,
                                          "record_location": ch.policy.record_location,
                                          "record_made": (f" Recorded as: {ch.outcome.record_made}."
                                                          if ch.outcome.record_made else "")}
    change.send("outcome_recorded", [ch.challenger_id], **data)
    participants = [ch.challenger_id, ch.outcome.by]
    change.send("outcome_record", participants, Channel.EMAIL, **data)
    if note:
        writers = change.role_holders(ch.policy.notifications.case_note, area_scoped=True)
        change.send("case_note_request", writers, **data)
        change.event("case_note_requested", ch.state, None, to=writers)
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
    if not roles or actor == ch.challenger_id:
        raise NotAllowed(texts.NOT_YOURS.format(names=joint_role_names(joint.roles)))
    if not agree:
        if not reason.strip():
            raise InvalidCommand("Please give the reason for refusing.", field="reason")
        check_free_text("Reason", reason, "reason")
        ch.state = State.ACCEPTED
        ch.outcome = None
        ch.joint_agreed_by = {}
        change.touch(actor, "joint_refused")
        change.event("joint_refused", State.AWAITING_JOINT_AGREEMENT, actor, reason=reason.strip())
        change.send("joint_refused", [ch.challenger_id, *(p for p in [ch.owner_id] if p)],
                    actor_name=change.roster.name_of(actor), reason=reason.strip())
        change.send("joint_refusal_record", [ch.challenger_id, *(p for p in [ch.owner_id] if p), actor],
                    Channel.EMAIL, actor_name=change.roster.name_of(actor), reason=reason.strip(),
                    record_location=ch.policy.record_location)
        change.reply = f"Refused. {ch.reference} goes back to {change.roster.name_of(ch.owner_id)}."
        return
    ch.joint_agreed_by = {**ch.joint_agreed_by, **{r: actor for r in roles}}
    change.touch(actor, "joint_agreed")
    if set(joint.roles) - set(ch.joint_agreed_by):
        change.event("joint_agreed", State.AWAITING_JOINT_AGREEMENT, actor, roles=roles, complete=False)
        change.reply = f"Agreement noted for {ch.reference}; waiting for the other party."
        return
    propose(change, State.AWAITING_JOINT_AGREEMENT, actor, outcome_data(change))


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
    check_free_text("Reason", reason, "reason")
    old = ch.state
    people = (ch.owner_id,) if ch.owner_id else ch.reviewers
    ch.state = State.WITHDRAWN
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, "withdrawn")
    change.event("withdrawn", old, actor)
    change.send("withdrawn", people, actor_name=change.roster.name_of(actor))
    change.send("withdrawal_record", [ch.challenger_id, *people], Channel.EMAIL,
                actor_name=change.roster.name_of(actor),
                reason_line=f" Reason: {reason.strip()}." if reason.strip() else "",
                record_location=ch.policy.record_location)
    change.reply = f"{ch.reference} is withdrawn."


def delegate(change: Change, actor: str, to_id: str) -> None:
    ch = change.challenge
    require_state(change, State.OPEN, State.ACCEPTED)
    target = change.roster.get(to_id)
    if target is None:
        raise InvalidCommand(f"{to_id!r} is not in the roster; choose a colleague mashbot knows.", field="to")
    if to_id == ch.challenger_id:
        raise InvalidCommand("A challenge cannot be delegated to the person who raised it.", field="to")
    if target.is_away(change.cal.local(change.now).date()):
        raise InvalidCommand(f"{target.name} is away; choose someone else.", field="to")
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


def mark_urgent(change: Change, actor: str, reason: str, protective_action: str = "") -> None:
    ch = change.challenge
    require_state(change, *UNDECIDED_STATES)
    if ch.urgent:
        raise InvalidCommand(f"{ch.reference} is already urgent.")
    if not reason.strip():
        raise InvalidCommand("An urgent challenge needs a reason (immediate or life-threatening risk).",
                             field="reason")
    if not protective_action.strip():
        raise InvalidCommand(texts.PROTECTIVE_ACTION_NEEDED, field="protective_action")
    check_free_text("Urgent reason", reason, "reason")
    check_free_text("Protective action", protective_action, "protective_action")
    ch.urgent = True
    ch.urgent_reason = reason.strip()
    ch.protective_action = protective_action.strip()
    ch.due_at = min(ch.due_at, change.stage_due(change.now))
    ch.next_nudge_at = None
    change.touch(actor, "marked_urgent")
    change.event("marked_urgent", ch.state, actor, due_at=ch.due_at.isoformat(), protective_action_recorded=True)
    change.send("review_requested", (ch.owner_id,) if ch.owner_id else ch.reviewers)
    change.heads_up()
    change.notices_on_raise()
    change.reply = f"{ch.reference} is urgent: due {change.when(ch.due_at)}."


def update_rag(change: Change, actor: str, rag: str) -> None:
    """A new RAG rating re-times the open stage from its start (Coventry's Team Manager)."""
    ch = change.challenge
    policy = ch.policy
    require_state(change, *UNDECIDED_STATES)
    person = change.roster.get(actor)
    if not policy.rag_limits or policy.rag_updated_by is None:
        raise InvalidCommand("This policy has no RAG ratings to update.")
    if person is None or not person.has_role(policy.rag_updated_by) or actor == ch.challenger_id:
        raise NotAllowed(texts.NOT_YOURS.format(names=role_label(policy.rag_updated_by)))
    if rag not in policy.rag_limits:
        raise InvalidCommand(f"RAG rating must be one of {', '.join(policy.rag_limits)}.", field="rag")
    if rag == ch.rag:
        raise InvalidCommand(f"{ch.reference} is already rated {rag}.", field="rag")
    old_rag, old_due = ch.rag, ch.due_at
    ch.rag = rag
    ch.due_at = change.stage_due(ch.stage_started_at)
    if ch.next_nudge_at is not None and ch.next_nudge_at > ch.due_at:
        ch.next_nudge_at = None
    change.touch(actor, "rag_updated")
    change.event("rag_updated", ch.state, actor, from_rag=old_rag, to_rag=rag, from_due_at=old_due.isoformat(),
                 due_at=ch.due_at.isoformat())
    change.send("rag_updated", [ch.challenger_id, *((ch.owner_id,) if ch.owner_id else ch.reviewers)],
                from_rag=old_rag or "none", to_rag=rag)
    change.reply = f"{ch.reference} is now {rag}: due {change.due_words()}."


def set_cp_or_looked_after(change: Change, actor: str, value: bool) -> None:
    ch = change.challenge
    if ch.cp_or_looked_after == value:
        raise InvalidCommand(f"{ch.reference} already has that flag.")
    ch.cp_or_looked_after = value
    change.touch(actor, "cp_flag_set")
    change.event("cp_flag_set", ch.state, actor, value=value)
    n = ch.policy.notifications
    if value and n.iro_when_cp_or_looked_after:
        change.notice("iro_notice", change.role_holders(n.iro))
    change.reply = f"{ch.reference} updated."


def add_lesson(change: Change, actor: str, category: str, text: str, categories: dict[str, str]) -> None:
    ch = change.challenge
    if category not in categories:
        raise InvalidCommand(f"Lesson category must be one of: {', '.join(categories.values())}.",
                             field="category")
    if not text.strip():
        raise InvalidCommand("Please describe the lesson.", field="text")
    check_free_text("Lesson", text, "text")
    change.touch(actor, "lesson_added")
    change.event("lesson_added", ch.state, actor, category=category, text=text.strip())
    change.send("lesson_learned", change.role_holders(ch.policy.notifications.lessons_learned), Channel.EMAIL,
                category_label=categories[category], text=text.strip())
    change.reply = "Lesson recorded and sent."


def tell_csap(change: Change, actor: str, detail: str) -> None:
    ch = change.challenge
    if not ch.urgent:
        raise InvalidCommand("This action is for urgent (life-threatening) challenges only.")
    check_free_text("Detail", detail, "detail")
    change.touch(actor, "csap_told")
    change.event("csap_told", ch.state, actor)
    text = detail.strip() or "An agency maintains a position of non-involvement in a life-threatening case."
    change.notice("csap_non_involvement", change.role_holders(ch.policy.notifications.csap), detail=text)
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
        raise InvalidCommand("Please give the family details the CSAP form asks for.", field="family_names")
    form = change.csap_form() | {
        "stages_1_and_2": stage_history(change, history, stages=(1, 2)),
        "stage_3_meeting": meeting_date.strip(),
        "family": details,
    }
    ch.stage3_form_sent_at = change.now
    change.touch(actor, "stage3_form_sent")
    change.event("stage3_form_sent", ch.state, actor)  # no details: they are not kept
    change.notice("stage3_form", change.role_holders(ch.policy.notifications.csap),
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


