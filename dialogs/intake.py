"""The `/challenge` intake: one channel-neutral form and the validation of its answers.

Slack modals, Teams Adaptive Cards and the web console all render `intake_form(...)` and
send what the person entered to `validate_intake(...)`, which either returns the
answers or an error per field that says what to fix.

`Field.required` marks what a *challenge* needs, for display. A complaint (a concern
about practice) needs only `COMPLAINT_FIELDS`, so renderers show the marker but leave the
enforcement to `validate_intake` rather than blocking submission in the client.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict

from bot import texts
from bot.challenge import ChallengerType
from bot.commands import RaiseChallenge, RedirectComplaint
from bot.fields import Choice, Field, FieldKind
from bot.identifiers import find_identifiers, identifiers_message
from bot.policy import Policy

DEFAULT_AREAS: tuple[str, ...] = ("East", "Central", "North", "CSSH")
TOGGLE_ON = "yes"  # the value a rendered toggle sends when on; `shown_when` compares with it
COMPLAINT = texts.COMPLAINT_CATEGORY
OTHER_OUTCOME = "other"
COMPLAINT_FIELDS = ("case_reference", "area", "reason_category")

# Its words are in bot/texts.py (INTAKE_*); these two are read by the channels too.
REASON_LABELS = texts.REASON_LABELS
RAISED_BY_LABELS = {ChallengerType(kind): label for kind, label in texts.INTAKE_RAISED_BY_LABELS.items()}

MAX_LENGTHS = {
    "case_reference": 30,
    "agency": 100,
    "requested_outcome": 300,
    "reason_text": 1000,
    "urgent_reason": 500,
    "protective_action": 500,
}
FREE_TEXT = ("agency", "requested_outcome", "reason_text", "urgent_reason", "protective_action")

_ON = frozenset({"true", "on", "yes", "1"})
_OFF = frozenset({"false", "off", "no", "0", ""})
_NAME_LIKE = re.compile(r"(?=.*\s)[^\W\d_]+(?:[\s'\u2019-]+[^\W\d_]+)+")  # letters and a space

Value = str | bool | None


@dataclass(frozen=True)
class IntakeForm:
    title: str
    submit_label: str
    fields: tuple[Field, ...]
    # Questions with only one possible answer are not asked: {field id: that answer}.
    fixed: tuple[tuple[str, str], ...] = ()

    def has(self, field_id: str) -> bool:
        return any(f.id == field_id for f in self.fields)

    def field(self, field_id: str) -> Field:
        """The field with this id (KeyError when there is none)."""
        for field in self.fields:
            if field.id == field_id:
                return field
        raise KeyError(field_id)


class IntakeAnswers(BaseModel):
    """A validated intake: what a challenge (or a complaint count) is raised from."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_reference: str
    area: str
    raised_by: str
    agency: str
    decision_challenged: str
    requested_outcome: str
    reason_category: str
    reason_text: str
    urgent: bool
    urgent_reason: str | None
    cp_or_looked_after: bool
    protective_action: str | None = None
    emergency_protocol: bool = False
    is_complaint: bool
    rag: str | None = None


@dataclass(frozen=True)
class IntakeResult:
    """The answers, or (answers None) an error per field id that a person can act on."""

    answers: IntakeAnswers | None
    errors: dict[str, str]


# --- the form -------------------------------------------------------------------------


def _text(field_id: str, *, long: bool = False, required: bool = True, help_text: str = "") -> Field:
    kind = FieldKind.LONG_TEXT if long else FieldKind.TEXT
    help_text = help_text or texts.INTAKE_HELP.get(field_id, "")
    return Field(field_id, texts.INTAKE_LABELS[field_id], kind, required, help_text,
                 max_length=MAX_LENGTHS.get(field_id))


