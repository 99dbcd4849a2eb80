"""The HTML report in headless Chromium: it opens from the file alone and its charts render."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.test_sandbox_story import (
    CHROMIUM,
    CHROMIUM_ARGS,
    REQUIRE_BROWSER,
    SHOTS,
    _missing_browser,
)
from tests.history import history_in
from tests.integration.test_cli import _run, env

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import async_playwright, expect

__all__ = ["env"]


@pytest.fixture
def report(env: dict[str, str], tmp_path: Path) -> Path:
    """A report written by `mfa-helpdesk report` on a fortnight of history."""
    missing = _missing_browser()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(missing)
    history_in(env["DATABASE_URL"])
    target = tmp_path / "report.html"
    args = ["report", "--since", "2026-11-02", "--until", "2026-11-15", "--output", str(target)]
    done = _run(args, env)
    assert done.returncode == 0, done.stderr
    return target


async def test_the_report_opens_offline_and_its_charts_render(report: Path) -> None:
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = await browser.new_page(viewport={"width": 1100, "height": 900})
        fetched: list[str] = []
        tab.on("request", lambda r: fetched.append(r.url))
        await tab.goto(report.as_uri())
        await expect(tab.locator("h1")).to_have_text("MFA help desk: 2 Nov 2026 to 15 Nov 2026")
        charts = tab.locator("img.chart")
        await expect(charts).to_have_count(2)
        for n in range(2):
            chart = charts.nth(n)
            # Decoded and drawn: a broken or missing picture has no natural size.
            size = await chart.evaluate("i => [i.complete, i.naturalWidth, i.naturalHeight]")
            complete, width, height = size
            assert complete, size
            assert width >= 800, size
            assert height >= 300, size
            box = await chart.bounding_box()
            assert box is not None
            assert box["width"] > 500
        await expect(tab.locator("table")).to_have_count(5)
        await expect(tab.locator("body")).to_contain_text("walks started")
        assert all(url.startswith(("file://", "data:")) for url in fetched), fetched
        SHOTS.mkdir(parents=True, exist_ok=True)
        await tab.screenshot(path=str(SHOTS / "insights-report.png"), full_page=True)
        await browser.close()
