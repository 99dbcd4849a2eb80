"""The sandbox in headless Chromium: an employee locked out, an admin approving, the directory."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(os.environ.get("SANDBOX_SCREENSHOTS", "build/sandbox-screenshots"))
# Chromium as root, with nothing that reaches for the internet (the network is closed).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
EMPLOYEE, ADMIN = "U0EMPLOYEE", "U0ADMIN1"

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import Page, async_playwright, expect  # noqa: E402


def _missing_browser() -> str | None:
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    return None


@pytest.fixture(scope="module")
def sandbox_url(tmp_path_factory: pytest.TempPathFactory, sandbox_args: list[str]) -> Iterator[str]:
    """`mfa-helpdesk sandbox` as a person starts it: its own process, no settings at all."""
    missing = _missing_browser()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(missing)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(("SLACK_", "DATABASE_", "HELPDESK_", "IT_", "STEPUP_"))
    }
    SHOTS.mkdir(parents=True, exist_ok=True)
    folder = tmp_path_factory.mktemp("sandbox")
    log = (folder / "sandbox.log").open("w")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "bot", "sandbox", "--port", str(port), *sandbox_args],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)
        log.close()
    assert process.returncode == 0, (folder / "sandbox.log").read_text()


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async def ready() -> bool:
        async with aiohttp.ClientSession() as http:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as reply:
                    return reply.status == 200
        return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the sandbox exited with {process.returncode}")
        if asyncio.run(ready()):
            return
        time.sleep(0.2)
    raise AssertionError("the sandbox did not answer /healthz within 30 s")


@pytest.fixture
async def page(sandbox_url: str) -> AsyncIterator[Page]:
    """A fresh browser page on the sandbox; a screenshot of it at the end, pass or fail."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = await browser.new_context(viewport={"width": 1440, "height": 960})
        tab = await context.new_page()
        errors: list[str] = []
        tab.on("pageerror", lambda exc: errors.append(str(exc)))
        tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        await tab.goto(sandbox_url + "/")
        yield tab
        await tab.screenshot(path=str(SHOTS / "last.png"))
        await browser.close()
        assert errors == [], errors


async def shot(tab: Page, name: str) -> None:
    """Save a screenshot of this step of the story."""
    await tab.screenshot(path=str(SHOTS / f"{name}.png"))


async def be(tab: Page, person: str) -> None:
    """Switch the page to another person."""
    await tab.select_option("#who", person)


