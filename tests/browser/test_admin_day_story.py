"""The admin's day in the sandbox, in headless Chromium: "I'm on it", a question to the requester
and its answer, the code dialog's recap, and the Home tab's request and queue (screenshots)."""

from __future__ import annotations

import pytest

from tests.browser.test_sandbox_story import ADMIN, EMPLOYEE, be, page, sandbox_url, shot

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import Locator, Page, expect

__all__ = ["page", "sandbox_url"]  # the sandbox and the page fixtures, shared


async def _request_help(tab: Page) -> None:
    """The employee walks the lost-phone topic to Contact IT and sends the form."""
    await be(tab, EMPLOYEE)
    await tab.click('#channels [data-conv="C0GENERAL"]')
    await tab.fill("#text", "/mfa-help")
    await tab.press("#text", "Enter")
    menu = tab.locator(".sb-ephemeral").last
    await menu.locator('[data-block-id="mfa-guide-menu-lost-phone"] [data-kind="button"]').click()
    await menu.get_by_role("button", name="I have no other method").click()
    await menu.locator('[data-action-id="mfa-guide-contact-it"]').click()
    modal = tab.locator("#modal-host")
    # The walk's choice answered both questions: the form says so instead of asking them.
    await expect(modal).to_contain_text("You told me: your phone was lost or stolen")
    await modal.locator('[data-block-id="mfa-contact-reach"] input').fill("+1 555 0142")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(modal).to_contain_text("#1")
    await modal.locator('[data-kind="view-close"]').click()
    await expect(tab.locator("#overlay")).to_be_hidden()


async def _desk_card(tab: Page) -> Locator:
    await tab.click('#channels [data-conv="C0HELPDESK"]')
    card = tab.locator(".sb-msg", has_text="Request #1").first
    await expect(card).to_be_visible()
    return card


def _field(modal: Locator, block_id: str) -> Locator:
    return modal.locator(f'[data-block-id="{block_id}"]').locator("textarea, input").first


async def test_the_admins_day_in_the_browser(page: Page) -> None:
    tab = page
    modal = tab.locator("#modal-host")
    await _request_help(tab)

    # I'm on it: the card says who calls the employee back, and the button is gone.
    await be(tab, ADMIN)
    card = await _desk_card(tab)
    await card.locator('[data-action-id="mfa-desk-on-it"]').click()
    await tab.click("#confirm-yes")
    await expect(card).to_contain_text("is calling the employee back", timeout=10_000)
    await expect(card.locator('[data-action-id="mfa-desk-on-it"]')).to_have_count(0)
    await shot(tab, "admin-01-on-it")

    # Ask the requester: a question typed on the card reaches the employee's DM.
    await card.locator('[data-action-id="mfa-desk-ask"]').click()
    await _field(modal, "mfa-desk-question").fill("Which phone was it, the old or the new one?")
    await shot(tab, "admin-02-ask")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(tab.locator("#overlay")).to_be_hidden()

    await be(tab, EMPLOYEE)
    await tab.click('#dms [data-conv="D0EMPLOYEE"]')
    dm = tab.locator("#timeline")
    await expect(dm).to_contain_text("IT has a question about your request #1", timeout=10_000)
    await dm.locator('[data-action-id="mfa-request-answer"]').last.click()
    await _field(modal, "mfa-request-answer-text").fill("The old one, it was stolen.")
    await shot(tab, "admin-03-answer")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(modal).to_contain_text("your answer is with IT")
    await modal.locator('[data-kind="view-close"]').click()
    await expect(dm).to_contain_text("You answered:", timeout=10_000)
    await shot(tab, "admin-04-answered-dm")

    # The employee's Home tab: where their request stands.
    await tab.goto(tab.url.split("#")[0] + "#home")
    await expect(tab.locator("#home")).to_contain_text("Your request #1", timeout=10_000)
    await shot(tab, "admin-05-home-employee")

    # The answer is in the card's thread; the code dialog recaps whose request and what runs.
    await be(tab, ADMIN)
    card = await _desk_card(tab)
    await card.locator(".sb-thread summary").click()
    await expect(card.locator(".sb-thread")).to_contain_text("answered: The old one")
    await shot(tab, "admin-06-thread")
    await card.locator('[data-action-id="mfa-desk-approve"]').click()
    await tab.click("#confirm-yes")
    await expect(modal).to_contain_text("Approve request #1")
    await expect(modal).to_contain_text("Clear MFA settings")
    await shot(tab, "admin-07-code-recap")
    await modal.locator('[data-kind="view-close"]').click()
    await expect(tab.locator("#overlay")).to_be_hidden()

    # The admin's Home tab: the queue, linked to the card.
    await tab.goto(tab.url.split("#")[0] + "#home")
    home = tab.locator("#home")
    await expect(home).to_contain_text("1 request in progress", timeout=10_000)
    await expect(home).to_contain_text("1 waiting for a decision")
    await shot(tab, "admin-08-home-queue")
