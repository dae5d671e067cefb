"""`mashbot manifest teams`: the Teams app package (manifest.json, color.png, outline.png).

The bot id is MICROSOFT_APP_ID (also the app's id: one bot, one app), the valid domain is
MASHBOT_PUBLIC_URL's host, the bot is personal-scope only (cards never reach a channel) and
its command list is the chat commands. The icons are drawn here with the standard library
(zlib + struct): an escalation ladder, white on the accent colour (192×192) and white on
transparent (32×32), as Teams asks. No botbuilder import: building needs no Bot Framework.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from adapters.settings import Settings
from bot.texts import TEAMS_COMMANDS

MANIFEST_VERSION = "1.20"
SCHEMA = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
SHORT_NAME = "mashbot"
FULL_NAME = "mashbot — MASH professional challenges"
SHORT_DESCRIPTION = "Raise and resolve professional challenges to MASH decisions."
FULL_DESCRIPTION = (
    "mashbot runs the MASH professional challenge (dispute resolution) procedure in a personal chat: "
    "raise a challenge with /challenge, and the Practice Managers and the managers above them get a card "
    "to accept, escalate or record an outcome within the policy's time limits. Challenges hold a case "
    "reference only, never a child's name; the record is kept by email, not on the child's record."
)
ACCENT = "#1F6F8B"
DEFAULT_OUT = "mashbot-teams.zip"
COLOR_SIZE, OUTLINE_SIZE = 192, 32
MAX_COMMAND_LISTS, MAX_COMMANDS, MAX_COMMAND_TITLE = 3, 10, 32
MAX_SHORT_NAME, MAX_SHORT_DESCRIPTION = 30, 80
_VERSION = re.compile(r"^\d+\.\d+\.\d+$")

RGBA = tuple[int, int, int, int]


class ManifestError(ValueError):
    """The settings cannot make a valid Teams app package; the message says what to set."""


# --- icons -------------------------------------------------------------------------------------


def png(width: int, height: int, pixel: Callable[[int, int], RGBA]) -> bytes:
    """An 8-bit RGBA PNG, one pixel function call per pixel."""
    rows = b"".join(b"\x00" + bytes(c for x in range(width) for c in pixel(x, y)) for y in range(height))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _ladder(u: float, v: float) -> bool:
    """The glyph in unit coordinates: two rails and four rungs."""
    if not (0.08 <= v <= 0.92):
        return False
    rail = abs(u - 0.28) <= 0.07 or abs(u - 0.72) <= 0.07
    rung = 0.28 <= u <= 0.72 and any(abs(v - r) <= 0.045 for r in (0.24, 0.42, 0.60, 0.78))
    return rail or rung


def _hex(colour: str) -> tuple[int, int, int]:
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16)


def color_icon() -> bytes:
    """192×192: the ladder in white inside the central 120 px, on the accent colour."""
    r, g, b = _hex(ACCENT)
    inset, span = 36, 120

    def pixel(x: int, y: int) -> RGBA:
        u, v = (x + 0.5 - inset) / span, (y + 0.5 - inset) / span
        return (255, 255, 255, 255) if 0 <= u <= 1 and 0 <= v <= 1 and _ladder(u, v) else (r, g, b, 255)

    return png(COLOR_SIZE, COLOR_SIZE, pixel)


def outline_icon() -> bytes:
    """32×32: the ladder in white on a transparent background (nothing else)."""

    def pixel(x: int, y: int) -> RGBA:
        return (255, 255, 255, 255) if _ladder((x + 0.5) / OUTLINE_SIZE, (y + 0.5) / OUTLINE_SIZE) else (0, 0, 0, 0)

    return png(OUTLINE_SIZE, OUTLINE_SIZE, pixel)


# --- manifest ----------------------------------------------------------------------------------


def _guid(value: str) -> str:
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ManifestError("MICROSOFT_APP_ID must be the bot's Microsoft Entra app id (a GUID) "
                            "to build the Teams package") from None


def _https(url: str | None, name: str) -> str:
    if not url:
        raise ManifestError(f"{name} must be set to the https:// address mashbot is reached at")
    parts = urlsplit(url.strip())
    if parts.scheme != "https" or not parts.hostname:
        raise ManifestError(f"{name} must be an https:// address (Teams talks to bots over https only)")
    return url.strip().rstrip("/")


def package_version() -> str:
    try:
        version = metadata.version("mashbot")
    except metadata.PackageNotFoundError:
        return "1.0.0"
    return version if _VERSION.match(version) else "1.0.0"


def build_manifest(settings: Settings, *, version: str | None = None, developer: str = "mashbot",
                   privacy_url: str | None = None, terms_url: str | None = None) -> dict[str, Any]:
    """manifest.json for these settings; ManifestError says what is missing or wrong."""
    bot_id = _guid(settings.microsoft_app_id)
    public = _https(settings.public_url, "MASHBOT_PUBLIC_URL")
    version = version or package_version()
    if not _VERSION.match(version):
        raise ManifestError(f"the app version must look like 1.0.0, not {version!r}")
    commands = [{"title": title, "description": description} for title, description in TEAMS_COMMANDS]
    return {
        "$schema": SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": bot_id,
        "developer": {"name": developer, "websiteUrl": public,
                      "privacyUrl": _https(privacy_url or public, "--privacy-url"),
                      "termsOfUseUrl": _https(terms_url or public, "--terms-url")},
        "name": {"short": SHORT_NAME, "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": ACCENT,
        "bots": [{
            "botId": bot_id,
            "scopes": ["personal"],
            "supportsFiles": False,
            "isNotificationOnly": False,
            "commandLists": [{"scopes": ["personal"], "commands": commands}],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [urlsplit(public).netloc],
    }


def problems(manifest: dict[str, Any]) -> list[str]:
    """The schema rules mashbot relies on that this manifest breaks ([] when none)."""
    found: list[str] = []
    if not re.fullmatch(r"1\.2\d", str(manifest.get("manifestVersion", ""))):
        found.append("manifestVersion is not 1.2x")
    for where, value in (("id", manifest.get("id")), ("bots[0].botId", (manifest.get("bots") or [{}])[0].get("botId"))):
        try:
            uuid.UUID(str(value))
        except ValueError:
            found.append(f"{where} is not a GUID")
    if len(manifest.get("name", {}).get("short", "")) > MAX_SHORT_NAME:
        found.append(f"name.short is over {MAX_SHORT_NAME} characters")
    if len(manifest.get("description", {}).get("short", "")) > MAX_SHORT_DESCRIPTION:
        found.append(f"description.short is over {MAX_SHORT_DESCRIPTION} characters")
    for bot in manifest.get("bots", []):
        if not set(bot.get("scopes", [])) <= {"personal", "team", "groupChat"} or not bot.get("scopes"):
            found.append("bot scopes must be some of personal, team, groupChat")
        lists = bot.get("commandLists", [])
        if len(lists) > MAX_COMMAND_LISTS:
            found.append(f"more than {MAX_COMMAND_LISTS} command lists")
        for commands in lists:
            if len(commands.get("commands", [])) > MAX_COMMANDS:
                found.append(f"a command list has more than {MAX_COMMANDS} commands")
            found += [f"command title {c['title']!r} is over {MAX_COMMAND_TITLE} characters"
                      for c in commands.get("commands", []) if len(c.get("title", "")) > MAX_COMMAND_TITLE]
    domains = manifest.get("validDomains") or []
    if not domains or any("/" in d or " " in d for d in domains):
        found.append("validDomains must list host names (no scheme or path)")
    return found


def build_package(manifest: dict[str, Any]) -> bytes:
    """The zip Teams uploads: manifest.json and the two icons at its root."""
    broken = problems(manifest)
    if broken:
        raise ManifestError("the Teams manifest is not valid: " + "; ".join(broken))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        archive.writestr(manifest["icons"]["color"], color_icon())
        archive.writestr(manifest["icons"]["outline"], outline_icon())
    return buffer.getvalue()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"the zip to write (default {DEFAULT_OUT})")
    parser.add_argument("--version", dest="app_version", help="the app's version, like 1.0.0 (default: mashbot's)")
    parser.add_argument("--developer", default="mashbot", help="the developer name Teams shows")
    parser.add_argument("--privacy-url", help="https:// privacy statement (default MASHBOT_PUBLIC_URL)")
    parser.add_argument("--terms-url", help="https:// terms of use (default MASHBOT_PUBLIC_URL)")


async def manifest_command(args: argparse.Namespace) -> int:
    """Write the package; exit 1 with what to set when the settings cannot make one."""
    try:
        manifest = build_manifest(Settings(), version=args.app_version, developer=args.developer,
                                  privacy_url=args.privacy_url, terms_url=args.terms_url)
        data = build_package(manifest)
    except ManifestError as exc:
        print(f"mashbot: {exc}")
        return 1
    out = Path(args.out)
    out.write_bytes(data)
    print(f"Wrote {out} (Teams app {manifest['id']}, version {manifest['version']}, "
          f"valid domain {manifest['validDomains'][0]}). Upload it in Teams: Apps > Manage your apps > "
          "Upload an app (or give it to your Teams administrator).")
    return 0
