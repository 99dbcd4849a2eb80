"""`mfa-helpdesk teams-package`: a manifest naming the bot, two valid icons, an uploadable zip."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from bot.cli import main
from teams.package import MANIFEST_VERSION, SCHEMA_URL

APP_ID = "0f3c2f8e-5a7d-4c1b-9b7e-2d4c6a8e1f00"
SECRET = "not-in-the-package~0123456789"


def _pixels(png: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and RGBA rows of one of our PNGs (8-bit RGBA, unfiltered rows)."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks: dict[bytes, bytes] = {}
    at = 8
    while at < len(png):
        (length,) = struct.unpack(">I", png[at : at + 4])
        kind, data = png[at + 4 : at + 8], png[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", png[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks[kind] = chunks.get(kind, b"") + data
        at += 12 + length
    width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", chunks[b"IHDR"])
    assert (depth, colour) == (8, 6)
    raw = zlib.decompress(chunks[b"IDAT"])
    stride = width * 4 + 1
    rows = [raw[i * stride + 1 : (i + 1) * stride] for i in range(height)]
    return width, height, rows


@pytest.fixture
def teams_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.chdir(tmp_path)  # away from any .env
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID.upper())
    monkeypatch.setenv("TEAMS_APP_PASSWORD", SECRET)
    return tmp_path


def test_the_package_names_the_bot_and_holds_the_manifest_and_icons(teams_env: Path) -> None:
    assert main(["teams-package", "--output", str(teams_env / "out")]) == 0
    with zipfile.ZipFile(teams_env / "out" / "mfa-helpdesk-teams.zip") as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        files = {name: archive.read(name) for name in archive.namelist()}
    assert all(SECRET.encode() not in data for data in files.values())
    manifest = json.loads(files["manifest.json"])
    assert manifest["$schema"] == SCHEMA_URL
    assert manifest["manifestVersion"] == MANIFEST_VERSION
    assert manifest["id"] == APP_ID
    assert [bot["botId"] for bot in manifest["bots"]] == [APP_ID]
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}
    assert len(manifest["name"]["short"]) <= 30
    assert len(manifest["description"]["short"]) <= 80
    assert all(url.startswith("https://") for url in manifest["developer"].values() if "://" in url)
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}

    width, height, rows = _pixels(files["color.png"])
    assert (width, height) == (192, 192)
    assert all(row[3::4] == b"\xff" * width for row in rows)  # opaque, edge to edge

    width, height, rows = _pixels(files["outline.png"])
    assert (width, height) == (32, 32)
    pixels = [row[i : i + 4] for row in rows for i in range(0, len(row), 4)]
    assert all(pixel[:3] == b"\xff\xff\xff" or pixel[3] == 0 for pixel in pixels)
    assert {pixel[3] for pixel in pixels} >= {0, 255}  # a white shape on transparency
    assert (teams_env / "out" / "manifest.json").read_bytes() == files["manifest.json"]


def test_without_an_app_id_the_command_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    assert main(["teams-package", "--output", str(tmp_path / "out")]) == 2
    assert "TEAMS_APP_ID" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_bad_app_id_names_the_setting(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEAMS_APP_ID", "my-bot")
    assert main(["teams-package"]) == 2
    assert "TEAMS_APP_ID" in capsys.readouterr().err
