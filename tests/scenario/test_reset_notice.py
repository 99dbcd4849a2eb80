"""After a reset the account holder is emailed (SMTP or Graph), and security hears of a VIP's."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.smtp import SMTP, Envelope, Session
from sqlalchemy import text as sql

from handlers.ids import ActionId, FieldId
from tests.driver import SlackDriver
from tests.fakes.graph import FakeGraph
from tests.fakes.slack import FakeSlack
from tests.scenario.test_helpdesk import (
    ADMIN,
    ADMIN2,
    DESK,
    GUID,
    _audit,
    _card,
    _dms,
    _request,
    _to_contact_it,
)

IT_CONTACT = "call 555-0100 or mail it@example.com"
SECURITY = "C0SEC"
FORM = {
    FieldId.LOST: "yes",
    FieldId.REMAINING: "none",
    FieldId.CORRELATION: GUID,
    FieldId.CONTACT: "+1 555 0101",
}


@dataclass
class Mailbox:
    """What a local SMTP server (aiosmtpd) received."""

    messages: list[tuple[str, list[str], EmailMessage]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append((str(envelope.mail_from), list(envelope.rcpt_tos), parsed))
        return "250 OK"


@pytest.fixture
async def smtp() -> AsyncIterator[tuple[Mailbox, int]]:
    """An SMTP server on loopback without TLS (as a local relay would be)."""
    mailbox = Mailbox()
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(mailbox, hostname="relay.test"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield mailbox, port
    server.close()
    await server.wait_closed()


@pytest.fixture
def graph(graph_directory: FakeGraph) -> FakeGraph:
    """Ada, whose mail in the directory differs from her Slack email, and a mailbox to send from."""
    # The directory's mail differs from the Slack profile's email: the directory's is the one.
    graph_directory.add_user(
        "ada@example.com", mail="ada.lovelace@example.com"
    ).display_name = "Ada L."
    graph_directory.add_user("helpdesk@example.com")
    graph_directory.granted.add("Mail.Send")
    return graph_directory


def _entra(graph: FakeGraph) -> dict[str, Any]:
    return {
        "identity_provider": "entra",
        "entra_tenant_id": graph.tenant,
        "entra_client_id": "app-1",
        "entra_client_secret": graph.secret,
        "entra_login_url": graph.origin,
        "entra_graph_url": f"{graph.origin}/v1.0",
    }


@pytest.fixture
def smtp_query() -> str:
    """SMTP_URL's options: a relay on loopback without TLS."""
    return "?starttls=off"


@pytest.fixture
def bot_env(
    bot_env: dict[str, Any], fake_slack: FakeSlack, smtp: tuple[Mailbox, int], smtp_query: str
) -> dict[str, Any]:
    """A help desk on the demo directory that mails through the local SMTP server."""
    for user, name in ((ADMIN, "Ines Admin"), (ADMIN2, "Omar Admin")):
        fake_slack.add_user(user, name, f"{name.split()[0].lower()}@example.com")
    return {
        **bot_env,
        "helpdesk_channel": DESK,
        "it_admin_users": f"{ADMIN},{ADMIN2}",
        "identity_provider": "demo",
        "smtp_url": f"smtp://127.0.0.1:{smtp[1]}{smtp_query}",
        "mail_from": "it-helpdesk@example.com",
        "it_contact": IT_CONTACT,
        "security_channel": SECURITY,
    }


async def _approve(slack: SlackDriver, selected: list[str], *admins: str) -> None:
    card = await _request(slack)
    for admin in admins or (ADMIN,):
        await slack.click(card, ActionId.APPROVE, user=admin, selected=selected)
        await slack.settle()
        card = _card(slack)


async def _notices(slack: SlackDriver) -> list[tuple[str, dict[str, Any]]]:
    return [(e, d) for e, _, d in await _audit(slack) if e.startswith("notice.")]