def _choice(field_id: str, choices: Sequence[Choice], default: str | None = None) -> Field:
    return Field(field_id, texts.INTAKE_LABELS[field_id], FieldKind.CHOICE, True, texts.INTAKE_HELP.get(field_id, ""),
                 tuple(choices), default=default)


def _toggle(field_id: str) -> Field:
    return Field(field_id, texts.INTAKE_LABELS[field_id], FieldKind.TOGGLE, False, texts.INTAKE_HELP[field_id])


def _decision_choices(levels_of_need: Sequence[str]) -> list[Choice]:
    return [Choice(level, level) for level in levels_of_need] + [Choice(OTHER_OUTCOME, texts.INTAKE_OTHER_OUTCOME_LABEL)]


def intake_form(
    *,
    levels_of_need: Sequence[str],
    areas: Sequence[str] = DEFAULT_AREAS,
    default_area: str | None = None,
    case_reference_hint: str = "",
    rag_ratings: Sequence[str] = (),
    raised_by: Sequence[str] | None = None,
    emergency_protocol: bool = False,
) -> IntakeForm:
    """The intake questions, in order, for a policy's levels of need and areas."""
    if default_area is not None and default_area not in areas:
        raise ValueError(f"default area {default_area!r} is not one of {', '.join(areas)}")
    reference_help = " ".join(texts.sentence(part) for part in (case_reference_hint, texts.INTAKE_NEVER_A_NAME) if part)
    fields: tuple[Field, ...] = (
        _text("case_reference", help_text=reference_help),
        _choice("area", [Choice(area, area) for area in areas], default_area),
        _choice(
            "raised_by",
            [Choice(v.value, label) for v, label in RAISED_BY_LABELS.items()
             if raised_by is None or v.value in raised_by],
            ChallengerType.PROFESSIONAL.value,
        ),
        _text("agency"),
        _choice("decision_challenged", _decision_choices(levels_of_need)),
        _text("requested_outcome"),
        _choice("reason_category", [Choice(v, label) for v, label in REASON_LABELS.items()]),
        _text("reason_text", long=True),
        _toggle("urgent"),
        replace(_text("urgent_reason", long=True, required=False), shown_when=("urgent", TOGGLE_ON)),
        replace(_text("protective_action", long=True, required=False), shown_when=("urgent", TOGGLE_ON)),
        *((replace(_toggle("emergency_protocol"), shown_when=("urgent", TOGGLE_ON)),) if emergency_protocol else ()),
        _toggle("cp_or_looked_after"),
    )
    if rag_ratings:  # Coventry: the limits follow the contact's RAG rating
        fields = (*fields[:5], _rag_field(rag_ratings), *fields[5:])
    # A select with one option is no choice: it is answered for the person, not shown.
    fixed = tuple((f.id, f.choices[0].value) for f in fields if f.kind is FieldKind.CHOICE and len(f.choices) == 1)
    asked = tuple(f for f in fields if f.id not in dict(fixed))
    return IntakeForm(texts.INTAKE_TITLE, texts.INTAKE_SUBMIT_LABEL, asked, fixed)


def _rag_field(ratings: Sequence[str]) -> Field:
    return Field(id="rag", label=texts.INTAKE_RAG_LABEL, kind=FieldKind.CHOICE, required=True, help=texts.INTAKE_RAG_HELP,
                       choices=tuple(Choice(r, r) for r in ratings))


# --- validation -----------------------------------------------------------------------


