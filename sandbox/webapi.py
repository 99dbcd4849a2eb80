"""The sandbox's Slack Web API: the methods the bot calls, answered in Slack's documented shapes."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from handlers.slack_rules import Problem, message_problems, refusal, view_problems
from sandbox.workspace import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    MODAL_STACK_LIMIT,
    TEAM_ID,
    TEAM_NAME,
    Ephemeral,
    Message,
    OpenView,
    Source,
    StoredFile,
    Workspace,
)

log = logging.getLogger(__name__)

Params = dict[str, Any]
Answer = dict[str, Any]


class SlackError(Exception):
    """An `ok: false` answer with Slack's error code."""

    def __init__(self, error: str, **extra: Any) -> None:
        super().__init__(error)
        self.error = error
        self.extra = extra


class WebApi:
    """Answers /api/{method}, response URLs and file uploads for one workspace."""

    def __init__(self, workspace: Workspace, token: str, origin: str) -> None:
        self.workspace = workspace
        self._token = token
        self.origin = origin
        self._methods: dict[str, Callable[[Params], Answer]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.open": self.conversations_open,
            "users.info": self.users_info,
            "users.profile.get": self.users_profile_get,
            "users.lookupByEmail": self.users_lookup_by_email,
            "usergroups.users.list": self.usergroups_users_list,
            "views.open": self.views_open,
            "views.push": self.views_push,
            "views.update": self.views_update,
            "views.publish": self.views_publish,
            "files.getUploadURLExternal": self.files_get_upload_url,
            "files.completeUploadExternal": self.files_complete_upload,
            "files.delete": self.files_delete,
        }
        self._uploads: dict[str, bytes] = {}
        self._pending_names: dict[str, str] = {}

    def add_routes(self, app: web.Application) -> None:
        """Serve the Web API, response URLs and uploads on `app`."""
        app.router.add_route("*", "/api/{method}", self.handle_api)
        app.router.add_post("/response/{rid}", self.handle_response_url)
        app.router.add_post("/upload/{fid}", self.handle_upload)

    # -- HTTP -----------------------------------------------------------------------------------

    async def handle_api(self, request: web.Request) -> web.Response:
        """One Web API call: authenticate, dispatch, answer; unknown methods are logged loudly."""
        method = request.match_info["method"]
        params = await _params(request)
        auth = request.headers.get("Authorization", "")
        if not hmac.compare_digest(auth, f"Bearer {self._token}"):
            self.workspace.note("refused", f"{method}: invalid_auth")
            return web.json_response({"ok": False, "error": "invalid_auth"})
        handler = self._methods.get(method)
        if handler is None:
            self.workspace.note("unknown", f"{method}: not a method the sandbox knows")
            return web.json_response({"ok": False, "error": "unknown_method"})
        try:
            answer = handler(params)
        except SlackError as exc:
            self.workspace.note("refused", f"{method}: {exc.error}")
            return web.json_response({"ok": False, "error": exc.error, **exc.extra})
        self.workspace.note("call", f"{method} {_summary(params)}".rstrip())
        return web.json_response({"ok": True, **answer})

    async def handle_response_url(self, request: web.Request) -> web.Response:
        """A post to a response URL: replace, delete, or add an ephemeral or channel message."""
        rid = request.match_info["rid"]
        try:
            if request.content_type != "application/json":
                raise ValueError("not JSON")
            payload = await request.json()
            if not isinstance(payload, dict):
                raise ValueError("not an object")
        except ValueError:
            return web.json_response({"ok": False, "error": "invalid_payload"}, status=400)
        source = self.workspace.use_response_url(rid)
        if source is None:
            self.workspace.note("refused", f"response_url {rid}: used up, expired or unknown")
            return web.json_response({"ok": False, "error": "used_url"}, status=404)
        try:
            self._respond(source, payload)
        except SlackError as exc:
            self.workspace.note("refused", f"response_url {rid}: {exc.error}")
            return web.json_response({"ok": False, "error": exc.error, **exc.extra}, status=400)
        self.workspace.note("call", f"response_url {rid} {_summary(payload)}".rstrip())
        return web.json_response({"ok": True})

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload step of files.getUploadURLExternal."""
        fid = request.match_info["fid"]
        if fid not in self._pending_names:
            return web.Response(status=404, text="unknown upload")
        self._uploads[fid] = await request.read()
        return web.Response(text=f"OK - {len(self._uploads[fid])}")

    # -- response URLs ----------------------------------------------------------------------------

    def _respond(self, source: Source, payload: Params) -> None:
        ws = self.workspace
        _refuse_if_any(message_problems(payload))
        text = str(payload.get("text") or "")
        blocks = _blocks(payload)
        if payload.get("delete_original"):
            self._delete_source(source)
            return
        if payload.get("replace_original"):
            shown: Message | Ephemeral | None = ws.ephemerals.get(source.ephemeral_id or "")
            if shown is None:
                shown = ws.messages.get(source.channel, {}).get(source.message_ts or "")
            if shown is not None:
                ws.edit(shown, text, blocks)
                return
        if payload.get("response_type") == "in_channel":
            ws.add_message(source.channel, text, blocks, BOT_USER_ID, payload.get("thread_ts"))
        else:
            ws.add_ephemeral(source.channel, source.user, text, blocks)

    def _delete_source(self, source: Source) -> None:
        ws = self.workspace
        if source.ephemeral_id:
            ws.ephemerals.pop(source.ephemeral_id, None)
        elif source.message_ts:
            ws.messages.get(source.channel, {}).pop(source.message_ts, None)
        ws.touch()

    # -- auth, users ------------------------------------------------------------------------------

    def auth_test(self, _p: Params) -> Answer:
        """auth.test: who the token belongs to."""
        return {
            "url": f"{self.origin}/",
            "team": TEAM_NAME,
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def users_info(self, p: Params) -> Answer:
        """users.info: a person's user object."""
        return {"user": self._user(str(p.get("user", "")))}

    def users_profile_get(self, p: Params) -> Answer:
        """users.profile.get: a person's profile (no custom fields in the sandbox)."""
        return {"profile": {**self._user(str(p.get("user", "")))["profile"], "fields": {}}}

    def users_lookup_by_email(self, p: Params) -> Answer:
        """users.lookupByEmail."""
        wanted = str(p.get("email", "")).lower()
        for person in self.workspace.people.values():
            if person.email == wanted:
                return {"user": self._user(person.id)}
        raise SlackError("users_not_found")

    def usergroups_users_list(self, p: Params) -> Answer:
        """usergroups.users.list: the sandbox has no user groups."""
        raise SlackError("no_such_subteam")

    def _user(self, user_id: str) -> dict[str, Any]:
        person = self.workspace.people.get(user_id)
        if person is None:
            raise SlackError("user_not_found")
        first = person.name.split()[0]
        return {
            "id": person.id,
            "team_id": TEAM_ID,
            "name": person.email.split("@", 1)[0],
            "real_name": person.name,
            "deleted": False,
            "is_bot": False,
            "is_admin": False,
            "tz": "Europe/London",
            "profile": {
                "real_name": person.name,
                "display_name": first,
                "email": person.email,
                "title": person.title,
                "team": TEAM_ID,
            },
        }

    # -- conversations and messages ---------------------------------------------------------------

    def conversations_open(self, p: Params) -> Answer:
        """conversations.open: the bot's DM with one person."""
        users = [u for u in str(p.get("users", "")).split(",") if u]
        if not users:
            raise SlackError("users_list_not_supplied")
        if len(users) > 1:
            raise SlackError("not_supported")
        dm = self.workspace.dm_of(users[0])
        if dm is None:
            raise SlackError("user_not_found")
        return {"channel": {"id": dm}, "no_op": True, "already_open": True}

    def chat_post_message(self, p: Params) -> Answer:
        """chat.postMessage: a new message by the bot (in a thread with thread_ts)."""
        channel = self._channel_for_bot(str(p.get("channel", "")))
        text, blocks = _text_and_blocks(p)
        thread_ts = p.get("thread_ts") or None
        if thread_ts and thread_ts not in self.workspace.messages[channel]:
            raise SlackError("thread_not_found")
        message = self.workspace.add_message(channel, text, blocks, BOT_USER_ID, thread_ts)
        return {"channel": channel, "ts": message.ts, "message": self._message_json(message)}

    def chat_update(self, p: Params) -> Answer:
        """chat.update: the bot's message changed in place."""
        channel = self._channel_for_bot(str(p.get("channel", "")))
        message = self.workspace.messages[channel].get(str(p.get("ts", "")))
        if message is None:
            raise SlackError("message_not_found")
        if message.author != BOT_USER_ID:
            raise SlackError("cant_update_message")
        if "blocks" in p:  # left out, the message keeps its blocks (an empty list removes them)
            self.workspace.edit(message, *_text_and_blocks(p))
        else:
            self.workspace.edit(message, str(p.get("text") or message.text), message.blocks)
        return {
            "channel": channel,
            "ts": message.ts,
            "text": message.text,
            "message": self._message_json(message),
        }

    def chat_delete(self, p: Params) -> Answer:
        """chat.delete: the bot removes one of its messages."""
        channel = self._channel_for_bot(str(p.get("channel", "")))
        ts = str(p.get("ts", ""))
        message = self.workspace.messages[channel].get(ts)
        if message is None:
            raise SlackError("message_not_found")
        if message.author != BOT_USER_ID:
            raise SlackError("cant_delete_message")
        del self.workspace.messages[channel][ts]
        self.workspace.touch()
        return {"channel": channel, "ts": ts}

    def chat_post_ephemeral(self, p: Params) -> Answer:
        """chat.postEphemeral: a message one member of the channel sees."""
        channel = self._channel_for_bot(str(p.get("channel", "")))
        user = str(p.get("user", ""))
        if user not in self.workspace.conversations[channel].members:
            raise SlackError("user_not_in_channel")
        text, blocks = _text_and_blocks(p)
        ephemeral = self.workspace.add_ephemeral(channel, user, text, blocks)
        return {"message_ts": ephemeral.ts}

    def chat_get_permalink(self, p: Params) -> Answer:
        """chat.getPermalink: a link that opens the message in the sandbox."""
        channel = str(p.get("channel", ""))
        ts = str(p.get("message_ts", ""))
        if ts not in self.workspace.messages.get(channel, {}):
            raise SlackError("message_not_found")
        return {"channel": channel, "permalink": f"{self.origin}/#{channel}/{ts}"}

    def _channel_for_bot(self, channel: str) -> str:
        if channel not in self.workspace.conversations:
            raise SlackError("channel_not_found")
        return channel

    def _message_json(self, message: Message) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": "message",
            "text": message.text,
            "user": message.author,
            "ts": message.ts,
            "team": TEAM_ID,
            "blocks": message.blocks,
        }
        if message.author == BOT_USER_ID:
            body |= {"bot_id": BOT_ID, "app_id": APP_ID}
        if message.thread_ts:
            body["thread_ts"] = message.thread_ts
        return body

    # -- views ------------------------------------------------------------------------------------

    def views_open(self, p: Params) -> Answer:
        """views.open: a new modal for the person whose click gave the trigger."""
        user = self.workspace.use_trigger(str(p.get("trigger_id", "")))
        if user is None:
            raise SlackError("expired_trigger_id")
        view = _json_param(p, "view")
        check_view(view, "modal")
        opened = self.workspace.new_view(user, view)
        self.workspace.modals[user] = [opened]
        self.workspace.touch()
        return {"view": self._view_json(opened)}

    def views_push(self, p: Params) -> Answer:
        """views.push: a modal on top of the one the person has open."""
        user = self.workspace.use_trigger(str(p.get("trigger_id", "")))
        if user is None:
            raise SlackError("expired_trigger_id")
        stack = self.workspace.modals.get(user)
        if not stack:
            raise SlackError("not_found")
        if len(stack) >= MODAL_STACK_LIMIT:
            raise SlackError("push_limit_reached")
        view = _json_param(p, "view")
        check_view(view, "modal")
        pushed = self.workspace.new_view(user, view)
        stack.append(pushed)
        self.workspace.touch()
        return {"view": self._view_json(pushed)}

    def views_update(self, p: Params) -> Answer:
        """views.update: an open modal changed, by view_id or external_id, optionally by hash."""
        found = self.workspace.find_view(str(p.get("view_id", "")), str(p.get("external_id", "")))
        if found is None:
            raise SlackError("not_found")
        if p.get("hash") and p["hash"] != found.hash:
            raise SlackError("hash_conflict")
        view = _json_param(p, "view")
        check_view(view, found.view.get("type", "modal"))
        self.workspace.replace_view(found, view)
        return {"view": self._view_json(found)}

    def views_publish(self, p: Params) -> Answer:
        """views.publish: a person's Home tab."""
        user = str(p.get("user_id", ""))
        if user not in self.workspace.people:
            raise SlackError("user_not_found")
        view = _json_param(p, "view")
        check_view(view, "home")
        home = self.workspace.homes.get(user)
        if home is None:
            home = self.workspace.homes[user] = self.workspace.new_view(user, view)
            self.workspace.touch()
        else:
            self.workspace.replace_view(home, view)
        return {"view": self._view_json(home)}

    def _view_json(self, opened: OpenView) -> dict[str, Any]:
        return {
            "id": opened.id,
            "team_id": TEAM_ID,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
            "type": opened.view.get("type", "modal"),
            "callback_id": opened.view.get("callback_id", ""),
            "external_id": opened.view.get("external_id", ""),
            "private_metadata": opened.view.get("private_metadata", ""),
            "title": opened.view.get("title"),
            "submit": opened.view.get("submit"),
            "close": opened.view.get("close"),
            "blocks": opened.view.get("blocks", []),
            "state": {"values": {}},
            "hash": opened.hash,
            "root_view_id": opened.id,
            "previous_view_id": None,
            "clear_on_close": bool(opened.view.get("clear_on_close")),
            "notify_on_close": bool(opened.view.get("notify_on_close")),
        }

    # -- files ------------------------------------------------------------------------------------

    def files_get_upload_url(self, p: Params) -> Answer:
        """files.getUploadURLExternal: where to upload the bytes."""
        name = str(p.get("filename", ""))
        if not name or not str(p.get("length", "")).isdigit():
            raise SlackError("invalid_arguments")
        fid = self.workspace.new_id("F")
        self._pending_names[fid] = name
        return {"upload_url": f"{self.origin}/upload/{fid}", "file_id": fid}

    def files_complete_upload(self, p: Params) -> Answer:
        """files.completeUploadExternal: the uploads become files, shared in channel_id."""
        listed = _json_param(p, "files") if isinstance(p.get("files"), str) else p.get("files")
        if not isinstance(listed, list) or not listed:
            raise SlackError("invalid_arguments")
        channel = str(p.get("channel_id") or "") or None
        if channel is not None:
            self._channel_for_bot(channel)
        done = []
        for item in listed:
            fid = str(item.get("id", ""))
            if fid not in self._uploads:
                raise SlackError("file_not_found")
            title = str(item.get("title") or self._pending_names[fid])
            self.workspace.files[fid] = StoredFile(
                fid, self._pending_names.pop(fid), title, self._uploads.pop(fid), channel
            )
            done.append({"id": fid, "title": title})
        if channel is not None:
            comment = str(p.get("initial_comment") or "")
            files = [item["id"] for item in done]
            self.workspace.add_message(
                channel, comment, [], BOT_USER_ID, p.get("thread_ts") or None, files
            )
        return {"files": done}

    def files_delete(self, p: Params) -> Answer:
        """files.delete: the file goes, and so does its share in a conversation."""
        fid = str(p.get("file", ""))
        if self.workspace.files.pop(fid, None) is None:
            raise SlackError("file_not_found")
        for conversation in self.workspace.messages.values():
            for ts, message in list(conversation.items()):
                if fid in message.files:
                    message.files.remove(fid)
                    if not message.files and not message.text and not message.blocks:
                        del conversation[ts]
        self.workspace.touch()
        return {}