async def test_a_done_reset_is_mailed_to_the_person_over_smtp(
    slack: SlackDriver, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    await _approve(slack, ["clear_mfa", "revoke_sessions", "issue_tap"])
    assert "*Done*" in _card(slack).all_text()
    [(sender, recipients, message)] = mailbox.messages
    assert sender == "it-helpdesk@example.com"
    assert recipients == ["ada@example.com"]
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Your sign-in settings were changed (IT request #1)"
    body = message.get_content()
    assert "request #1" in body
    assert "two-step verification (MFA) methods were removed" in body
    assert "signed out everywhere" in body
    assert "temporary access pass was issued; it was sent to you in chat only" in body
    assert "If you did NOT ask IT for this" in body
    assert IT_CONTACT in body
    assert "2026-11-27 08:00 UTC" in body
    pass_dm = next(dm for dm in _dms(slack) if "temporary access pass" in dm.lower() and "`" in dm)
    secret = pass_dm.split("`")[1]
    assert secret
    assert secret not in message.as_string()
    assert await _notices(slack) == [
        (
            "notice.sent",
            {"actions": ["clear_mfa", "revoke_sessions", "issue_tap"], "to": "a***@example.com"},
        )
    ]


@pytest.mark.parametrize("smtp_query", [""])  # STARTTLS required, as by default
async def test_a_relay_without_tls_is_retried_then_audited_and_the_desk_told(
    slack: SlackDriver, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    helpdesk = slack.runtime.deps.helpdesk
    assert helpdesk is not None
    helpdesk.config = replace(helpdesk.config, notice_retry_s=(0.05, 0.05))
    await _approve(slack, ["clear_mfa"])
    assert "*Done*" in _card(slack).all_text()  # the reset stands; only its email failed
    assert mailbox.messages == []  # no password or message ever went out in clear
    [(event, detail)] = await _notices(slack)
    assert event == "notice.failed"
    assert detail["to"] == "a***@example.com"
    assert "STARTTLS" in detail["why"]
    told = [m["text"] for (c, _), m in slack.fake.messages.items() if c == DESK]
    assert any("could not be sent" in t and "request #1" in t for t in told)


async def test_an_address_the_email_library_refuses_is_audited_and_the_desk_told(
    slack: SlackDriver, smtp: tuple[Mailbox, int]
) -> None:
    mailbox, _ = smtp
    # A header injection in the address of record: the email library refuses to write it.
    slack.fake.users["U1"]["profile"]["email"] = "ada@example.com\r\nBcc: eve@example.net"
    await _approve(slack, ["clear_mfa"])
    assert "*Done*" in _card(slack).all_text()
    assert mailbox.messages == []
    [(event, detail)] = await _notices(slack)
    assert event == "notice.failed"
    assert "ValueError" in detail["why"]
    assert "eve@example.net" not in detail["why"]
    told = [m["text"] for (c, _), m in slack.fake.messages.items() if c == DESK]
    assert any("could not be sent" in t and "request #1" in t for t in told)


class Refusing(Mailbox):
    """A relay that refuses every recipient, repeating the address in its reply (as many do)."""

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown in {address}"


class TestRefusedRecipient:
    """The mail server's reply goes to the audit log and the channel with addresses masked."""

    @pytest.fixture
    async def smtp(self) -> AsyncIterator[tuple[Mailbox, int]]:
        mailbox = Refusing()
        loop = asyncio.get_running_loop()
        server = await loop.create_server(
            lambda: SMTP(mailbox, hostname="relay.test"), "127.0.0.1", 0
        )
        yield mailbox, server.sockets[0].getsockname()[1]
        server.close()
        await server.wait_closed()

    async def test_the_address_in_the_refusal_is_masked(self, slack: SlackDriver) -> None:
        helpdesk = slack.runtime.deps.helpdesk
        assert helpdesk is not None
        helpdesk.config = replace(helpdesk.config, notice_retry_s=(0.05, 0.05))
        await _approve(slack, ["clear_mfa"])
        [(event, detail)] = await _notices(slack)
        assert event == "notice.failed"
        assert "550" in detail["why"]
        assert "Recipient address rejected" in detail["why"]
        assert "ada@example.com" not in detail["why"]
        assert "a***@example.com" in detail["why"]
        [told] = [
            m["text"]
            for (c, _), m in slack.fake.messages.items()
            if c == DESK and "could not be sent" in m["text"]
        ]
        assert "ada@example.com" not in told
        assert "a***@example.com" in told


@pytest.fixture
def graph_env(bot_env: dict[str, Any], graph: FakeGraph) -> dict[str, Any]:
    """Entra through the fake Graph; mail by Graph's sendMail from the help desk's mailbox."""
    env = {**bot_env, **_entra(graph), "mail_from": "helpdesk@example.com"}
    del env["smtp_url"]
    return env


class TestGraph:
    """IDENTITY_PROVIDER=entra without SMTP_URL: POST /users/{MAIL_FROM}/sendMail."""

    @pytest.fixture
    def bot_env(self, graph_env: dict[str, Any]) -> dict[str, Any]:
        return graph_env

    async def test_the_mail_goes_to_the_directory_address_and_never_holds_the_pass(
        self, slack: SlackDriver, graph: FakeGraph
    ) -> None:
        await _approve(slack, ["clear_mfa", "issue_tap"])
        [sent] = graph.mail_sent
        assert sent["from"] == "helpdesk@example.com"
        message = sent["message"]
        assert message["toRecipients"] == [
            {"emailAddress": {"address": "ada.lovelace@example.com"}}
        ]
        assert message["subject"] == "Your sign-in settings were changed (IT request #1)"
        assert message["body"]["contentType"] == "Text"
        assert "Hello Ada L.," in message["body"]["content"]
        assert "methods were removed" in message["body"]["content"]
        assert graph.tap_issued[-1] not in json.dumps(graph.mail_sent)
        assert ("POST", "/users/helpdesk@example.com/sendMail") in graph.requests
        assert await _notices(slack) == [  # a clear always brings the revocation with it
            (
                "notice.sent",
                {
                    "actions": ["clear_mfa", "revoke_sessions", "issue_tap"],
                    "to": "a***@example.com",
                },
            )
        ]

    async def test_without_mail_send_the_failure_names_the_permission(
        self, slack: SlackDriver, graph: FakeGraph
    ) -> None:
        graph.granted.discard("Mail.Send")
        await _approve(slack, ["clear_mfa"])
        assert "*Done*" in _card(slack).all_text()
        [(event, detail)] = await _notices(slack)
        assert event == "notice.failed"
        assert "Mail.Send" in detail["why"]
        assert "application access policy" in detail["why"]
        sends = [p for v, p in graph.requests if p.endswith("/sendMail")]
        assert len(sends) == 1  # a refusal is not retried
        told = [m["text"] for (c, _), m in slack.fake.messages.items() if c == DESK]
        assert any("could not be sent" in t and "Mail.Send" in t for t in told)

    async def test_a_failed_request_with_some_changes_done_is_mailed_too(
        self, slack: SlackDriver, graph: FakeGraph
    ) -> None:
        graph.granted.discard("User.RevokeSessions.All")
        await _approve(slack, ["clear_mfa", "revoke_sessions"])
        assert "*Failed*" in _card(slack).all_text()
        [sent] = graph.mail_sent
        body = sent["message"]["body"]["content"]
        assert "methods were removed" in body
        assert "signed out everywhere" not in body
        assert "could not be made yet" in body

    async def test_nothing_changed_means_no_mail(
        self, slack: SlackDriver, graph: FakeGraph
    ) -> None:
        graph.granted.discard("User.RevokeSessions.All")
        await _approve(slack, ["revoke_sessions"])
        assert "*Failed*" in _card(slack).all_text()
        assert graph.mail_sent == []
        assert await _notices(slack) == []


class TestRetry:
    """A retry after a partial failure tells of what it added, not again of what was told."""

    @pytest.fixture
    def bot_env(self, graph_env: dict[str, Any]) -> dict[str, Any]:
        return {**graph_env, "privileged_users": "U1"}

    async def test_the_second_notice_names_only_the_newly_done_action(
        self, slack: SlackDriver, graph: FakeGraph
    ) -> None:
        graph.granted.discard("User.RevokeSessions.All")
        await _approve(slack, ["clear_mfa", "revoke_sessions"], ADMIN, ADMIN2)
        failed = _card(slack)
        assert "*Failed*" in failed.all_text()
        graph.granted.add("User.RevokeSessions.All")
        await slack.click(failed, ActionId.RETRY, user=ADMIN)
        await slack.settle()
        assert "*Done*" in _card(slack).all_text()
        bodies = [sent["message"]["body"]["content"] for sent in graph.mail_sent]
        assert len(bodies) == 2
        assert "methods were removed" in bodies[0]
        assert "signed out everywhere" not in bodies[0]
        assert "signed out everywhere" in bodies[1]
        assert "methods were removed" not in bodies[1]
        assert [d["actions"] for _, d in await _notices(slack)] == [
            ["clear_mfa"],
            ["revoke_sessions"],
        ]
        alerts = [m["text"] for (c, _), m in slack.fake.messages.items() if c == SECURITY]
        assert len(alerts) == 2
        assert "Clear MFA settings" in alerts[0]
        assert "Revoke remembered devices" not in alerts[0]
        assert "Revoke remembered devices" in alerts[1]
        assert "Clear MFA settings" not in alerts[1]


class TestPrivileged:
    """A privileged person's completed reset is also posted to SECURITY_CHANNEL."""

    @pytest.fixture
    def bot_env(self, bot_env: dict[str, Any]) -> dict[str, Any]:
        return {**bot_env, "privileged_users": "U1"}

    async def test_security_hears_of_it_with_the_reason_escaped(self, slack: SlackDriver) -> None:
        card = await _request(slack)
        async with slack.runtime.engine.begin() as conn:
            await conn.execute(
                sql("UPDATE help_requests SET privileged_reason = :why"),
                {"why": "Global Administrator <!channel>"},
            )
        for admin in (ADMIN, ADMIN2):
            await slack.click(card, ActionId.APPROVE, user=admin, selected=["clear_mfa"])
            await slack.settle()
            card = _card(slack)
        assert "*Done*" in card.all_text()
        [alert] = [m["text"] for (c, _), m in slack.fake.messages.items() if c == SECURITY]
        assert "Request #1 for <@U1>, a privileged account" in alert
        assert "Global Administrator &lt;!channel&gt;" in alert
        assert "<!channel>" not in alert
        assert "Clear MFA settings" in alert


@dataclass
class Hanging:
    """A mail server that takes connections and never answers (a relay that hangs)."""

    connections: list[asyncio.StreamWriter] = field(default_factory=list)
    down: bool = False

    async def accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.append(writer)
        if self.down:
            writer.close()

    def hang_up(self) -> None:
        """Close every connection, and each new one at once."""
        self.down = True
        for writer in self.connections:
            writer.close()


class TestMailServerDown:
    """Emails waiting on a mail server that hangs do not hold back the help desk's cards."""

    @pytest.fixture
    async def hanging(self) -> AsyncIterator[tuple[Hanging, int]]:
        hanging = Hanging()
        server = await asyncio.start_server(hanging.accept, "127.0.0.1", 0)
        yield hanging, server.sockets[0].getsockname()[1]
        hanging.hang_up()
        server.close()
        await server.wait_closed()

    @pytest.fixture
    def smtp(self, hanging: tuple[Hanging, int]) -> tuple[Mailbox, int]:
        return Mailbox(), hanging[1]

    @pytest.fixture
    def bot_env(self, bot_env: dict[str, Any], fake_slack: FakeSlack) -> dict[str, Any]:
        for index in range(2, 12):
            fake_slack.add_user(f"U{index}", f"Person {index}", f"p{index}@example.com")
        return bot_env

    async def test_a_new_card_is_posted_while_emails_hang(
        self, slack: SlackDriver, hanging: tuple[Hanging, int]
    ) -> None:
        server, _ = hanging
        helpdesk = slack.runtime.deps.helpdesk
        assert helpdesk is not None
        helpdesk.config = replace(helpdesk.config, notice_retry_s=(0.05, 0.05))
        users = [f"U{index}" for index in range(2, 11)]  # more than the card lane runs at once
        cards = [await _request(slack, user) for user in users]
        step = await _to_contact_it(slack, "U11")
        await slack.click(step, ActionId.CONTACT_IT)
        await slack.settle()
        form = slack.opened_view()
        for card in cards:  # each done reset emails its person: every email hangs
            await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
        deadline = time.monotonic() + 15
        while len(server.connections) < 2:  # the notices are with the mail server
            assert time.monotonic() < deadline, "no email was sent"
            await asyncio.sleep(0.05)
        while len(await _notices_of(slack, "request.done")) < len(users):
            assert time.monotonic() < deadline, "the resets were not all done"
            await asyncio.sleep(0.05)
        reply = await slack.submit(form, FORM, user="U11")
        assert reply.status == 200
        posted = time.monotonic()
        while not _cards_of(slack, "U11"):
            assert time.monotonic() - posted < 3, "the new card waited behind the emails"
            await asyncio.sleep(0.05)
        server.hang_up()  # the mail server goes away: each email fails, is audited, and told
        await slack.settle()
        notices = await _notices(slack)
        assert len(notices) == len(users)
        assert {event for event, _ in notices} == {"notice.failed"}

    async def test_an_email_cut_off_by_shutdown_is_audited_as_failed(
        self, slack: SlackDriver, hanging: tuple[Hanging, int]
    ) -> None:
        server, _ = hanging
        card = await _request(slack)
        await slack.click(card, ActionId.APPROVE, user=ADMIN, selected=["clear_mfa"])
        deadline = time.monotonic() + 15
        while not server.connections:  # the email is with a mail server that never answers
            assert time.monotonic() < deadline, "no email was sent"
            await asyncio.sleep(0.05)
        await slack.runtime.close(drain_timeout=0.5)  # SIGTERM: the email is cut off
        notices = await _notices(slack)
        assert [event for event, _ in notices] == ["notice.failed"]
        assert notices[0][1]["why"] == "the bot shut down before it was sent"
        told = [m["text"] for (channel, _), m in slack.fake.messages.items() if channel == DESK]
        assert any("could not be sent (the bot shut down" in text for text in told)


def _cards_of(slack: SlackDriver, user: str) -> list[str]:
    return [
        m["text"]
        for (channel, _), m in slack.fake.messages.items()
        if channel == DESK and m.get("blocks") and f"<@{user}>" in json.dumps(m["blocks"])
    ]


async def _notices_of(slack: SlackDriver, event: str) -> list[str]:
    return [e for e, _, _ in await _audit(slack) if e == event]
