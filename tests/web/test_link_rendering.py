"""The action links in the email itself: plain text and HTML, the same through SMTP and Graph."""

from __future__ import annotations

from adapters.email import FOOTER, compose, render_message
from adapters.graph_mail import graph_message
from bot.challenge import Message
from bot.roster import Person

LINKS = {"action_links": [{"label": "Accept", "url": "https://mashbot.example/web/act/a.b"},
                          {"label": "Escalate to Team Manager", "url": "https://mashbot.example/web/act/c.d"}],
         "links_until": "Tue 29 Dec, 17:00", "web_url": "https://mashbot.example/web"}
MESSAGE = Message(kind="review_requested", to="ava.okafor", reference="CH-AAAAAA",
                  data={"reference": "CH-AAAAAA", "area": "East", "stage_name": "Practice Manager",
                        "due": "Tue 29 Dec, 17:00", **LINKS})


def test_links_come_before_the_footer_in_text_and_html() -> None:
    _subject, text, body_html = render_message(MESSAGE)
    assert "- Accept: https://mashbot.example/web/act/a.b" in text
    assert "until Tue 29 Dec, 17:00" in text
    assert text.index("- Accept:") < text.index(FOOTER)
    assert '<a href="https://mashbot.example/web/act/c.d">Escalate to Team Manager</a>' in body_html


def test_graph_mail_carries_the_same_links() -> None:
    person = Person(id="ava.okafor", name="Ava Okafor", email="ava.okafor@example.org")
    body = graph_message(compose(MESSAGE, person, "mashbot@example.org", "k1"))["message"]["body"]["content"]
    assert "https://mashbot.example/web/act/a.b" in body


def test_without_links_the_email_is_unchanged() -> None:
    plain = MESSAGE.model_copy(update={"data": {k: v for k, v in MESSAGE.data.items() if k not in LINKS}})
    _subject, text, _html = render_message(plain)
    assert "/web/act/" not in text and text.endswith(f"{FOOTER}\n")
