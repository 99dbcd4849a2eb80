"""Everything the front end sends to Slack: answers in place, posts, ephemerals, modals, files."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.async_handler import AsyncRetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState
from slack_sdk.models.views import View
from slack_sdk.web.async_client import AsyncWebClient

from handlers.blocks.guide import Message
from handlers.payloads import Click

log = logging.getLogger(__name__)

_JSON = {"Content-Type": "application/json;charset=utf-8"}
# The Web API client of the workspace a Slack request came from (Bolt's, with that workspace's
# token), when one deployment serves several workspaces; the work a request starts keeps it.
_REQUEST_CLIENT: ContextVar[AsyncWebClient | None] = ContextVar("request_client", default=None)


@contextlib.contextmanager
def request_scope() -> Iterator[None]:
    """One Slack request's work: no client of an earlier request on the same connection."""
    token = _REQUEST_CLIENT.set(None)
    try:
        yield
    finally:
        _REQUEST_CLIENT.reset(token)


def serve_with(client: AsyncWebClient) -> None:
    """Answer the rest of this request (and the work it starts) with `client`."""
    _REQUEST_CLIENT.set(client)


class Replier:
    """The one place that decides how an answer reaches the person who clicked."""

    def __init__(
        self,
        client: AsyncWebClient,
        retry_handlers: list[AsyncRetryHandler],
        *,
        per_request: bool = False,
    ) -> None:
        self._client = client
        self._retry_handlers = retry_handlers
        # Several workspaces: answer with the client of the request's own workspace.
        self._per_request = per_request

    @property
    def client(self) -> AsyncWebClient:
        """The Web API client answers go through."""
        if self._per_request:
            found = _REQUEST_CLIENT.get()
            if found is not None:
                return found
        return self._client

    async def replace(self, clicked: Click, message: Message) -> None:
        """Show `message` in place of the one whose button was clicked."""
        channel, ts = clicked.channel_id, clicked.message_ts
        if clicked.in_view:
            await self.post_dm(clicked.user_id, message)
        elif clicked.ephemeral or not (channel and ts):
            await self.respond(clicked.reply_url, message, replace_original=True)
        else:
            await self.update(channel, ts, message)

    async def respond(self, response_url: str, message: Message, *, replace_original: bool) -> None:
        """Post to a response_url (ephemeral in channels), retrying as the Web API client does.

        This is what slack_sdk's AsyncWebhookClient does, less its per-post set-up (a new
        client, the proxy variables read again, the body walked and encoded twice), which cost a
        third of each post; the SDK's own retry handlers decide on 429s and dropped connections.
        """
        body = message.to_json(replace_original=replace_original, response_type="ephemeral")
        status = await self._post_json(response_url, body)
        if status != 200:
            log.warning("response_url answered %s", status)

    async def _post_json(self, url: str, body: str) -> int:
        """POST `body` until it lands or no retry handler wants another try; the last status."""
        session = self.client.session
        assert session is not None, "the Web API client is built with the shared HTTP session"
        request = HttpRequest(method="POST", url=url, headers=dict(_JSON), data=body.encode())
        state = RetryState()
        while True:
            state.next_attempt_requested = False
            try:
                async with session.post(url, data=request.data, headers=_JSON) as answer:
                    data = await answer.read()
                    response = HttpResponse(
                        status_code=answer.status, headers=dict(answer.headers), data=data
                    )
            except Exception as error:
                if not await self._retry(state, request, None, error):
                    raise
                continue
            if response.status_code < 400 or not await self._retry(state, request, response):
                return response.status_code

    async def _retry(
        self,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None,
        error: Exception | None = None,
    ) -> bool:
        """Let the first retry handler that takes this failure wait for the next attempt."""
        for handler in self._retry_handlers:
            if await handler.can_retry_async(
                state=state, request=request, response=response, error=error
            ):
                await handler.prepare_for_next_attempt_async(
                    state=state, request=request, response=response, error=error
                )
                return state.next_attempt_requested
        return False

    async def post(self, channel: str, message: Message) -> str:
        """Post a new message; its ts."""
        result = await self.client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks
        )
        return str(result["ts"])

    async def post_text(self, channel: str, text: str, *, thread_ts: str | None = None) -> str:
        """Post a line of text, in the thread of the message at `thread_ts` if given; its ts."""
        result = await self.client.chat_postMessage(channel=channel, text=text, thread_ts=thread_ts)
        return str(result["ts"])

    async def update(self, channel: str, ts: str, message: Message) -> None:
        """Show `message` in place of the bot's message at `ts` in `channel`."""
        await self.client.chat_update(
            channel=channel, ts=ts, text=message.text, blocks=message.blocks
        )

    async def post_dm(self, user_id: str, message: Message) -> str:
        """Open (or find) the DM with a person and post there; the message's ts."""
        return await self.post(await self.dm_channel(user_id), message)

    async def permalink(self, channel: str | None, ts: str | None) -> str | None:
        """A link to a message, or None when it cannot be had."""
        if not channel or not ts:
            return None
        try:
            response = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except SlackApiError:
            return None
        link = response.get("permalink")
        return str(link) if link else None

    async def open_modal(self, trigger_id: str | None, view: View) -> str | None:
        """Open a modal on a click's trigger; its view id, or None when Slack would not open it.

        The trigger expires about 3 s after the click, so this comes before anything slow.
        """
        if not trigger_id:
            return None
        try:
            opened = await self.client.views_open(trigger_id=trigger_id, view=view)
        except SlackApiError as exc:
            log.warning("could not open the %s modal: %s", view.callback_id, _error(exc))
            return None
        return str(opened["view"]["id"])

    async def update_modal(self, view_id: str, view: View) -> None:
        """Replace what an open modal shows."""
        await self.client.views_update(view_id=view_id, view=view)

    async def post_ephemeral(self, channel: str, user_id: str, text: str) -> None:
        """A line in `channel` that only `user_id` sees."""
        await self.client.chat_postEphemeral(channel=channel, user=user_id, text=text)

    async def dm_channel(self, user_id: str) -> str:
        """The id of the bot's DM with a person (opened if need be)."""
        opened = await self.client.conversations_open(users=user_id)
        return str(opened["channel"]["id"])

    async def upload_file(
        self, channel: str | None, content: bytes, filename: str, title: str
    ) -> str | None:
        """Share a file in `channel` (None: keep it the bot's own); its id, if Slack said."""
        uploaded = await self.client.files_upload_v2(
            channel=channel, content=content, filename=filename, title=title
        )
        file_id = (uploaded.get("file") or {}).get("id")
        return str(file_id) if file_id else None

    async def delete(self, channel: str | None, ts: str | None, file_id: str | None) -> None:
        """Delete a message and a file of the bot's (either may be None); a failure is logged."""
        try:
            if channel and ts:
                await self.client.chat_delete(channel=channel, ts=ts)
            if file_id:
                await self.client.files_delete(file=file_id)
        except SlackApiError as exc:
            log.warning("could not delete a message or file: %s", _error(exc))

    async def publish_home(self, user_id: str, view: View | dict[str, Any]) -> None:
        """Publish the person's Home tab."""
        await self.client.views_publish(user_id=user_id, view=view)


def _error(exc: SlackApiError) -> object:
    """Slack's error code, never the payload that caused it."""
    return exc.response.get("error")
