"""A challenge's page in the console answers by the one visibility rule (tests/channels/visibility.py)."""

from __future__ import annotations

from tests.channels.visibility import WHO, not_found
from tests.console.conftest import Console


async def test_the_challenge_page_answers_each_person_as_every_channel_does(console: Console) -> None:
    await console.act_as("tara.nolan")
    ref = await console.raise_challenge()
    for person, (why, sees) in WHO.items():
        await console.act_as(person)
        response = await console.client.get(f"/challenges/{ref}")
        page = await response.text()
        if sees:
            assert response.status == 200 and f"Challenge {ref}" in page.replace("challenge", "Challenge"), why
        else:
            assert response.status == 404 and not_found(ref).split(".")[0] in page, why