class _Answers:
    """Reads raw values field by field, collecting one error per field."""

    def __init__(self, values: Mapping[str, Value], form: IntakeForm) -> None:
        self.values = values
        self.form = form
        self.errors: dict[str, str] = {}

    def raw(self, field_id: str) -> str:
        fixed = dict(self.form.fixed)
        if field_id in fixed:
            return fixed[field_id]
        value = self.values.get(field_id)
        return value.strip() if isinstance(value, str) else ""

    def choice(self, field_id: str) -> str:
        value = self.raw(field_id)
        if field_id in dict(self.form.fixed):
            return value
        allowed = [choice.value for choice in self.form.field(field_id).choices]
        if value not in allowed:
            self.errors[field_id] = texts.INTAKE_ERRORS[field_id].format(choices=_or(allowed))
        return value

    def toggle(self, field_id: str) -> bool:
        value = self.values.get(field_id)
        if value is None or isinstance(value, bool):
            return bool(value)
        if value.strip().lower() not in _ON | _OFF:
            self.errors[field_id] = texts.INTAKE_NOT_YES_OR_NO
        return value.strip().lower() in _ON

    def free_text(self, field_id: str) -> str:
        value = self.raw(field_id)
        limit = MAX_LENGTHS[field_id]
        if not value:
            self.errors[field_id] = texts.INTAKE_ERRORS[field_id]
        elif len(value) > limit:
            self.errors[field_id] = texts.INTAKE_TOO_LONG.format(limit=limit, count=len(value))
        elif message := identifiers_message(find_identifiers(value)):
            self.errors[field_id] = message
        return value

    def case_reference(self, pattern: str, hint: str) -> str:
        raw = self.raw("case_reference")
        reference = raw.upper()
        if error := _case_reference_error(raw, reference, pattern, hint):
            self.errors["case_reference"] = error
        return reference


