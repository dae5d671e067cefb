"""`mashbot manifest teams --out mashbot-teams.zip`: a package Teams accepts — checked against
the schema's rules we rely on, and the icons' sizes and transparency."""

from __future__ import annotations

import json
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from adapters.cli import main

APP_ID = "5c3a8f0e-2b6d-4c1e-9f7a-1d2e3f4a5b6c"


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of an 8-bit RGBA, filter-0 PNG (what we write)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, chunks = 8, {}
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset:offset + 4])
        tag = data[offset + 4:offset + 8]
        body = data[offset + 8:offset + 8 + length]
        (crc,) = struct.unpack(">I", data[offset + 8 + length:offset + 12 + length])
        assert zlib.crc32(tag + body) & 0xFFFFFFFF == crc
        chunks[tag] = chunks.get(tag, b"") + body
        offset += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 6), "8-bit RGBA"
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = 1 + 4 * width
    pixels = []
    for y in range(height):
        row = raw[y * stride:(y + 1) * stride]
        assert row[0] == 0
        pixels += [tuple(row[1 + 4 * x:5 + 4 * x]) for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> zipfile.ZipFile:
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MASHBOT_PUBLIC_URL", "https://mashbot.example.org/")
    out = tmp_path / "mashbot-teams.zip"
    assert main(["manifest", "teams", "--out", str(out)]) == 0
    return zipfile.ZipFile(out)


def test_the_package_holds_the_manifest_and_two_icons_at_its_root(package: zipfile.ZipFile) -> None:
    assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]


def test_the_manifest_follows_the_schema_rules_we_rely_on(package: zipfile.ZipFile) -> None:
    manifest: dict[str, Any] = json.loads(package.read("manifest.json"))
    assert re.fullmatch(r"1\.2\d", manifest["manifestVersion"])
    assert manifest["$schema"].endswith(f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json")
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert str(uuid.UUID(manifest["id"])) == manifest["id"]
    (bot,) = manifest["bots"]
    assert bot["botId"] == APP_ID and str(uuid.UUID(bot["botId"])) == APP_ID
    assert bot["scopes"] == ["personal"]
    lists = bot["commandLists"]
    assert 0 < len(lists) <= 3
    for commands in lists:
        assert set(commands["scopes"]) <= set(bot["scopes"])
        assert 0 < len(commands["commands"]) <= 10
        for command in commands["commands"]:
            assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128
    assert {c["title"] for c in lists[0]["commands"]} == {"challenge", "list", "status", "help"}
    assert manifest["validDomains"] == ["mashbot.example.org"]
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["name"]["full"]) <= 100
    assert len(manifest["description"]["short"]) <= 80 and len(manifest["description"]["full"]) <= 4000
    assert re.fullmatch(r"#[0-9A-Fa-f]{6}", manifest["accentColor"])
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}


def test_the_icons_have_the_sizes_teams_asks_for(package: zipfile.ZipFile) -> None:
    width, height, pixels = read_png(package.read("color.png"))
    assert (width, height) == (192, 192)
    assert all(p[3] == 255 for p in pixels)  # full colour, opaque
    width, height, pixels = read_png(package.read("outline.png"))
    assert (width, height) == (32, 32)
    assert all(p == (255, 255, 255, 255) or p[3] == 0 for p in pixels)  # white on transparent only
    assert any(p[3] == 0 for p in pixels) and any(p[3] == 255 for p in pixels)


def test_without_an_app_id_or_an_https_address_it_says_what_to_set(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "x.zip"
    monkeypatch.setenv("MASHBOT_PUBLIC_URL", "https://mashbot.example.org")
    assert main(["manifest", "teams", "--out", str(out)]) == 1
    assert "MICROSOFT_APP_ID" in capsys.readouterr().out
    monkeypatch.setenv("MICROSOFT_APP_ID", APP_ID)
    monkeypatch.setenv("MASHBOT_PUBLIC_URL", "http://mashbot.example.org")
    assert main(["manifest", "teams", "--out", str(out)]) == 1
    assert "https://" in capsys.readouterr().out
    assert not out.exists()
