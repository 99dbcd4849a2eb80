"""The Teams app package: its manifest, its two icons (drawn here, no image library), and the zip
an admin uploads in the Teams admin centre."""

from __future__ import annotations

import io
import json
import math
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST_VERSION = "1.30"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
ACCENT = (0x46, 0x4E, 0xB8)  # the colour icon's background and the accentColor
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SAMPLES = 4  # per pixel side: the edges are smoothed from 16 samples
ZIP_NAME = "mfa-helpdesk-teams.zip"
# What an employee or an admin types; Teams offers them in the compose box.
COMMANDS = (
    ("help", "Show the topics I can help with"),
    ("pending", "IT admins: the requests waiting for a decision"),
    ("stats", "IT admins: the help desk's figures for the week (or stats month)"),
    ("enroll", "IT admins: set up your authenticator for approvals"),
)


@dataclass(frozen=True)
class AppInfo:
    """What the manifest says about the app and who publishes it."""

    bot_id: str
    version: str = "1.0.0"
    developer: str = "IT help desk"
    website_url: str = "https://mysignins.microsoft.com/security-info"
    privacy_url: str = ""
    terms_url: str = ""


def build_manifest(app: AppInfo) -> dict[str, Any]:
    """The app manifest: one bot, in personal chat and in teams, with the bot ID as the app's."""
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": app.version,
        "id": app.bot_id,
        "developer": {
            "name": app.developer,
            "websiteUrl": app.website_url,
            "privacyUrl": app.privacy_url or app.website_url,
            "termsOfUseUrl": app.terms_url or app.website_url,
        },
        "name": {"short": "MFA help desk", "full": "MFA help desk: two-step verification help"},
        "description": {
            "short": "Fix two-step verification problems, or ask IT to reset them.",
            "full": (
                "Walks you through the usual problems with two-step verification (a new phone, "
                "a lost phone, codes that do not work) and, when that is not enough, sends your "
                "request to the IT help desk, who approve it here in Teams. Every decision is "
                "confirmed with the admin's own authenticator and kept in an audit log."
            ),
        },
        "icons": {"color": "color.png", "outline": "outline.png"},
        "accentColor": "#{:02X}{:02X}{:02X}".format(*ACCENT),
        "bots": [
            {
                "botId": app.bot_id,
                "scopes": ["personal", "team"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "supportsCalling": False,
                "supportsVideo": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": text} for title, text in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
        "defaultInstallScope": "personal",
    }


def write_package(app: AppInfo, folder: Path) -> Path:
    """Write manifest.json, color.png, outline.png and the zip holding them; the zip's path."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {
        "manifest.json": json.dumps(build_manifest(app), indent=2).encode() + b"\n",
        "color.png": color_icon(),
        "outline.png": outline_icon(),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    buffer = io.BytesIO()
    # The files at the zip's root, as Teams requires; fixed dates make the zip reproducible.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0)), data)
    target = folder / ZIP_NAME
    target.write_bytes(buffer.getvalue())
    return target


# -- the icons ---------------------------------------------------------------------------------

Shape = Callable[[float, float], bool]


def _shield(x: float, y: float) -> bool:
    """A shield in the unit square: straight sides, then a rounded point at the bottom."""
    top, waist, bottom, half = 0.14, 0.52, 0.88, 0.31
    if not top <= y <= bottom:
        return False
    if y <= waist:
        width = half
    else:
        depth = (y - waist) / (bottom - waist)
        width = half * math.sqrt(max(0.0, 1 - depth**2))
    return abs(x - 0.5) <= width


def _keyhole(x: float, y: float) -> bool:
    """A keyhole in the shield: a round head over a tapered stem."""
    if (x - 0.5) ** 2 + (y - 0.42) ** 2 <= 0.085**2:
        return True
    if 0.42 <= y <= 0.68:
        spread = 0.035 + 0.03 * (y - 0.42) / 0.26
        return abs(x - 0.5) <= spread
    return False


def _coverage(size: int, shape: Shape) -> list[list[float]]:
    """How much of each pixel the shape covers, 0 to 1, from SAMPLES x SAMPLES points."""
    rows = []
    step = 1 / (size * SAMPLES)
    for py in range(size):
        row = []
        for px in range(size):
            hits = sum(
                shape((px * SAMPLES + sx + 0.5) * step, (py * SAMPLES + sy + 0.5) * step)
                for sy in range(SAMPLES)
                for sx in range(SAMPLES)
            )
            row.append(hits / SAMPLES**2)
        rows.append(row)
    return rows


def color_icon() -> bytes:
    """192x192: a white shield with a keyhole on the accent colour, edge to edge."""
    cover = _coverage(COLOR_SIZE, lambda x, y: _shield(x, y) and not _keyhole(x, y))
    pixels = [
        [
            (*(round(c + (255 - c) * amount) for c in ACCENT), 255)
            for amount in row  # white over the accent, as much as the shield covers
        ]
        for row in cover
    ]
    return png(pixels)


def outline_icon() -> bytes:
    """32x32: the shield in white on a transparent background (Teams allows nothing else)."""
    cover = _coverage(OUTLINE_SIZE, lambda x, y: _shield(x, y) and not _keyhole(x, y))
    return png([[(255, 255, 255, round(255 * amount)) for amount in row] for row in cover])


def png(pixels: list[list[tuple[int, ...]]]) -> bytes:
    """An 8-bit RGBA PNG of the rows of (r, g, b, a) pixels."""
    height, width = len(pixels), len(pixels[0])
    raw = b"".join(b"\x00" + bytes(value for pixel in row for value in pixel) for row in pixels)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )
