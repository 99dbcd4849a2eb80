"""The sandbox in headless Chromium: "This wasn't me" on a reset the employee never asked for."""

from __future__ import annotations

import pytest

from tests.browser.test_sandbox_story import ADMIN, EMPLOYEE, be, page, sandbox_url, shot

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import Page, expect

__all__ = ["page", "sandbox_url"]  # the story's fixtures, used here too


async def _request_done(tab: Page) -> None:
    """Jordan asks IT to clear their settings, and Priya approves with her code."""
    await be(tab, EMPLOYEE)
    await tab.click('#channels [data-conv="C0GENERAL"]')
    await tab.fill("#text", "/mfa-help I lost my phone")
    await tab.press("#text", "Enter")
    walk = tab.locator(".sb-ephemeral").last
    await walk.get_by_role("button", name="I have no other method").click()
    await walk.locator('[data-action-id="mfa-guide-contact-it"]').click()
    modal = tab.locator("#modal-host")
    # The walk's choice answered both questions: the form says so instead of asking them.
    await expect(modal).to_contain_text("You told me: your phone was lost or stolen")
    await modal.locator('[data-block-id="mfa-contact-reach"] input').fill("+1 555 0142")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(modal).to_contain_text("#1")
    await modal.locator('[data-kind="view-close"]').click()

    await be(tab, ADMIN)
    await tab.click('#channels [data-conv="C0HELPDESK"]')
    card = tab.locator(".sb-msg", has_text="Request #1").last
    await card.locator('[data-action-id="mfa-desk-approve"]').click()
    await tab.click("#confirm-yes")
    code = await tab.locator(f'[data-admin="{ADMIN}"] [data-code]').inner_text()
    await modal.locator('[data-block-id="mfa-stepup-code"] input').fill(code)
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(card).to_contain_text("Done", timeout=15_000)


async def test_this_wasnt_me_end_to_end(page: Page) -> None:
    tab = page
    await _request_done(tab)

    # The employee never asked: the button asks first, then says what to do now.
    await be(tab, EMPLOYEE)
    await tab.click('#dms [data-conv="D0EMPLOYEE"]')
    done = tab.locator(".sb-msg", has_text="What changed").last
    not_me = done.locator('[data-action-id="mfa-request-not-me"]')
    await expect(not_me).to_be_visible(timeout=15_000)
    await not_me.click()
    await expect(tab.locator("#confirm")).to_be_visible()
    await shot(tab, "not-me-01-confirm")
    await tab.click("#confirm-yes")
    dm = tab.locator("#timeline")
    await expect(dm).to_contain_text("IT security has been alerted about request #1")
    await expect(dm).to_contain_text("Change your password now")
    await expect(done).to_contain_text("You reported this as not you")
    await expect(done.locator('[data-action-id="mfa-request-not-me"]')).to_have_count(0)
    await shot(tab, "not-me-02-reported")

    # Security has the alert; Priya claims it.
    await be(tab, ADMIN)
    await tab.click('#channels [data-conv="C0SECURITY"]')
    alert = tab.locator(".sb-msg", has_text="did NOT ask for request #1").last
    await alert.locator('[data-action-id="mfa-alert-claim"]').click()
    await expect(alert).to_contain_text("is on it")
    await shot(tab, "not-me-03-claimed")
