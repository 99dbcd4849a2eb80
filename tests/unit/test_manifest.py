"""The Slack app manifest asks for what the bot uses and nothing more."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
MANIFEST = yaml.safe_load((ROOT / "manifest.yml").read_text())


def test_the_manifest_has_both_commands_home_and_messages_tabs() -> None:
    features = MANIFEST["features"]
    assert [c["command"] for c in features["slash_commands"]] == ["/mfa-help", "/mfa-admin"]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_read_only_enabled"] is False
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == {
        "app_home_opened",
        "message.im",
    }
    assert MANIFEST["settings"]["socket_mode_enabled"] is True


def test_every_scope_is_explained_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    scopes = MANIFEST["oauth_config"]["scopes"]["bot"]
    assert len(scopes) == len(set(scopes))
    for scope in scopes:
        assert f"| `{scope}` |" in readme, scope
    assert "chat:write.public" not in scopes
    assert not any(s.endswith(":history") and s != "im:history" for s in scopes)
