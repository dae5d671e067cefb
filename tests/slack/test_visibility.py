"""`/challenge status REF` in Slack answers by the one visibility rule (tests/channels/visibility.py)."""

from __future__ import annotations

import json

from tests.channels.visibility import SLACK_IDS, WHO, not_found
from tests.slack.conftest import Workspace, idle, raise_challenge


async def test_status_answers_each_person_as_every_channel_does(workspace: Workspace) -> None:
    ref = await raise_challenge(workspace)
    await idle(workspace)
    for n, (person, (why, sees)) in enumerate(WHO.items(), start=1):
        await workspace.command(SLACK_IDS[person], f"status {ref}")
        replies = await workspace.fake.wait_for(lambda: len(workspace.fake.responses) >= n and workspace.fake.responses)
        reply = replies[n - 1]
        if sees:
            assert ref in json.dumps(reply.get("blocks")) and "Timeline" in json.dumps(reply.get("blocks")), why
        else:
            assert reply["text"] == not_found(ref) and not reply.get("blocks"), why
