"""Slack's payloads decoded into the objects the listeners read (handlers/payloads.py)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from handlers.ids import ActionId, FieldId
from handlers.payloads import (
    DECODED,
    Click,
    DenyMeta,
    EventCallback,
    Submission,
    decode,
)


def _click(**fields: Any) -> dict[str, Any]:
    return {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "name": "ignored"},
        "actions": [{"action_id": ActionId.APPROVE.value, "value": "42"}],
        "response_url": "https://hooks.example/r",
        "trigger_id": "tr",
        **fields,
    }


def test_a_click_on_a_message_names_its_channel_and_message_from_the_container() -> None:
    click = Click.of(_click(container={"type": "message", "channel_id": "C9", "message_ts": "1.2"}))
    assert (click.team_id, click.user_id, click.action_id) == ("T1", "U1", ActionId.APPROVE)
    assert (click.channel_id, click.message_ts, click.request_id) == ("C9", "1.2", 42)
    assert not click.in_view
    assert not click.ephemeral


def test_a_click_on_the_home_tab_has_no_channel_and_no_response_url() -> None:
    body = _click(container={"type": "view", "view_id": "V1"})
    del body["response_url"]
    click = Click.of(body)
    assert click.in_view
    assert click.channel_id is None
    assert click.reply_url == ""


@pytest.mark.parametrize("value", [None, "", "4x", "1" * 13])
def test_a_value_that_is_not_a_request_number_names_no_request(value: str | None) -> None:
    click = Click.of(_click(actions=[{"action_id": ActionId.APPROVE.value, "value": value}]))
    assert click.request_id is None


def test_the_ticked_actions_are_read_from_the_cards_state() -> None:
    ticked = {"selected_options": [{"value": "reset_mfa"}, {"value": "temporary_pass"}]}
    state = {"values": {"some-block": {ActionId.SELECT_ACTIONS.value: ticked}}}
    assert Click.of(_click(state=state)).ticked == ("reset_mfa", "temporary_pass")
    assert Click.of(_click()).ticked == ()


def _submission(values: dict[str, Any], metadata: str = "") -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": {"id": "T1"},
        "user": {"id": "U1"},
        "view": {
            "id": "V1",
            "type": "modal",
            "callback_id": "cb",
            "private_metadata": metadata,
            "state": {"values": values},
        },
    }


def test_a_submission_reads_typed_and_picked_inputs_by_block_id() -> None:
    values = {
        FieldId.DESCRIPTION: {f"{FieldId.DESCRIPTION}-input": {"value": "lost it"}},
        FieldId.LOST: {f"{FieldId.LOST}-input": {"selected_option": {"value": "yes"}}},
        FieldId.REMAINING: {f"{FieldId.REMAINING}-input": {"selected_option": None}},
        FieldId.DETAILS: {f"{FieldId.DETAILS}-input": {"value": None}},
    }
    sent = Submission.of(_submission(values))
    assert sent.text(FieldId.DESCRIPTION) == "lost it"
    assert sent.text(FieldId.LOST) == "yes"
    assert sent.text(FieldId.REMAINING) == ""
    assert sent.text(FieldId.DETAILS) == ""
    assert sent.text(FieldId.CONTACT) == ""
    assert sent.has(FieldId.DETAILS)
    assert not sent.has(FieldId.CONTACT)


def test_metadata_that_is_not_ours_does_not_decode() -> None:
    assert Submission.of(_submission({}, '{"request_id": 7}')).meta(DenyMeta).request_id == 7
    with pytest.raises(ValidationError):
        Submission.of(_submission({}, '{"request_id": "seven"}')).meta(DenyMeta)
    with pytest.raises(ValidationError):
        Submission.of(_submission({})).meta(DenyMeta)


@pytest.mark.parametrize(
    ("event", "answered"),
    [
        ({"type": "message", "channel_type": "im", "user": "U1", "channel": "D1"}, True),
        ({"type": "message", "channel_type": "im", "subtype": "message_changed"}, False),
        ({"type": "message", "channel_type": "im", "bot_id": "B1", "user": "U0"}, False),
        ({"type": "message", "channel_type": "channel", "user": "U1"}, False),
    ],
)
def test_only_a_persons_own_new_dm_is_answered(event: dict[str, Any], answered: bool) -> None:
    body = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}
    assert EventCallback.of(body).from_a_person_in_dm is answered


def test_a_malformed_payload_is_named_by_kind_and_path_never_by_value() -> None:
    body = _click(user={"id": 12345})
    assert decode(body)[1] == "block_actions: user.id: Input should be a valid string"
    assert decode(_click())[1] is None
    assert decode({"type": "something_else"}) == (None, None)


def test_a_payload_is_decoded_once_and_taken_from_the_listeners_context() -> None:
    body = _click(container={"type": "message", "channel_id": "C9", "message_ts": "1.2"})
    decoded, problem = decode(body)
    assert problem is None
    assert isinstance(decoded, Click)
    assert Click.of(body, {DECODED: decoded}) is decoded
    # Something else in the context (or nothing: Socket Mode) is decoded from the body again.
    assert Click.of(body, {DECODED: "not a payload"}) == decoded
    assert Click.of(body, {}) == decoded


def test_a_payload_of_the_wrong_shape_is_not_decoded() -> None:
    decoded, problem = decode(_click(actions=[]))
    assert decoded is None
    assert problem is not None
    assert problem.startswith("block_actions: actions")
