"""Screenshots of the guide's Slack screens under build/guide-screens (Chromium, Playwright)."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from playwright.async_api import Route, async_playwright

from bot.domain.guide import WalkOutcome, WalkState
from bot.guide import PICTURES, load_guide, picture_files, picture_urls
from handlers.blocks.guide import GuideScreens, render_walk
from sandbox.blockkit import render_blocks, render_view

ROOT = Path(__file__).parents[1]
OUT = ROOT / "build" / "guide-screens"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PUBLIC_URL = "https://mfa-bot.example.com"
# (file, topic, path of steps, outcome): the screens issue 18 changed.
WALKS = [
    ("step-picture", "not-receiving", ("not-receiving-check", "not-receiving-other-option"), None),
    ("worked-not-receiving", "not-receiving", ("not-receiving-check",), WalkOutcome.WORKED),
    ("worked-lost-phone", "lost-phone", ("lost-phone-ways",), WalkOutcome.WORKED),
    ("why", "why", ("why-what",), None),
    ("no-code", "no-code", ("no-code-restart", "no-code-number", "no-code-settings"), None),
    ("new-phone", "new-phone", ("new-phone-add",), None),
    ("codes-refused", "codes-refused", ("codes-refused-clock",), None),
]


class _Names:
    def user(self, user_id: str) -> str | None:
        return None

    def channel(self, channel_id: str) -> str | None:
        return None


def _page(body: str) -> str:
    css = (ROOT / "sandbox" / "static" / "blockkit.css").read_text()
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><style>{css}"
        "body{font-family:sans-serif;width:620px;margin:16px;}</style></head>"
        f"<body><div>{body}</div></body></html>"
    )


def _screens() -> dict[str, str]:
    guide = load_guide()
    screens = GuideScreens(guide, picture_urls(PUBLIC_URL, picture_files()))
    pages = {
        "menu": _page(render_blocks(list(screens.menu().blocks), _Names())),
        "home": _page(render_view(screens.home(), _Names())),
    }
    for name, topic_id, path, outcome in WALKS:
        state = WalkState(topic_id, path, path, outcome or WalkOutcome.IN_PROGRESS)
        message = render_walk(guide, state, "ref", screens.pictures)
        blocks: list[dict[str, Any]] = [
            b if isinstance(b, dict) else b.to_dict() for b in message.blocks
        ]
        pages[name] = _page(render_blocks(blocks, _Names()))
    return pages


async def main() -> None:
    """Render each screen and save its screenshot."""
    OUT.mkdir(parents=True, exist_ok=True)
    png = (PICTURES / "sign-in-another-way.png").read_bytes()

    async def serve_picture(route: Route) -> None:
        await route.fulfill(body=png, content_type="image/png")

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await browser.new_page(viewport={"width": 660, "height": 400})
        await page.route(f"{PUBLIC_URL}/**", serve_picture)
        for name, html in _screens().items():
            await page.set_content(html, wait_until="load")
            await page.screenshot(path=str(OUT / f"slack-{name}.png"), full_page=True)
        await browser.close()
    sys.stdout.write(f"saved {len(_screens())} screenshots in {OUT}\n")


if __name__ == "__main__":
    asyncio.run(main())
