"""Graph mail: what the token cache saves. Sends N review requests through GraphSender to the
fake Graph on loopback, once with msal's cached token (one token request in all) and once with
tokens that are always within five minutes of expiry (one https token request per send), in
the same run. Prints the time per send of each and their ratio, and the token requests made.

Usage: python bench/graph_mail_bench.py [--sends 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the fakes live with the tests

from adapters.graph_mail import GraphSender  # noqa: E402
from adapters.mail import mail_sender  # noqa: E402
from adapters.settings import Settings  # noqa: E402
from tests.clock.support import roster_people  # noqa: E402
from tests.ladder_harness import Ladder, local  # noqa: E402
from tests.mail.microsoft import CLIENT_ID, MAILBOX, SECRET, TENANT, microsoft  # noqa: E402


async def run(sends: int) -> None:
    lad = Ladder()
    await lad.raise_(local("2027-01-04 10:00"))
    message = next(m for m in lad.store.outbox if m.kind == "review_requested")
    person = next(p for p in roster_people() if p.id == message.to)
    with tempfile.TemporaryDirectory() as folder:
        async with microsoft(Path(folder)) as (entra, graph):
            settings = Settings(_env_file=None, MASHBOT_MAIL="graph", MASHBOT_GRAPH_TENANT_ID=TENANT,
                                MASHBOT_GRAPH_CLIENT_ID=CLIENT_ID, MASHBOT_GRAPH_CLIENT_SECRET=SECRET,
                                MASHBOT_GRAPH_SENDER=MAILBOX, MASHBOT_GRAPH_AUTHORITY=entra.url,
                                MASHBOT_GRAPH_URL=graph.url)
            per_send = {}
            for label, expires_in in (("cached token", 3599), ("token per send", 240)):
                entra.expires_in = expires_in
                sender = mail_sender(settings, verify=str(entra.ca_path))
                assert isinstance(sender, GraphSender)
                before = len(entra.token_requests)
                start = time.perf_counter()
                for i in range(sends):
                    await sender.send(message, person, key=f"{label}.{i}")
                per_send[label] = (time.perf_counter() - start) / sends
                print(f"{label:>15}: {per_send[label] * 1000:7.2f} ms per send, "
                      f"{len(entra.token_requests) - before} token request(s) for {sends} sends")
            ratio = per_send["token per send"] / per_send["cached token"]
            print(f"ratio token-per-send / cached: {ratio:.1f}x")
            assert len(graph.sent) == 2 * sends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sends", type=int, default=200)
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        os.environ.pop(name, None)
    os.environ["NO_PROXY"] = "127.0.0.1,localhost"
    asyncio.run(run(args.sends))


if __name__ == "__main__":
    main()