def _or(items: Sequence[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def _with_hint(message: str, hint: str) -> str:
    return f"{message} {hint}" if hint else message


def _case_reference_error(raw: str, reference: str, pattern: str, hint: str) -> str | None:
    if not raw:
        return _with_hint(texts.INTAKE_ERRORS["case_reference"], hint)
    if _NAME_LIKE.fullmatch(raw):
        return _with_hint(texts.INTAKE_LOOKS_LIKE_A_NAME, hint)
    if found := find_identifiers(raw):
        return _with_hint(texts.INTAKE_LOOKS_PERSONAL.format(kind=found[0].kind), hint)
    if len(reference) > MAX_LENGTHS["case_reference"] or not re.fullmatch(pattern, reference):
        return _with_hint(texts.INTAKE_NOT_A_REFERENCE, hint)
    return None


def _complaint(answers: _Answers, reference: str, area: str) -> IntakeResult:
    # A complaint is counted, not recorded: every other answer is dropped unread.
    if answers.errors:
        return IntakeResult(None, answers.errors)
    raised_by = answers.raw("raised_by")
    if raised_by not in RAISED_BY_LABELS:
        raised_by = ChallengerType.PROFESSIONAL.value
    return IntakeResult(
        IntakeAnswers(
            case_reference=reference,
            area=area,
            raised_by=raised_by,
            agency="",
            decision_challenged="",
            requested_outcome="",
            reason_category=COMPLAINT,
            reason_text="",
            urgent=False,
            urgent_reason=None,
            cp_or_looked_after=False,
            is_complaint=True,
        ),
        {},
    )


def _challenge(answers: _Answers, reference: str, area: str, category: str) -> IntakeResult:
    urgent = answers.toggle("urgent")
    fields = {
        "case_reference": reference,
        "area": area,
        "raised_by": answers.choice("raised_by"),
        "agency": answers.free_text("agency"),
        "decision_challenged": answers.choice("decision_challenged"),
        "requested_outcome": answers.free_text("requested_outcome"),
        "reason_category": category,
        "reason_text": answers.free_text("reason_text"),
        "urgent": urgent,
        "urgent_reason": answers.free_text("urgent_reason") if urgent else None,
        "protective_action": answers.free_text("protective_action") if urgent else None,
        "emergency_protocol": urgent and answers.form.has("emergency_protocol") and answers.toggle("emergency_protocol"),
        "cp_or_looked_after": answers.toggle("cp_or_looked_after"),
        "is_complaint": False,
        "rag": answers.choice("rag") if answers.form.has("rag") else None,
    }
    if answers.errors:
        return IntakeResult(None, answers.errors)
    return IntakeResult(IntakeAnswers.model_validate(fields), {})


def validate_intake(
    values: Mapping[str, Value],
    *,
    case_reference_pattern: str,
    case_reference_hint: str,
    levels_of_need: Sequence[str],
    areas: Sequence[str] = DEFAULT_AREAS,
    rag_ratings: Sequence[str] = (),
    raised_by: Sequence[str] | None = None,
    emergency_protocol: bool = False,
) -> IntakeResult:
    """Check what a person entered in the intake; the errors say what to fix, per field."""
    form = intake_form(levels_of_need=levels_of_need, areas=areas, case_reference_hint=case_reference_hint,
                       rag_ratings=rag_ratings, raised_by=raised_by, emergency_protocol=emergency_protocol)
    answers = _Answers(values, form)
    reference = answers.case_reference(case_reference_pattern, case_reference_hint)
    area = answers.choice("area")
    category = answers.choice("reason_category")
    if category == COMPLAINT:
        return _complaint(answers, reference, area)
    return _challenge(answers, reference, area, category)


def refill(values: Mapping[str, Value], errors: Mapping[str, str]) -> dict[str, Value]:
    """What a refused form may show again: everything entered, except a refused answer that
    holds a personal detail (an identifier, or a name where the reference goes) -- it is not
    echoed back into the page."""
    kept: dict[str, Value] = {}
    for key, value in values.items():
        if key in errors and isinstance(value, str) and value.strip() and _personal(key, value):
            continue
        kept[key] = value
    return kept


def _personal(field_id: str, value: str) -> bool:
    if find_identifiers(value):
        return True
    return field_id == "case_reference" and bool(_NAME_LIKE.fullmatch(value.strip()))


# --- the policy's form and the command it ends in -------------------------------------------


def form_for_policy(policy: Policy, default_area: str | None = None) -> IntakeForm:
    """The intake as a policy pack shapes it (areas, levels of need, who may raise, RAG ratings).

    A person's own area is preselected when the pack has it; a one-area pack (Coventry,
    North Tyneside) preselects its only area."""
    if len(policy.areas) == 1:
        default_area = policy.areas[0]
    elif default_area not in policy.areas:
        default_area = None
    return intake_form(levels_of_need=policy.levels_of_need, default_area=default_area, areas=policy.areas,
                       case_reference_hint=policy.case_reference_hint, rag_ratings=tuple(policy.rag_limits),
                       raised_by=policy.raised_by, emergency_protocol=bool(policy.notifications.emergency_protocol))


def validate_for_policy(values: Mapping[str, Value], policy: Policy) -> IntakeResult:
    """Validate an intake against a policy pack."""
    return validate_intake(values, case_reference_pattern=policy.case_reference_pattern, areas=policy.areas,
                           case_reference_hint=policy.case_reference_hint, levels_of_need=policy.levels_of_need,
                           rag_ratings=tuple(policy.rag_limits), raised_by=policy.raised_by,
                           emergency_protocol=bool(policy.notifications.emergency_protocol))


def to_command(answers: IntakeAnswers, actor_id: str) -> RaiseChallenge | RedirectComplaint:
    """The one command a finished intake ends in."""
    if answers.is_complaint:
        return RedirectComplaint(actor_id=actor_id, area=answers.area)
    return RaiseChallenge(
        actor_id=actor_id, case_reference=answers.case_reference, area=answers.area,
        decision_challenged=answers.decision_challenged, requested_outcome=answers.requested_outcome,
        reason_category=answers.reason_category, reason_text=answers.reason_text, agency=answers.agency,
        raised_by=ChallengerType(answers.raised_by), urgent=answers.urgent, urgent_reason=answers.urgent_reason,
        protective_action=answers.protective_action, emergency_protocol=answers.emergency_protocol,
        cp_or_looked_after=answers.cp_or_looked_after, rag=answers.rag,
    )
