"""The sandbox in headless Chromium: a prompt the employee didn't start, reported and claimed."""

from __future__ import annotations

import pytest

from tests.browser.test_sandbox_story import ADMIN, EMPLOYEE, be, page, sandbox_url, shot

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import Page, expect

__all__ = ["page", "sandbox_url"]  # the story's fixtures, used here too


async def test_a_prompt_i_didnt_start_reported_end_to_end(page: Page) -> None:
    tab = page
    await be(tab, EMPLOYEE)

    # In their own words; of the two topics close to them, they pick the prompt.
    await tab.click('#channels [data-conv="C0GENERAL"]')
    await tab.fill("#text", "/mfa-help my phone asks me to approve a sign in that wasn't me")
    await tab.press("#text", "Enter")
    walk = tab.locator(".sb-ephemeral").last
    await walk.get_by_role("button", name="I got a prompt I didn't start").click()
    await expect(walk).to_contain_text("Never approve a prompt you didn't start")
    await shot(tab, "report-01-deny-it")
    await walk.get_by_role("button", name="I denied it, what now?").click()
    report = walk.locator('[data-action-id="mfa-guide-report-prompt"]')
    await expect(report).to_be_visible()
    await shot(tab, "report-02-report-it")

    # One press: the step turns into what to do now, and its button is gone.
    await report.click()
    await expect(walk).to_contain_text("IT security and the help desk have been alerted")
    await expect(walk).to_contain_text("Change your password now")
    await expect(walk.locator('[data-action-id="mfa-guide-report-prompt"]')).to_have_count(0)
    await shot(tab, "report-03-reported")

    # Security hears of it at once; an admin claims it, and the alert says who has it.
    await be(tab, ADMIN)
    await tab.click('#channels [data-conv="C0SECURITY"]')
    alert = tab.locator(".sb-msg", has_text="got a sign-in prompt they didn't start").last
    await expect(alert).to_contain_text("Request #1 proposes revoking their sign-in sessions")
    claim = alert.locator('[data-action-id="mfa-alert-claim"]')
    await expect(claim).to_be_visible()
    await shot(tab, "report-04-security-alert")
    await claim.click()
    claimed = tab.locator(".sb-msg", has_text="is on it").last
    await expect(claimed).to_contain_text("sign-in prompt they didn't start (request #1)")
    await expect(claimed.locator('[data-action-id="mfa-alert-claim"]')).to_have_count(0)
    await shot(tab, "report-05-claimed")

    # The help desk has the request: revoke the sessions here, reset the password by hand.
    await tab.click('#channels [data-conv="C0HELPDESK"]')
    card = tab.locator(".sb-msg", has_text="I got a sign-in prompt I didn't start").last
    await expect(card).to_contain_text("Reset their password by hand")
    await expect(card).to_contain_text("Revoke remembered devices and sign-in sessions")
    await shot(tab, "report-06-request-card")
