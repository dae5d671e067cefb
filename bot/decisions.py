"""What reviewers and challengers decide: the transitions their commands make.

Each function is given a `Change` (the challenge, roster and `now`) and records the events,
messages and reply it produces; the handlers route commands here and persist the result.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from bot import csap, lessons, sides, texts
from bot.challenge import Channel, Event, Outcome, OutcomeRecord, State
from bot.errors import InvalidCommand, NotAllowed
from bot.kinds import EventKind, MessageKind
from bot.ladder import Change, check_free_text
from bot.roles import role_label


def accept(change: Change, actor: str) -> None:
    ch = change.challenge
    pool = ch.reviewers
    ch.state = State.ACCEPTED
    ch.owner_id = actor
    ch.reviewers = (actor,)
    change.touch(actor, EventKind.ACCEPTED)
    change.event(EventKind.ACCEPTED, State.OPEN, actor)
    at = change.when(change.now)
    change.send(MessageKind.TAKEN, [p for p in pool if p != actor], at=at)
    change.send(MessageKind.ACCEPTED, [ch.challenger_id])
    change.reply = texts.REPLY_ACCEPTED.format(reference=ch.reference, stage=change.stage_name(),
                                               due=change.due_words())


def record_outcome(change: Change, actor: str, outcome: Outcome, rationale: str, level: str | None,
                   assessment_under_way: bool | None = None, record_made: str | None = None) -> None:
    ch = change.challenge
    policy = ch.policy
    if outcome.value not in policy.outcomes:
        raise InvalidCommand(texts.OUTCOME_MUST_BE.format(
            outcomes=", ".join(texts.OUTCOME_LABELS[o] for o in policy.outcomes)), field="outcome")
    if not rationale.strip():
        raise InvalidCommand(texts.OUTCOME_NEEDS_RATIONALE, field="rationale")
    check_free_text(texts.FREE_TEXT_LABELS["rationale"], rationale, "rationale")
    if outcome is Outcome.DE_ESCALATED and level not in policy.de_escalation_levels:
        raise InvalidCommand(texts.DE_ESCALATION_NEEDS_LEVEL.format(levels=" or ".join(policy.de_escalation_levels)),
                             field="level")
    if level is not None and level not in policy.de_escalation_levels:
        raise InvalidCommand(texts.LEVEL_MUST_BE.format(levels=" or ".join(policy.de_escalation_levels)),
                             field="level")
    if policy.record_kinds and record_made not in policy.record_kinds:
        raise InvalidCommand(texts.ASK_RECORD_MADE.format(kinds=" or ".join(policy.record_kinds)),
                             field="record_made")
    joint = policy.joint_agreement
    if joint and outcome.value in joint.when_assessment_ends and assessment_under_way is None:
        raise InvalidCommand(texts.ASK_ASSESSMENT_UNDER_WAY.format(roles=joint_role_names(joint.roles)),
                             field="assessment_under_way")
    needs_joint = joint is not None and joint.needed(outcome.value, assessment_under_way)
    joint_roles = joint.roles if joint is not None and needs_joint else ()
    awaits = tuple(dict.fromkeys((*joint_roles, *sides.counterpart_role_if_joint(change))))
    old = ch.state
    ch.owner_id = ch.owner_id or actor
    ch.outcome = OutcomeRecord(kind=outcome, rationale=rationale.strip(), level=level, stage=ch.stage,
                               by=actor, at=change.now, assessment_under_way=assessment_under_way,
                               joint=needs_joint, record_made=record_made if policy.record_kinds else None,
                               awaits=awaits)
    data = outcome_data(change)
    if awaits:
        ch.state = State.AWAITING_JOINT_AGREEMENT
        ch.joint_agreed_by = {}
        change.touch(actor, EventKind.OUTCOME_RECORDED)
        change.event(EventKind.OUTCOME_RECORDED, old, actor, outcome=outcome.value, level=level, joint=needs_joint,
                     assessment_under_way=assessment_under_way, record_made=ch.outcome.record_made,
                     rationale=rationale.strip(), awaits=list(awaits))
        asked = sides.ask_agreement(change, awaits, joint_roles, data)
        change.reply = texts.REPLY_WAITS_FOR_JOINT.format(reference=ch.reference, names=change.names(asked))
        return
    change.touch(actor, EventKind.OUTCOME_RECORDED)
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
    change.event(EventKind.OUTCOME_RECORDED if old is not State.AWAITING_JOINT_AGREEMENT else EventKind.JOINT_AGREED,
                 old, actor, outcome=ch.outcome.kind.value, level=ch.outcome.level,
                 rationale=ch.outcome.rationale, answer_due_at=ch.answer_due_at.isoformat(),
                 record_made=ch.outcome.record_made)
    final = ch.stage >= ch.policy.last_stage
    data = data | outcome_data(change) | {"answer_due": change.when(ch.answer_due_at),
                                          "at": change.when(ch.outcome.at), "final_stage": final,
                                          "record_location": ch.policy.record_location,
                                          "record_made": (texts.RECORDED_AS.format(record=ch.outcome.record_made)
                                                          if ch.outcome.record_made else "")}
    change.send(MessageKind.OUTCOME_RECORDED, [ch.challenger_id], **data)
    data |= sides.outcome_parties(change)
    participants = [ch.challenger_id, ch.outcome.by, *sides.outcome_recipients(change)]
    change.send(MessageKind.OUTCOME_RECORD, participants, Channel.EMAIL, **data)
    csap.resend_with_outcome(change)
    if note:
        writers = change.role_holders(ch.policy.notifications.case_note, area_scoped=True)
        change.send(MessageKind.CASE_NOTE_REQUEST, writers, **data)
        change.event(EventKind.CASE_NOTE_REQUESTED, ch.state, None, to=writers)
    choice = texts.CHOICE_FINAL if final else texts.CHOICE_ACCEPT_OR_ESCALATE
    change.reply = texts.REPLY_OUTCOME.format(
        reference=ch.reference, challenger=change.roster.name_of(ch.challenger_id), choice=choice,
        answer_due=change.when(ch.answer_due_at),
    ) + (texts.REPLY_CASE_NOTE.format(case_note=ch.outcome.case_note) if ch.outcome.case_note else "")


def joint_answer(change: Change, actor: str, agree: bool, reason: str) -> None:
    ch = change.challenge
    awaited = sides.awaited_roles(ch)
    assert ch.outcome is not None
    person = change.roster.get(actor)
    roles = sides.answerable_roles(ch, person)
    if not roles or actor == ch.challenger_id:
        raise NotAllowed(texts.NOT_YOURS.format(names=joint_role_names(awaited)))
    if not agree:
        if not reason.strip():
            raise InvalidCommand(texts.REFUSAL_NEEDS_REASON, field="reason")
        check_free_text(texts.FREE_TEXT_LABELS["reason"], reason, "reason")
        ch.state = State.ACCEPTED
        ch.outcome = None
        ch.joint_agreed_by = {}
        change.touch(actor, EventKind.JOINT_REFUSED)
        change.event(EventKind.JOINT_REFUSED, State.AWAITING_JOINT_AGREEMENT, actor, reason=reason.strip())
        change.send(MessageKind.JOINT_REFUSED, [ch.challenger_id, *(p for p in [ch.owner_id] if p)],
                    actor_name=change.roster.name_of(actor), reason=reason.strip())
        change.send(MessageKind.JOINT_REFUSAL_RECORD, [ch.challenger_id, *(p for p in [ch.owner_id] if p), actor],
                    Channel.EMAIL, actor_name=change.roster.name_of(actor), reason=reason.strip(),
                    record_location=ch.policy.record_location)
        change.reply = texts.REPLY_REFUSED.format(reference=ch.reference, owner=change.roster.name_of(ch.owner_id))
        return
    ch.joint_agreed_by = {**ch.joint_agreed_by, **{r: actor for r in roles}}
    change.touch(actor, EventKind.JOINT_AGREED)
    if set(awaited) - set(ch.joint_agreed_by):
        change.event(EventKind.JOINT_AGREED, State.AWAITING_JOINT_AGREEMENT, actor, roles=roles, complete=False)
        change.reply = texts.REPLY_AGREEMENT_NOTED.format(reference=ch.reference)
        return
    propose(change, State.AWAITING_JOINT_AGREEMENT, actor, outcome_data(change))


def accept_outcome(change: Change, actor: str) -> None:
    ch = change.challenge
    assert ch.outcome is not None
    ch.state = State.CLOSED
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, EventKind.OUTCOME_ACCEPTED)
    change.event(EventKind.OUTCOME_ACCEPTED, State.OUTCOME_PROPOSED, actor, outcome=ch.outcome.kind.value)
    change.send(MessageKind.CLOSED, [ch.challenger_id, ch.outcome.by], outcome_label=texts.OUTCOME_LABELS[ch.outcome.kind.value])
    lessons.ask_at_close(change)
    change.reply = texts.REPLY_CLOSED.format(reference=ch.reference)


def withdraw(change: Change, actor: str, reason: str) -> None:
    ch = change.challenge
    check_free_text(texts.FREE_TEXT_LABELS["reason"], reason, "reason")
    old = ch.state
    people = ch.responsible
    ch.state = State.WITHDRAWN
    ch.closed_at = change.now
    ch.next_nudge_at = None
    change.touch(actor, EventKind.WITHDRAWN)
    change.event(EventKind.WITHDRAWN, old, actor)
    change.send(MessageKind.WITHDRAWN, people, actor_name=change.roster.name_of(actor))
    change.send(MessageKind.WITHDRAWAL_RECORD, [ch.challenger_id, *people], Channel.EMAIL,
                actor_name=change.roster.name_of(actor),
                reason_line=texts.REASON_LINE.format(reason=reason.strip()) if reason.strip() else "",
                record_location=ch.policy.record_location)
    change.reply = texts.REPLY_WITHDRAWN.format(reference=ch.reference)


def delegate(change: Change, actor: str, to_id: str) -> None:
    ch = change.challenge
    target = change.roster.get(to_id)
    if target is None:
        raise InvalidCommand(texts.DELEGATE_UNKNOWN.format(person_id=to_id), field="to")
    if to_id == ch.challenger_id:
        raise InvalidCommand(texts.DELEGATE_TO_CHALLENGER, field="to")
    if target.is_away(change.cal.local(change.now).date()):
        raise InvalidCommand(texts.DELEGATE_AWAY.format(name=target.name), field="to")
    old = ch.state
    if ch.state is State.ACCEPTED:
        ch.owner_id = to_id
        ch.reviewers = (to_id,)
    else:
        ch.reviewers = tuple(dict.fromkeys(to_id if r == actor else r for r in ch.reviewers)) \
            if actor in ch.reviewers else (to_id,)
    change.touch(actor, EventKind.DELEGATED)
    change.event(EventKind.DELEGATED, old, actor, to=to_id)
    change.send(MessageKind.DELEGATED, [to_id], actor_name=change.roster.name_of(actor))
    change.reply = texts.REPLY_DELEGATED.format(reference=ch.reference, name=target.name)


def mark_urgent(change: Change, actor: str, reason: str, protective_action: str = "") -> None:
    ch = change.challenge
    if ch.urgent:
        raise InvalidCommand(texts.ALREADY_URGENT.format(reference=ch.reference))
    if not reason.strip():
        raise InvalidCommand(texts.URGENT_NEEDS_REASON, field="reason")
    if not protective_action.strip():
        raise InvalidCommand(texts.PROTECTIVE_ACTION_NEEDED, field="protective_action")
    check_free_text(texts.FREE_TEXT_LABELS["urgent_reason"], reason, "reason")
    check_free_text(texts.FREE_TEXT_LABELS["protective_action"], protective_action, "protective_action")
    ch.urgent = True
    ch.urgent_reason = reason.strip()
    ch.protective_action = protective_action.strip()
    ch.due_at = min(ch.due_at, change.stage_due(change.now))
    ch.next_nudge_at = None
    change.touch(actor, EventKind.MARKED_URGENT)
    change.event(EventKind.MARKED_URGENT, ch.state, actor, due_at=ch.due_at.isoformat(), protective_action_recorded=True)
    change.send(MessageKind.REVIEW_REQUESTED, ch.responsible)
    change.heads_up()
    change.notices_on_raise()
    change.reply = texts.REPLY_URGENT.format(reference=ch.reference, due=change.when(ch.due_at))


def update_rag(change: Change, actor: str, rag: str) -> None:
    """A new RAG rating re-times the open stage from its start (Coventry's Team Manager)."""
    ch = change.challenge
    policy = ch.policy
    person = change.roster.get(actor)
    if not policy.rag_limits or policy.rag_updated_by is None:
        raise InvalidCommand(texts.NO_RAG_RATINGS)
    if person is None or not person.has_role(policy.rag_updated_by) or actor == ch.challenger_id:
        raise NotAllowed(texts.NOT_YOURS.format(names=role_label(policy.rag_updated_by)))
    if rag not in policy.rag_limits:
        raise InvalidCommand(texts.RAG_MUST_BE.format(ratings=", ".join(policy.rag_limits)), field="rag")
    if rag == ch.rag:
        raise InvalidCommand(texts.ALREADY_RATED.format(reference=ch.reference, rag=rag), field="rag")
    old_rag, old_due = ch.rag, ch.due_at
    ch.rag = rag
    ch.due_at = change.stage_due(ch.stage_started_at)
    if ch.next_nudge_at is not None and ch.next_nudge_at > ch.due_at:
        ch.next_nudge_at = None
    change.touch(actor, EventKind.RAG_UPDATED)
    change.event(EventKind.RAG_UPDATED, ch.state, actor, from_rag=old_rag, to_rag=rag, from_due_at=old_due.isoformat(),
                 due_at=ch.due_at.isoformat())
    change.send(MessageKind.RAG_UPDATED, [ch.challenger_id, *ch.responsible],
                from_rag=old_rag or "none", to_rag=rag)
    change.reply = texts.REPLY_RAG.format(reference=ch.reference, rag=rag, due=change.due_words())


def set_cp_or_looked_after(change: Change, actor: str, value: bool) -> None:
    ch = change.challenge
    if ch.cp_or_looked_after == value:
        raise InvalidCommand(texts.ALREADY_FLAGGED.format(reference=ch.reference))
    ch.cp_or_looked_after = value
    change.touch(actor, EventKind.CP_FLAG_SET)
    change.event(EventKind.CP_FLAG_SET, ch.state, actor, value=value)
    n = ch.policy.notifications
    if value and n.iro_when_cp_or_looked_after:
        change.notice(MessageKind.IRO_NOTICE, change.role_holders(n.iro))
    change.reply = texts.REPLY_UPDATED.format(reference=ch.reference)


def add_lesson(change: Change, actor: str, category: str, text: str, categories: dict[str, str]) -> None:
    ch = change.challenge
    if category not in categories:
        raise InvalidCommand(texts.LESSON_CATEGORY_MUST_BE.format(categories=", ".join(categories.values())),
                             field="category")
    if not text.strip():
        raise InvalidCommand(texts.LESSON_NEEDS_TEXT, field="text")
    check_free_text(texts.FREE_TEXT_LABELS["lesson"], text, "text")
    change.touch(actor, EventKind.LESSON_ADDED)
    change.event(EventKind.LESSON_ADDED, ch.state, actor, category=category, text=text.strip())
    change.send(MessageKind.LESSON_LEARNED, change.role_holders(ch.policy.notifications.lessons_learned), Channel.EMAIL,
                category_label=categories[category], text=text.strip())
    change.reply = texts.REPLY_LESSON


def tell_csap(change: Change, actor: str, detail: str) -> None:
    ch = change.challenge
    if not ch.urgent:
        raise InvalidCommand(texts.URGENT_ONLY)
    check_free_text(texts.FREE_TEXT_LABELS["detail"], detail, "detail")
    change.touch(actor, EventKind.CSAP_TOLD)
    change.event(EventKind.CSAP_TOLD, ch.state, actor)
    text = detail.strip() or texts.NON_INVOLVEMENT_DEFAULT
    change.notice(MessageKind.CSAP_NON_INVOLVEMENT, change.role_holders(ch.policy.notifications.csap), detail=text)
    change.reply = texts.REPLY_CSAP_TOLD


def send_stage3_form(change: Change, actor: str, family: Sequence[tuple[str, str]], meeting_date: str,
                     history: Sequence[Event], fields: dict[str, str]) -> None:
    """Email the completed Stage 3 form to CSAP; the family details are not kept (DESIGN §2)."""
    ch = change.challenge
    if not ch.stage3_reached:
        raise InvalidCommand(texts.STAGE3_NOT_REACHED.format(reference=ch.reference))
    unknown = [key for key, _ in family if key not in fields]
    if unknown:
        raise InvalidCommand(texts.UNKNOWN_FAMILY_DETAILS.format(keys=", ".join(unknown)))
    details = {fields[key]: value.strip() for key, value in family if value.strip()}
    if not details:
        raise InvalidCommand(texts.FAMILY_DETAILS_NEEDED, field="family_names")
    form = change.csap_form() | {
        "stages_1_and_2": stage_history(change, history, stages=(1, 2)),
        "stage_3_meeting": meeting_date.strip() or change.csap_form()["stage_3_meeting"],
        "family": details,
    }
    ch.stage3_form_sent_at = change.now
    change.touch(actor, EventKind.STAGE3_FORM_SENT)
    change.event(EventKind.STAGE3_FORM_SENT, ch.state, actor)  # no details: they are not kept
    change.notice(MessageKind.STAGE3_FORM, change.role_holders(ch.policy.notifications.csap),
                  form=form, personal_keys=["form.family"])
    change.reply = texts.REPLY_STAGE3_FORM


def stage_history(change: Change, history: Sequence[Event], stages: Iterable[int]) -> str:
    """'Stage 1 Team Manager: decision upheld (Tue 12 Jan 2027)' lines, from the audit trail."""
    ch = change.challenge
    lines = []
    wanted = set(stages)
    for event in history:
        if event.kind not in (EventKind.OUTCOME_RECORDED, EventKind.ESCALATED, EventKind.ESCALATED_TIMEOUT):
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


