"""`mashbot manifest slack`: the Slack app manifest, with URLs from MASHBOT_PUBLIC_URL.

Paste the output into https://api.slack.com/apps → Create New App → From a manifest.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any
from urllib.parse import urlsplit

from adapters.slack import EVENTS_PATH as PATH
from bot.texts import SLACK_COMMAND

SCOPES = ("commands", "chat:write", "im:write", "users:read", "users:read.email")
NAME = "mashbot"
DESCRIPTION = "Professional challenges to MASH decisions: raise, review and escalate."
LONG_DESCRIPTION = (
    "mashbot runs the MASH professional challenge (dispute resolution) procedure. A practitioner raises a "
    "challenge with /challenge; the area's Practice Managers get a direct message with Accept and Escalate "
    "buttons; mashbot keeps the time limits, escalates by itself when they run out and tells the challenger at "
    "every step. It holds a case reference, never a child's name."
)


class ManifestError(ValueError):
    pass


def events_url(public_url: str) -> str:
    """The request URL Slack posts to; MASHBOT_PUBLIC_URL must be an https address."""
    parts = urlsplit(public_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ManifestError(f"MASHBOT_PUBLIC_URL must be the https address Slack can reach "
                            f"(like https://mashbot.example.org), not {public_url!r}")
    return f"https://{parts.netloc}{parts.path.rstrip('/')}{PATH}"


def slack_manifest(public_url: str, name: str = NAME) -> dict[str, Any]:
    url = events_url(public_url)
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {"name": name, "description": DESCRIPTION, "long_description": LONG_DESCRIPTION,
                                "background_color": "#1d3557"},
        "features": {
            "app_home": {"home_tab_enabled": False, "messages_tab_enabled": True,
                         "messages_tab_read_only_enabled": True},
            "bot_user": {"display_name": name, "always_online": True},
            "slash_commands": [{"command": SLACK_COMMAND, "url": url, "should_escape": False,
                                "description": "Raise a professional challenge, or: help | list | status REF",
                                "usage_hint": "[help | list | status CH-7K2M9Q]"}],
        },
        "oauth_config": {"scopes": {"bot": list(SCOPES)}},
        "settings": {"interactivity": {"is_enabled": True, "request_url": url},
                     "org_deploy_enabled": False, "socket_mode_enabled": False, "token_rotation_enabled": False},
    }


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--url", help="public https base URL (default MASHBOT_PUBLIC_URL)")
    parser.add_argument("--name", default=NAME, help="the app's name in Slack (default %(default)s)")


async def manifest_command(args: argparse.Namespace) -> int:
    from adapters.settings import Settings

    public_url = args.url or Settings().public_url
    if not public_url:
        print("mashbot: set MASHBOT_PUBLIC_URL (or give --url) to the https address Slack can reach",
              file=sys.stderr)
        return 2
    try:
        manifest = slack_manifest(public_url, args.name)
    except ManifestError as exc:
        print(f"mashbot: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(manifest, indent=2))
    return 0
