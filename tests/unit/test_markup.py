"""The guide's neutral markup: its tree, its plain text, its Slack mrkdwn and the guide checks."""

from __future__ import annotations

import string
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot import cli
from bot.app import GUIDE_CHECKS
from bot.domain import markup
from bot.domain.markup import (
    BulletList,
    Code,
    Emoji,
    Link,
    MarkupError,
    OrderedList,
    Paragraph,
    SoftBreak,
    Strong,
    Text,
)
from bot.guide import GuideError, guide_variables, load_guide
from handlers.blocks.guide_check import guide_problems
from handlers.blocks.markup import to_mrkdwn
from handlers.slack_rules.basics import SECTION_TEXT_LIMIT
from tests.unit.guide_files import guide_error, write_guide

SAMPLE = """**Try this**

Sign in and open
[your settings](https://example.org/a?b=1&c=2) :warning: `/mfa-help`

1. First
   step.

2. Second

- one
- two"""


def test_the_subset_parses_into_the_tree() -> None:
    assert markup.parse(SAMPLE) == (
        Paragraph((Strong((Text("Try this"),)),)),
        Paragraph(
            (
                Text("Sign in and open"),
                SoftBreak(),
                Link("https://example.org/a?b=1&c=2", (Text("your settings"),)),
                Text(" "),
                Emoji("warning"),
                Text(" "),
                Code("/mfa-help"),
            )
        ),
        OrderedList(
            1,
            (
                (Paragraph((Text("First"), SoftBreak(), Text("step."))),),
                (Paragraph((Text("Second"),)),),
            ),
        ),
        BulletList(((Paragraph((Text("one"),)),), (Paragraph((Text("two"),)),))),
    )


def test_slack_gets_mrkdwn_paragraphs_apart_and_one_line_per_item() -> None:
    assert to_mrkdwn(SAMPLE) == (
        "*Try this*\n\n"
        "Sign in and open <https://example.org/a?b=1&c=2|your settings> :warning: `/mfa-help`\n\n"
        "1. First step.\n"
        "2. Second\n\n"
        "• one\n"
        "• two"
    )


def test_a_numbered_list_keeps_its_first_number() -> None:
    assert to_mrkdwn("3. three\n4. four") == "3. three\n4. four"
    assert markup.plain("3. three\n4. four") == "3. three\n4. four"


def test_plain_text_drops_the_markup_and_the_emoji() -> None:
    assert markup.plain(SAMPLE) == (
        "Try this\nSign in and open your settings /mfa-help\n"
        "1. First step.\n2. Second\n- one\n- two"
    )
    assert markup.first_line(SAMPLE) == "Try this"
    assert markup.first_line('**No "Use a different option" link**\n\nMore.') == (
        'No "Use a different option" link'
    )


def test_links_lists_every_url() -> None:
    text = "[a](https://a.example) and **[b](https://b.example)**\n\n- [c](https://c.example)"
    assert markup.links(text) == ["https://a.example", "https://b.example", "https://c.example"]


@pytest.mark.parametrize(
    "typed",
    [
        "<!here> x & y",
        "*bold* _it_ `code` [a](b) <@U1>",
        "1. not a list",
        "- nor this",
        "# no",
        ":x:",
    ],
)
def test_escaped_text_reads_as_typed(typed: str) -> None:
    assert markup.plain(markup.escape(typed)) == typed
    assert to_mrkdwn(markup.escape(typed)) == (
        typed.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def test_every_punctuation_mark_survives_escaping() -> None:
    assert markup.plain(markup.escape(string.punctuation)) == string.punctuation


def test_slack_text_is_escaped_so_it_cannot_ping_or_hide_links() -> None:
    assert to_mrkdwn("a \\<!channel\\> & b") == "a &lt;!channel&gt; &amp; b"
    assert to_mrkdwn("`<@U1>`") == "`&lt;@U1&gt;`"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("# Heading", "heading"),
        ("> quoted", "quote"),
        ("*italic*", "single"),
        ("_italic_", "single"),
        ("**unclosed", "asterisk"),
        ("see <https://example.org|here>", "[text](url)"),
        ("see <https://example.org>", "[text](url)"),
        ("<b>bold</b>", "HTML"),
        ("![alt](https://example.org/i.png)", "image"),
        ("    indented code", "code block"),
        ("```\nfenced\n```", "code block"),
        ("---", "rule"),
        ("- a\n  - nested", "list inside a list"),
    ],
)
def test_markup_outside_the_subset_is_refused_saying_what(text: str, named: str) -> None:
    with pytest.raises(MarkupError) as caught:
        markup.parse(text)
    assert named in str(caught.value)