async def test_the_whole_story_in_the_browser(page: Page) -> None:
    tab = page

    # A first visit opens the employee's DM with the bot.
    await expect(tab.locator("#conv-title")).to_have_text("mfa-helper (direct message)")

    # The employee asks for help in #general: the menu is ephemeral, only they see it.
    await tab.click('#channels [data-conv="C0GENERAL"]')
    await tab.fill("#text", "/mfa-help")
    await tab.press("#text", "Enter")
    menu = tab.locator(".sb-ephemeral").last
    await expect(menu).to_contain_text("I lost my phone or got a new number")
    await expect(menu).to_contain_text("Only visible to you")
    await shot(tab, "01-menu")

    await menu.locator('[data-block-id="mfa-guide-menu-lost-phone"] [data-kind="button"]').click()
    await expect(menu).to_contain_text("and I have no other method")
    await menu.get_by_role("button", name="It's lost or stolen, and I have no other method").click()
    contact = menu.locator('[data-action-id="mfa-guide-contact-it"]')
    await expect(contact).to_be_visible()
    await shot(tab, "02-contact-it")

    # The form: a bad correlation ID is shown inline and nothing typed is lost.
    await contact.click()
    modal = tab.locator("#modal-host")
    await expect(modal).to_contain_text("Contact IT")
    # The walk's choice answered both questions: the form says so instead of asking them.
    await expect(modal).to_contain_text("You told me: your phone was lost or stolen")
    await modal.locator('[data-block-id="mfa-contact-reach"] input').fill("+1 555 0142, desk 4B")
    await modal.locator('[data-block-id="mfa-contact-correlation"] input').fill("not-a-guid")
    await modal.locator('[data-kind="view-submit"]').click()
    error = modal.locator('[data-block-id="mfa-contact-correlation"] .bk-error')
    await expect(error).to_be_visible()
    await expect(modal.locator('[data-block-id="mfa-contact-reach"] input')).to_have_value(
        "+1 555 0142, desk 4B"
    )
    await shot(tab, "03-form-error")
    await modal.locator('[data-block-id="mfa-contact-correlation"] input').fill("")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(modal).to_contain_text("#1")
    await shot(tab, "04-request-sent")
    await modal.locator('[data-kind="view-close"]').click()
    await expect(tab.locator("#overlay")).to_be_hidden()

    # The help-desk channel is not in the employee's sidebar.
    await expect(tab.locator('#channels [data-conv="C0HELPDESK"]')).to_have_count(0)

    # An admin finds it with /mfa-admin pending: the link opens the card in place.
    await be(tab, ADMIN)
    await tab.click('#channels [data-conv="C0GENERAL"]')
    await tab.fill("#text", "/mfa-admin pending")
    await tab.press("#text", "Enter")
    pending = tab.locator(".sb-ephemeral", has_text="#1").last
    await pending.locator("a", has_text="#1").first.click()
    await expect(tab.locator("#conv-title")).to_have_text("#it-mfa-requests")
    card = tab.locator(".sb-msg.sb-linked")
    await expect(card).to_contain_text("Clear MFA settings")
    await shot(tab, "05-card")

    # The admin approves, confirming with the code the panel shows.
    await card.locator('[data-action-id="mfa-desk-approve"]').click()
    await expect(tab.locator("#confirm")).to_be_visible()
    await expect(tab.locator("#confirm-deny")).to_have_text("Not yet")
    await shot(tab, "06-confirm")
    await tab.click("#confirm-yes")
    code_input = modal.locator('[data-block-id="mfa-stepup-code"] input')
    await expect(code_input).to_be_visible()
    await modal.locator('[data-kind="view-submit"]').click()  # empty: Slack's client refuses it
    await expect(modal.locator(".bk-error")).to_have_text("Please complete this required field.")
    code = await tab.locator(f'[data-admin="{ADMIN}"] [data-code]').inner_text()
    assert len(code) == 6, code
    assert code.isdigit(), code
    await code_input.fill(code)
    await shot(tab, "07-step-up")
    await modal.locator('[data-kind="view-submit"]').click()
    await expect(tab.locator("#overlay")).to_be_hidden()
    await expect(card).to_contain_text("Done", timeout=15_000)
    # The decision's notes are in the card's thread (the card itself says it was received).
    await card.locator(".sb-thread summary").click()
    await expect(card.locator(".sb-thread")).to_have_attribute("open", "")
    await shot(tab, "08-card-done")

    # The employee reads what changed in the DM, and the directory shows the methods gone.
    await be(tab, EMPLOYEE)
    await tab.click('#dms [data-conv="D0EMPLOYEE"]')
    dm = tab.locator("#timeline")
    await expect(dm).to_contain_text("set up two-step verification", timeout=15_000)
    jordan = tab.locator('.sb-person[data-email="jordan.lee@example.com"]')
    await expect(jordan.locator(".sb-none")).to_contain_text("No sign-in methods", timeout=10_000)
    await expect(jordan.locator('[data-count="app_passwords"]')).to_have_text("0")
    await expect(jordan.locator('[data-count="sessions"]')).to_have_text("0")
    priya = tab.locator('.sb-person[data-email="priya.shah@example.com"]')
    await expect(priya.locator(".sb-methods li")).to_have_count(3)
    await shot(tab, "09-employee-dm")

    # Opening the page on its Home tab opens the bot's Home tab (app_home_opened).
    await tab.goto(tab.url.split("#")[0] + "#home")
    await expect(tab.locator("#home")).to_contain_text("I lost my phone or got a new number")
