"""SMTP_URL and MAIL_FROM as an operator sets them: clear refusals, and the password never shown."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from bot.settings import smtp_target
from tests.integration.test_cli import _run, env

__all__ = ["env"]

BASE = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("ftp://mailer:hunter2pw@mail.example.com", "must start with smtp:// or smtps://"),
        ("smtp://mailer:hunter2pw@mail.example.com?starttls=off", "would send its password"),
        ("smtp://mailer:hunter2pw@mail.example.com?tls=maybe", "unknown option 'tls'"),
    ],
)
def test_an_unusable_smtp_url_is_refused_without_showing_it(
    env: dict[str, str], url: str, says: str
) -> None:
    result = _run(["serve"], {**env, **BASE, "SMTP_URL": url, "MAIL_FROM": "it@example.com"})
    assert result.returncode == 2
    assert "SMTP_URL" in result.stderr
    assert says in result.stderr
    assert "hunter2pw" not in result.stderr
    assert "Traceback" not in result.stderr


def test_smtp_url_without_mail_from_names_mail_from(env: dict[str, str]) -> None:
    result = _run(["serve"], {**env, **BASE, "SMTP_URL": "smtps://mail.example.com"})
    assert result.returncode == 2
    assert "MAIL_FROM is not set" in result.stderr


def test_the_url_reads_as_documented() -> None:
    starttls = smtp_target(SecretStr("smtp://it%40example.com:p%40ss@mail.example.com"))
    assert (starttls.host, starttls.port, starttls.implicit_tls, starttls.starttls) == (
        "mail.example.com",
        587,
        False,
        True,
    )
    assert starttls.username == "it@example.com"
    assert starttls.password is not None
    assert starttls.password.get_secret_value() == "p@ss"
    assert "p@ss" not in repr(starttls)
    implicit = smtp_target(SecretStr("smtps://relay.example.com"))
    assert (implicit.port, implicit.implicit_tls, implicit.starttls) == (465, True, False)
    relay = smtp_target(SecretStr("smtp://127.0.0.1:25?starttls=off"))
    assert (relay.port, relay.starttls, relay.password) == (25, False, None)