def test_a_step_in_unsupported_markup_names_the_field(tmp_path: Path) -> None:
    message = guide_error(tmp_path, lambda d: d["topics"][1]["steps"][2].update(text="# Title"))
    assert message.startswith(f"{tmp_path / 'guide.yaml'}: topics[1].steps[2].text: a heading")


def test_a_guide_in_slack_mrkdwn_is_refused_with_what_towrite_guide(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["texts"].update(worked="see <https://a.example|here>")
    )
    assert "texts.worked" in message
    assert "[text](url)" in message


def test_a_markdown_link_that_is_not_https_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path,
        lambda d: d["topics"][5]["steps"][0].update(text="see [here](javascript:alert(1))"),
    )
    assert "topics[5].steps[0].text" in message
    assert "https" in message


def test_a_summary_link_that_is_not_https_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][0].update(summary="[x](http://a.example)")
    )
    assert "topics[0].summary" in message


def test_slack_limits_apply_to_the_text_as_written_for_slack(tmp_path: Path) -> None:
    # 2,400 characters of markup, 4,000 once Slack's "&amp;" is written for each "&"
    message = guide_error(tmp_path, lambda d: d["topics"][2]["steps"][0].update(text="x & " * 600))
    assert "topics[2].steps[0].text" in message
    assert "3000" in message
    # 3,120 characters of markup, 2,080 in Slack: bold takes one '*' each side there
    fits = write_guide(tmp_path, lambda d: d["topics"][2]["steps"][0].update(text="**a** " * 520))
    fitted = load_guide(fits, checks=GUIDE_CHECKS).topics[2].steps[0].text
    assert len(to_mrkdwn(fitted)) <= SECTION_TEXT_LIMIT


def test_a_choice_label_over_slacks_button_limit_is_refused(tmp_path: Path) -> None:
    message = guide_error(
        tmp_path, lambda d: d["topics"][1]["steps"][0]["choices"][0].update(label="y" * 76)
    )
    assert "topics[1].steps[0].choices[0].label" in message
    assert "75" in message


def test_the_shipped_guide_fits_slack() -> None:
    assert guide_problems(load_guide()) == []


def test_the_core_alone_does_not_check_slacks_limits(tmp_path: Path) -> None:
    path = write_guide(tmp_path, lambda d: d["topics"][2].update(button="x" * 76))
    assert load_guide(path).topics[2].button == "x" * 76
    with pytest.raises(GuideError, match=r"topics\[2\]\.button"):
        load_guide(path, checks=GUIDE_CHECKS)


def test_the_it_contact_setting_shows_as_typed_in_slack() -> None:
    settings = SimpleNamespace(
        it_contact="<!here> call *IT* & ask for <@U1>",
        manage_settings_url="https://a.example/settings",
        app_passwords_url="https://a.example/app-passwords",
    )
    guide = load_guide(None, guide_variables(settings))  # type: ignore[arg-type]
    assert "&lt;!here&gt; call *IT* &amp; ask for &lt;@U1&gt;." in to_mrkdwn(guide.texts.contact_it)


def test_check_guide_names_the_file_and_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "GUIDE_FILE", "DATABASE_URL"):
        monkeypatch.delenv(variable, raising=False)
    path = write_guide(tmp_path, lambda d: d["topics"][3]["steps"][1].update(text="x & " * 800))
    assert cli.main(["check-guide", str(path)]) == cli.EXIT_CONFIG
    said = capsys.readouterr().err
    assert said.startswith(f"mfa-helpdesk: invalid guide: {path}: topics[3].steps[1].text: ")
    assert "3000" in said
