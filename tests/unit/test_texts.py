"""The words of mashbot's messages: one full stop after free text, no escalation offered at the top."""

from __future__ import annotations

from bot.texts import render, sentence


def test_a_rationale_ending_in_a_full_stop_gets_no_second_one() -> None:
    for rationale in ("The threshold was applied.", "The threshold was applied"):
        _, body = render("outcome_recorded", {"decider_name": "Ava Okafor", "outcome_label": "Decision upheld",
                                              "rationale": rationale, "answer_due": "Tue 29 Dec, 17:00"})
        assert "Rationale: The threshold was applied. Accept the outcome, or escalate" in body
        assert ".." not in body


def test_the_final_stage_does_not_offer_an_escalation() -> None:
    _, body = render("outcome_recorded", {"decider_name": "Gwen Talbot", "outcome_label": "Decision upheld",
                                          "rationale": "Final.", "answer_due": "Tue 12 Jan, 17:00",
                                          "final_stage": True})
    assert "or escalate" not in body and "cannot be escalated" in body


def test_sentence_keeps_a_question_or_an_ellipsis() -> None:
    assert sentence("  Why not?  ") == "Why not?" and sentence("so…") == "so…" and sentence("") == ""
