from __future__ import annotations

import pytest

from cards.actions import ActionPayload, BadAction, sign, verify

SECRET = b"test-secret"
PAYLOAD = ActionPayload(verb="accept", reference="CH-7K2M9Q", version=3, for_id="ava.okafor")


def test_a_signed_action_round_trips_and_stays_short() -> None:
    token = sign(PAYLOAD, SECRET)
    assert verify(token, SECRET) == PAYLOAD
    assert len(token) < 200


@pytest.mark.parametrize("tamper", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),          # edited signature
    lambda t: sign(ActionPayload("accept", "CH-7K2M9Q", 4, "ava.okafor"), SECRET).split(".")[0]
    + "." + t.split(".")[1],                                             # edited version, old signature
    lambda t: t.replace(".", ""),                                        # malformed
    lambda t: "garbage",
])
def test_a_forged_or_edited_action_is_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadAction):
        verify(tamper(sign(PAYLOAD, SECRET)), SECRET)


def test_another_secret_does_not_verify_and_no_secret_cannot_sign() -> None:
    with pytest.raises(BadAction):
        verify(sign(PAYLOAD, SECRET), b"other")
    with pytest.raises(ValueError, match="MASHBOT_SECRET"):
        sign(PAYLOAD, b"")
