"""Teams in Microsoft's own local client: the Agents Playground in headless Chromium, two people.

The Playground (npm `@microsoft/m365agentsplayground`, pinned in teams-playground/) has one
current user per process and no way to switch it, so the admin is a second Playground: the same
tenant, team and people (teams-playground/admin/), with Priya Shah as the current user. Opening
the help-desk channel in her Playground installs the bot in the team; the bot then posts the
help-desk cards to that Playground's connector, and the employee's replies go to his. Both send
activities without a token: the bot runs in Teams' anonymous mode (teams-playground/playground.env).

What the page offers (0.2.28; the selectors below are the ones used here):
- the chat list: `treeitem` "Personal Chat", "Group Chat", "<team> - General", "<team> - <channel>";
- the message box: the Lexical editor `[data-lexical-editor="true"]`, sent with Enter;
- in the personal chat a bot message is `.fai-OutputCard`; in a channel a post is a card with
  "Start a new post" above it; an Adaptive Card is `.ac-adaptiveCard` (element ids kept);
- card inputs are found by their label (`get_by_label`), choices as `radio`, toggles as
  `checkbox`, Action.Execute / Action.Submit as `button`, Action.OpenUrl as `link`-role buttons;
- a required input left empty is refused in the page (its errorMessage shown) before any invoke;
- an invoke response's card replaces the card for the clicker; updateActivity replaces it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import aiohttp
import pyotp
import pytest
import yaml

from bot import wording
from bot.crypto import new_key

REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
FOLDER = ROOT / "teams-playground"
PLAYGROUND = FOLDER / "node_modules" / ".bin" / "agentsplayground"
SHOTS = Path(os.environ.get("TEAMS_SCREENSHOTS", "build/teams-playground-screenshots"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CONFIG = ".m365agentsplayground.yml"
COMPOSE = '[data-lexical-editor="true"]'

pytest.importorskip("playwright.async_api", reason="Playwright is not installed")
from playwright.async_api import (  # noqa: E402
    ConsoleMessage,
    Locator,
    Page,
    Route,
    async_playwright,
    expect,
)


def _missing() -> str | None:
    """Why the Playground cannot run here, or None."""
    if shutil.which(CHROMIUM) is None and not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    if shutil.which("node") is None:
        return "no node (the Agents Playground is a Node program: apt-get install nodejs npm)"
    if not PLAYGROUND.exists():
        return "the Agents Playground is not installed (cd teams-playground && npm ci)"
    return None


def _skip_or_fail() -> None:
    missing = _missing()
    if missing:
        if REQUIRE_BROWSER:
            pytest.fail(missing + " (REQUIRE_BROWSER=1)", pytrace=False)
        pytest.skip(missing)


def _mock_data(person: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((FOLDER / person / CONFIG).read_text(encoding="utf-8"))
    return data


def _settings_file() -> dict[str, str]:
    """teams-playground/playground.env: the bot's settings beside the Playground."""
    pairs = {}
    for line in (FOLDER / "playground.env").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            pairs[name.strip()] = value.strip()
    return pairs


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def test_both_playgrounds_describe_one_tenant() -> None:
    """The employee's and the admin's mock data agree, and match the bot's settings."""
    employee, admin = _mock_data("employee"), _mock_data("admin")
    for key in ("version", "tenantId", "bot", "groupChat", "team"):
        assert employee[key] == admin[key], key

    def people(data: dict[str, Any]) -> dict[str, dict[str, str]]:
        return {p["aadObjectId"]: p for p in [data["currentUser"], *data["users"]]}

    assert people(employee) == people(admin)
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
    assert all(guid.fullmatch(oid) for oid in people(employee)), "Entra object IDs are GUIDs"
    assert employee["personalChat"]["id"] != admin["personalChat"]["id"]

    settings = _settings_file()
    [helpdesk] = employee["team"]["channels"]
    assert settings["TEAMS_HELPDESK_CHANNEL"] == helpdesk["id"]
    assert settings["TEAMS_IT_ADMINS"].split(",")[0] == admin["currentUser"]["aadObjectId"]
    assert employee["currentUser"]["aadObjectId"] not in settings["TEAMS_IT_ADMINS"]
    directory = yaml.safe_load((FOLDER / "directory.yaml").read_text(encoding="utf-8"))
    emails = {p["email"] for p in people(employee).values()}
    assert {p["email"] for p in directory} <= emails