async def _params(request: web.Request) -> Params:
    params: Params = dict(request.query)
    raw = await request.read()
    if not raw:
        return params
    if request.content_type == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            return params
        if isinstance(body, dict):
            params.update(body)
    else:
        params.update(parse_qsl(raw.decode("utf-8", "replace")))
    return params


def _json_param(p: Params, name: str) -> Any:
    value = p.get(name)
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise SlackError("invalid_arguments") from None
    if value is None:
        raise SlackError("invalid_arguments")
    return value


def _text_and_blocks(p: Params) -> tuple[str, list[dict[str, Any]]]:
    _refuse_if_any(message_problems(p))
    return str(p.get("text") or ""), _blocks(p)


def _blocks(p: Params) -> list[dict[str, Any]]:
    """The blocks of a payload that passed Slack's rules (a list, perhaps sent as JSON text)."""
    raw = p.get("blocks") or []
    blocks: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else raw
    return blocks


def check_view(view: Any, kind: str) -> None:
    """Refuse (SlackError) a view Slack would refuse: wrong type, bad blocks, bad title."""
    _refuse_if_any(view_problems(view, kind))


def _refuse_if_any(problems: list[Problem]) -> None:
    """Answer Slack's refusal when a payload breaks Slack's rules."""
    if problems:
        answer = refusal(problems)
        raise SlackError(
            answer["error"], errors=answer["errors"], response_metadata=answer["response_metadata"]
        )


def _summary(params: Params) -> str:
    """What the log shows of a call: where it went, never its text (it may be a secret)."""
    shown = [
        f"{key}={params[key]}" for key in ("channel", "user", "ts", "user_id") if key in params
    ]
    return " ".join(shown)
