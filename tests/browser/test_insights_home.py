"""The sandbox in headless Chromium with its month of history: the admin's Home shows the week
against the week before, with its two pictures drawn and shown from Slack files."""

from __future__ import annotations

import pytest

from tests.browser.test_sandbox_story import ADMIN, EMPLOYEE, be, page, sandbox_url, shot

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import Page, expect

__all__ = ["page", "sandbox_url"]  # the story's fixtures, used here too


@pytest.fixture(scope="module")
def sandbox_args() -> list[str]:
    """The sandbox as a person starts it: with the seeded month."""
    return []


async def test_the_admins_home_shows_the_weeks_pictures(page: Page) -> None:
    tab = page
    await be(tab, ADMIN)
    await tab.goto(tab.url.split("#")[0] + "#home")
    home = tab.locator("#home")
    await expect(home).to_contain_text("This week at the help desk", timeout=15_000)
    await expect(home).to_contain_text("Got back in on their own")
    pictures = home.locator("img")
    await expect(pictures).to_have_count(2, timeout=20_000)
    for n in range(2):
        picture = pictures.nth(n)
        await expect(picture).to_have_attribute(
            "alt", ("Walks by outcome per day", "Time to resolve")[n]
        )
        await picture.scroll_into_view_if_needed()
        size = await picture.evaluate(
            "i => i.decode().then(() => [i.naturalWidth, i.naturalHeight])"
        )
        assert size[0] >= 800, size
        assert size[1] >= 300, size
    await home.locator("img").first.scroll_into_view_if_needed()
    await shot(tab, "insights-home-admin")

    # The employee's Home has no figures.
    await be(tab, EMPLOYEE)
    await tab.goto(tab.url.split("#")[0] + "#home")
    await expect(home).to_contain_text("Get help with two-step verification", timeout=10_000)
    await expect(home).not_to_contain_text("This week at the help desk", timeout=10_000)
    await expect(home.locator("img")).to_have_count(0)