# -- the running bot and two Playgrounds -----------------------------------------------------------


@dataclass(frozen=True)
class Bot:
    """The bot in Teams' anonymous mode, as its own process."""

    url: str
    folder: Path


@dataclass(frozen=True)
class Playgrounds:
    """The employee's and the admin's Playground pages."""

    employee: str
    admin: str


@pytest.fixture(scope="module")
def bot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bot]:
    """`mfa-helpdesk serve` with playground.env: anonymous Teams, the demo directory, SQLite."""
    _skip_or_fail()
    folder = tmp_path_factory.mktemp("teams-bot")
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith(
            ("SLACK_", "TEAMS_", "DATABASE_", "HELPDESK_", "IT_", "STEPUP_", "ENTRA_")
        )
    }
    env.update(_settings_file())
    env.update(
        DEMO_DIRECTORY_FILE=str(FOLDER / "directory.yaml"),
        DATABASE_URL=f"sqlite+aiosqlite:///{folder / 'teams.db'}",
        PORT=str(port),
        STEPUP_KEY=new_key(),  # approvals ask for the admin's code: she enrolls in the story
    )
    log = (folder / "bot.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        cwd=folder,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, process, folder / "bot.log")
        yield Bot(url, folder)
    finally:
        _stop(process)
        log.close()
    assert process.returncode == 0, (folder / "bot.log").read_text()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    async def ready() -> bool:
        async with aiohttp.ClientSession() as http:
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(f"{url}/healthz") as reply:
                    return reply.status == 200
        return False

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the bot exited with {process.returncode}:\n{log.read_text()}")
        if asyncio.run(ready()):
            return
        time.sleep(0.2)
    raise AssertionError("the bot did not answer /healthz within 30 s")


@pytest.fixture(scope="module")
def playgrounds(bot: Bot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Playgrounds]:
    """Two Playgrounds on the bot's /api/messages: Jordan Lee's and Priya Shah's."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    started: list[tuple[subprocess.Popen[bytes], IO[str]]] = []
    urls = []
    try:
        for person in ("employee", "admin"):
            folder = tmp_path_factory.mktemp(f"playground-{person}")
            shutil.copy(FOLDER / person / CONFIG, folder / CONFIG)  # it logs into its folder
            log = (folder / "playground.log").open("w")
            process = subprocess.Popen(  # noqa: S603 - the pinned Playground
                [
                    str(PLAYGROUND),
                    *("-e", f"{bot.url}/api/messages", "-c", "msteams"),
                    *("-p", str(_free_port()), "--dt"),
                ],
                cwd=folder,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            started.append((process, log))
            urls.append(_wait_listening(process, folder / "playground.log"))
        yield Playgrounds(*urls)
    finally:
        for process, log in started:
            _stop(process)
            log.close()


def _wait_listening(process: subprocess.Popen[bytes], log: Path) -> str:
    """The Playground's page, once it says where it listens (it falls back to another port)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        found = re.search(r"Listening on (\d+)", log.read_text())
        if found and _answers(int(found.group(1))):
            return f"http://127.0.0.1:{found.group(1)}/"
        if process.poll() is not None:  # e.g. mock data its schema refuses: exit 1
            raise AssertionError(f"the Playground exited with {process.returncode}: {log}")
        time.sleep(0.2)
    raise AssertionError(f"the Playground did not start within 30 s: {log.read_text()}")


def _answers(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


# -- the browser -----------------------------------------------------------------------------------


@dataclass
class People:
    """One page per person, each in its own browser context."""

    employee: Page
    admin: Page


def _loopback(url: str) -> bool:
    return url.startswith(("http://127.0.0.1:", "http://localhost:", "ws://127.0.0.1:"))


@pytest.fixture
async def people(playgrounds: Playgrounds) -> AsyncIterator[People]:
    """Jordan's and Priya's Playground pages; screenshots of both at the end, pass or fail."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # The Playground's fonts and animations come from Microsoft's CDN: the network is
        # closed, so those fail (and favicon.ico is absent); anything else is a real error.
        where = message.location.get("url", "")
        if message.type == "error" and _loopback(where) and not where.endswith("/favicon.ico"):
            errors.append(message.text)

    async def offline(route: Route) -> None:
        await route.abort()

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        pages = []
        for url in (playgrounds.employee, playgrounds.admin):
            context = await browser.new_context(viewport={"width": 1440, "height": 1000})
            await context.route(lambda u: not _loopback(u), offline)
            page = await context.new_page()
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.on("console", console)
            await page.goto(url)
            pages.append(page)
        yield People(*pages)
        await pages[0].screenshot(path=str(SHOTS / "last-employee.png"))
        await pages[1].screenshot(path=str(SHOTS / "last-admin.png"))
        await browser.close()
    assert errors == [], errors


async def shot(page: Page, name: str) -> None:
    """Save a screenshot of this step of the story."""
    await page.screenshot(path=str(SHOTS / f"{name}.png"))


async def say(page: Page, text: str) -> None:
    """Type a message into the open conversation and send it."""
    box = page.locator(COMPOSE).last
    await box.click()
    await page.keyboard.type(text)
    await page.keyboard.press("Enter")


async def open_chat(page: Page, name: str) -> None:
    """Open a conversation from the chat list ("Personal Chat", "IT - it-mfa-requests")."""
    await page.get_by_role("treeitem", name=name).click()


def last_card(page: Page) -> Locator:
    """The newest Adaptive Card in the open conversation."""
    return page.locator(".ac-adaptiveCard").last


def topic(card: Locator, title: str) -> Locator:
    """The menu's button that starts the steps of one topic."""
    button = card.locator(".ac-container", has_text=title).last
    return button.get_by_role("button", name=wording.SHOW_STEPS)


def authenticator(enrollment_text: str) -> pyotp.TOTP:
    """The admin's authenticator app, set up from the key the enrollment card shows."""
    found = re.search(r"otpauth://\S*[?&]secret=([A-Z2-7]+)", enrollment_text)
    assert found, enrollment_text
    return pyotp.TOTP(found.group(1))


@pytest.mark.timeout(240)
async def test_a_request_filed_and_decided_in_teams(people: People) -> None:
    """Jordan walks the guide to Contact IT and files request #1; Priya enrolls, approves with
    her code in the help-desk channel; Jordan reads what changed. All in the Playground's page."""
    jordan, priya = people.employee, people.admin

    # Priya opens the help-desk channel: the bot is installed in the team and keeps the channel.
    await open_chat(priya, "IT - it-mfa-requests")
    await expect(priya.get_by_text("Start a new post")).to_be_visible()

    # In her personal chat, "enroll" shows the QR code and the key; her app's code confirms it.
    await open_chat(priya, "Personal Chat")
    await say(priya, "enroll")
    enrollment = priya.locator(".ac-adaptiveCard", has_text="otpauth://").last
    await expect(
        enrollment.get_by_role("img", name="Scan with your authenticator app")
    ).to_be_visible()
    app = authenticator(await enrollment.inner_text())
    await shot(priya, "01-admin-enroll")
    await enrollment.get_by_label("The code your new app shows now").fill(app.now())
    await enrollment.get_by_role("button", name="Confirm").click()
    await expect(priya.get_by_text("Your authenticator is set up")).to_be_visible()
    await expect(priya.get_by_text("otpauth://")).to_have_count(0)  # the key is gone from the chat

    # Jordan's personal chat opens with the menu; "help" shows it again.
    await expect(last_card(jordan)).to_contain_text("Get help with two-step verification")
    await say(jordan, "help")
    await expect(jordan.locator(".ac-adaptiveCard")).to_have_count(2)
    menu = last_card(jordan)
    await shot(jordan, "02-menu")

    # A topic walked to Contact IT: each step replaces the card the button is on.
    await topic(menu, "I lost my phone or got a new number").click()
    await expect(menu).to_contain_text("step 1")
    await menu.get_by_role("button", name="It's lost or stolen, and I have no other method").click()
    await expect(menu).to_contain_text("step 2")
    await expect(jordan.locator(".ac-adaptiveCard")).to_have_count(2)
    await shot(jordan, "03-contact-it")
    await menu.get_by_role("button", name="Contact IT").click()
    form = menu
    await expect(form.get_by_role("button", name="Send to IT")).to_be_visible()

    # The form: the walk's choice answered both questions, so it says so instead of asking
    # them; an empty required answer is refused by Teams itself; a correlation ID that is not a
    # GUID comes back from the bot inline, with every typed value kept.
    told = form.get_by_text("You told me: your phone was lost or stolen")
    await expect(told).to_be_visible()
    await expect(
        form.get_by_role("radiogroup", name="Was your phone lost or stolen?")
    ).to_have_count(0)
    await form.get_by_role("button", name="Send to IT").click()
    await expect(form.get_by_text("Tell IT how to reach you")).to_be_visible()
    await form.get_by_label("How can IT reach you?").fill("+1 555 0142, desk 4B")
    await form.get_by_label("Correlation ID (optional)").fill("not-a-guid")
    await form.get_by_role("button", name="Send to IT").click()
    await expect(form.get_by_text("A correlation ID looks like")).to_be_visible()
    await expect(form.get_by_label("How can IT reach you?")).to_have_value("+1 555 0142, desk 4B")
    await expect(told).to_be_visible()
    await shot(jordan, "04-form-error")
    await form.get_by_label("Correlation ID (optional)").fill("")
    await form.get_by_role("button", name="Send to IT").click()
    await expect(form).to_contain_text("Request #1 is with IT")
    await expect(jordan.get_by_text("Your request #1 is with IT.")).to_be_visible()
    await shot(jordan, "05-request-sent")

    # The request's card in the help-desk channel, in Priya's Playground.
    await open_chat(priya, "IT - it-mfa-requests")
    card = priya.locator(".ac-adaptiveCard", has_text="Request #1").first
    await expect(card).to_contain_text("Jordan Lee")
    await expect(card).to_contain_text("Waiting for a decision")
    await expect(card).to_contain_text("+1 555 0142, desk 4B")
    await shot(priya, "06-card")

    # Approve: her own view of the card, the actions as toggles and her code, masked.
    await card.get_by_role("button", name="Approve").click()
    await expect(card.get_by_role("checkbox", name="Delete app passwords")).to_be_checked()
    code = card.get_by_label("Authenticator code")
    await expect(code).to_have_attribute("type", "password")
    await card.get_by_role("button", name="Confirm").click()  # empty: Teams refuses it
    await expect(card.get_by_text("Enter the 6-digit code.")).to_be_visible()
    typed = app.at(time.time() + app.interval)  # the next step: enrollment used this one
    await code.fill(typed)
    await shot(priya, "07-approve")
    await card.get_by_role("button", name="Confirm").click()
    await expect(card).to_contain_text("Done by Priya Shah", timeout=15_000)
    await expect(card).to_contain_text("Removed 3 sign-in methods")
    await expect(priya.get_by_text(typed)).to_have_count(0)  # the code is never echoed
    await shot(priya, "08-card-done")

    # Jordan reads in his personal chat what changed.
    done = jordan.locator(".fai-OutputCard", has_text="Your request #1 is done")
    await expect(done).to_contain_text("Removed 3 sign-in methods", timeout=15_000)
    await shot(jordan, "09-employee-done")
