"""The CSAP Stage 3 Monitoring Information form (Lancashire's Appendix 1), every field in order.

Pre-filled from the challenge: who referred it (name, job title in words, email), the nature
of the disagreement with the challenger's own reason, the dates and outcomes of Stages 1 and
2, the Stage 3 discussion date, the senior officers of both sides and, once the stage has
ended, its outcome. Family details are asked of the challenger and emailed, never kept.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot import sides, texts
from bot.kinds import EventKind, MessageKind
from bot.challenge import Challenge
from bot.policy import Duty

if TYPE_CHECKING:
    from bot.ladder import Change

FAMILY_NOT_KEPT = "Given by the challenger in the completed form; not kept by mashbot."


def form_stage(ch: Challenge) -> int:
    """The index of the stage that sends the form (Stage 3), or the current stage."""
    return next((i for i, s in enumerate(ch.policy.stages) if Duty.CSAP_FORM in s.duties), ch.stage)


def form(change: Change) -> dict[str, Any]:
    """Every Appendix 1 field, in the form's order (keys named in texts.FORM_LABELS)."""
    ch = change.challenge
    roster = change.roster
    referrer = roster.get(ch.challenger_id)
    top = form_stage(ch)
    return {
        "date_of_referral": change.cal.describe_with_year(ch.raised_at),
        "name_of_referrer": referrer.name if referrer else ch.challenger_id,
        "job_title": sides.job_title(roster, ch.challenger_id),
        "email": str(referrer.email) if referrer else "",
        "family": FAMILY_NOT_KEPT,
        "agencies_involved": ", ".join(x for x in ("MASH", ch.agency) if x),
        "nature_of_disagreement": nature(ch),
        "stages_1_and_2": earlier_stages(change, top),
        "stage_3_meeting": discussion_dates(change, top),
        "senior_officers": sides.senior_officers(ch, roster, top),
        "outcome": outcome_at(change, top),
    }


def nature(ch: Challenge) -> str:
    """The decision challenged, what is asked for, and why (the challenger's own words)."""
    why = texts.REASON_LABELS.get(ch.reason_category, ch.reason_category)
    parts = [f"Decision challenged: {texts.sentence(ch.decision_challenged)}",
             f"Asks for: {texts.sentence(ch.requested_outcome)}" if ch.requested_outcome else "",
             f"Reason: {why} — {texts.sentence(ch.reason_text)}" if ch.reason_text else f"Reason: {why}."]
    if ch.urgent and ch.urgent_reason:
        parts.append(f"Urgent: {texts.sentence(ch.urgent_reason)}")
    return " ".join(p for p in parts if p)


def earlier_stages(change: Change, top: int) -> str:
    """'Team Manager (Mon 11 Jan 2027, 17:00): Decision upheld — …' for each stage below `top`
    that counts as Stage 1 or 2 (the stage before Stage 1 is not on the form)."""
    ch = change.challenge
    lines = []
    for past in ch.history:
        if past.stage >= top or ch.policy.stage_number(past.stage) < 1:
            continue
        name = ch.policy.stage(past.stage).name
        if past.outcome is not None:
            label = texts.OUTCOME_LABELS.get(past.outcome.kind.value, past.outcome.kind.value)
            lines.append(f"{name} ({change.cal.describe_with_year(past.outcome.at)}): {label} — "
                         f"{texts.sentence(past.outcome.rationale)}")
        what = "escalated (timeout)" if past.how == "timeout" else "escalated"
        reason = f": {texts.sentence(past.reason)}" if past.reason else ""
        lines.append(f"{name} ({change.cal.describe_with_year(past.at)}): {what}{reason}")
    return "; ".join(lines) or "—"


def discussion_dates(change: Change, top: int) -> str:
    dates = [change.cal.describe_with_year(at) for stage, at in change.challenge.discussions if stage >= top]
    return ", ".join(dates)


def outcome_at(change: Change, top: int) -> str:
    """Stage 3's outcome once it is decided (the form is re-sent then); empty before."""
    ch = change.challenge
    outcome = ch.outcome
    if outcome is None or outcome.stage < top or ch.state.value == "awaiting_joint_agreement":
        return ""
    label = texts.OUTCOME_LABELS.get(outcome.kind.value, outcome.kind.value)
    return (f"{label} — {texts.sentence(outcome.rationale)} ({ch.policy.stage(outcome.stage).name}, "
            f"{change.roster.name_of(outcome.by)}, {change.cal.describe_with_year(outcome.at)})")


def resend_with_outcome(change: Change) -> None:
    """When a stage at or above Stage 3 ends with an outcome, CSAP gets the form again with it."""
    ch = change.challenge
    if not any(Duty.CSAP_FORM in s.duties for s in ch.policy.stages):
        return
    if ch.outcome is None or ch.outcome.stage < form_stage(ch):
        return
    change.notice(MessageKind.CSAP_FORM_OUTCOME, change.role_holders(ch.policy.notifications.csap), form=form(change))
    change.event(EventKind.CSAP_FORM_RESENT, ch.state, None)

