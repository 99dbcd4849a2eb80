"""The core's ports answered by Slack: who is an admin, who a person is, and the notices."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot import wording
from bot.domain.guide import Guide
from bot.domain.helpdesk.posting import ChannelPacer
from bot.domain.notices import Notice, RequestChanged, RequesterAnswered, RequesterAsked
from bot.domain.platform import Platform
from bot.domain.ports import Clock
from bot.domain.requests import (
    ENDS_CANCELLING,
    NOT_ON_THE_CARD,
    ActionItem,
    Card,
    Change,
    HelpRequest,
)
from handlers.blocks.guide import Message
from handlers.blocks.helpdesk import (
    build_answer_note,
    build_employee_notice,
    build_manager_question,
    build_question,
    build_question_note,
    build_request_card,
    build_secret_notice,
    build_thread_note,
)
from handlers.blocks.notices import build_alert, build_request_status
from handlers.reply import Replier

log = logging.getLogger(__name__)

USERGROUP_FRESH = timedelta(minutes=1)
USERGROUP_STALE_LIMIT = timedelta(minutes=10)


class SlackAdminRoster:
    """IT_ADMIN_USERS plus the members of IT_ADMIN_USERGROUP, read with a short cache."""

    def __init__(
        self,
        client: AsyncWebClient,
        users: list[str],
        usergroup: str | None,
        clock: Clock,
        privileged_users: list[str] | None = None,
        privileged_usergroup: str | None = None,
    ) -> None:
        self._client = client
        self._users = frozenset(users)
        self._usergroup = usergroup
        self._privileged = frozenset(privileged_users or ())
        self._privileged_usergroup = privileged_usergroup
        self._clock = clock
        self._members: dict[str, frozenset[str]] = {}
        self._read_at: dict[str, datetime] = {}
        self._read_errors: dict[str, str] = {}

    async def is_admin(self, user_id: str) -> bool:
        """True for a listed admin or a current member of the admin user group."""
        if user_id in self._users:
            return True
        if self._usergroup is None:
            return False
        return user_id in (await self._group_members(self._usergroup) or frozenset())

    async def is_privileged(self, user_id: str) -> bool:
        """True when any of `privilege_reasons` holds (a listed person without reading a group)."""
        if user_id in self._privileged or user_id in self._users:
            return True
        return bool(await self.privilege_reasons(user_id))

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        """Why the lists make the person privileged: PRIVILEGED_USERS, PRIVILEGED_USERGROUP, an
        IT admin; a user group that cannot be read counts too (fail closed)."""
        reasons = []
        if user_id in self._privileged:
            reasons.append("listed in PRIVILEGED_USERS")
        if user_id in self._users:
            reasons.append("an IT admin (IT_ADMIN_USERS)")
        for group, member, name in (
            (self._usergroup, "an IT admin (IT_ADMIN_USERGROUP)", "the IT admin user group"),
            (self._privileged_usergroup, "in PRIVILEGED_USERGROUP", "the privileged user group"),
        ):
            if group is None:
                continue
            members = await self._group_members(group)
            if members is None:
                why = self._read_errors.get(group, "no answer")
                reasons.append(f"{name} {group} could not be read ({why})")
            elif user_id in members:
                reasons.append(member)
        return tuple(reasons)

    async def _group_members(self, usergroup: str) -> frozenset[str] | None:
        """The group's members; None when Slack cannot say and nothing recent is known."""
        now = self._clock.now()
        read_at = self._read_at.get(usergroup)
        if read_at is not None and now - read_at < USERGROUP_FRESH:
            return self._members[usergroup]
        try:
            response = await self._client.usergroups_users_list(usergroup=usergroup)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            # For a short while the members last confirmed still count; after that nobody from
            # the group does until Slack answers again (fail closed).
            log.warning("could not read the user group %s: %s", usergroup, exc)
            self._read_errors[usergroup] = (
                str(exc.response.get("error"))
                if isinstance(exc, SlackApiError)
                else type(exc).__name__
            )
            if read_at is not None and now - read_at < USERGROUP_STALE_LIMIT:
                return self._members[usergroup]
            return None
        self._members[usergroup] = frozenset(response.get("users", []))
        self._read_at[usergroup] = now
        return self._members[usergroup]


class SlackPeople:
    """Names and emails from users.info (scopes users:read and users:read.email)."""

    def __init__(self, client: AsyncWebClient, manager_field: str | None = None) -> None:
        self._client = client
        self._manager_field = manager_field

    async def manager_of(self, user_id: str) -> str | None:
        """The Slack user in the profile field MANAGER_PROFILE_FIELD (a user ID or an email)."""
        if not self._manager_field:
            return None
        try:
            profile = (await self._client.users_profile_get(user=user_id)).get("profile") or {}
            value = str(
                ((profile.get("fields") or {}).get(self._manager_field) or {}).get("value", "")
            )
            if re.fullmatch(r"[UW][A-Z0-9]{2,}", value):
                return value
            if "@" in value:
                found = await self._client.users_lookupByEmail(email=value)
                return str((found.get("user") or {}).get("id")) or None
        except SlackApiError as exc:
            log.warning("could not find the manager: %s", exc.response.get("error"))
        return None

    async def profile(self, user_id: str) -> tuple[str, str]:
        """(name, email), empty where Slack does not say."""
        try:
            response = await self._client.users_info(user=user_id)
        except SlackApiError as exc:
            log.warning("users.info failed: %s", exc.response.get("error"))
            return "", ""
        user = response.get("user") or {}
        profile = user.get("profile") or {}
        name = profile.get("real_name") or user.get("real_name") or user.get("name") or ""
        return str(name), str(profile.get("email") or "")


class SlackNotifier:
    """Keeps the request's card current, writes its thread, and DMs the employee.

    Posts to the help-desk and security channels wait their turn (`pacer`, shared by the
    replicas) and go through `channel_replier`, whose client does not sleep on a 429 by itself:
    a 429 puts every replica's next post to that channel back by its Retry-After."""

    def __init__(
        self,
        replier: Replier,
        channel_id: str,
        guide: Guide,
        provider: str,
        it_contact: str | None,
        security_channel: str | None = None,
        hours: str | None = None,
        *,
        pacer: ChannelPacer | None = None,
        channel_replier: Replier | None = None,
    ) -> None:
        self._replier = replier
        self._pacer = pacer
        self._posts = channel_replier or replier
        self._channel = channel_id
        self._security_channel = security_channel
        self._guide = guide
        self._provider = provider
        self._it_contact = it_contact  # escaped; None when IT_CONTACT is not set
        self._hours = hours  # escaped; None when HELPDESK_HOURS is not set

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        """Post the card; where it is."""
        card = build_request_card(request, actions, self._guide, self._provider)
        ts = await self._in_channel(self._channel, lambda: self._posts.post(self._channel, card))
        return Card(self._channel, ts)

    async def _in_channel(self, channel: str, post: Callable[[], Awaitable[str]]) -> str:
        """Make a post to a channel in its turn, every replica holding off on a 429 (the
        pacer's send). The post's ts."""
        if self._pacer is None:
            return await post()
        return await self._pacer.send(Platform.SLACK, channel, post, _wait_asked)

    async def tell(self, notice: Notice) -> str | None:
        """A request's change on its card, thread and DM (for a new request, where its DM is);
        an alert in the help-desk channel."""
        if isinstance(notice, RequestChanged):
            return await self._request_changed(notice)
        if isinstance(notice, RequesterAsked):
            await self._asked(notice)
        elif isinstance(notice, RequesterAnswered):
            await self._in_thread(notice.request, build_answer_note(notice.request, notice.answer))
        else:
            await self._alert(build_alert(notice), security=notice.for_security)
        return None

    async def _request_changed(self, notice: RequestChanged) -> str | None:
        """Update the card in place, note the change in its thread, tell the employee, and take
        the Cancel button off their first message once it can no longer be used; where the
        employee's message about a new request is."""
        request, change, actor = notice.request, notice.change, notice.actor
        actions = list(notice.actions)
        failures = 0
        if request.channel_id and request.message_ts:
            channel, ts = request.channel_id, request.message_ts
            if change not in NOT_ON_THE_CARD:
                card = build_request_card(request, actions, self._guide, self._provider)
                failures += await _attempt(
                    "update the card",
                    self._replier.update(channel, ts, card),
                )
            note = build_thread_note(request, change, actor, actions)
            if note is not None:
                failures += await _attempt(
                    "write the thread", self._in_thread_of(channel, ts, note)
                )
        employee = build_employee_notice(request, change, actions, self._it_contact, self._hours)
        sent: list[str] = []
        if employee is not None:
            failures += await _attempt(
                "tell the employee", self._tell_employee(request.requester_id, employee, sent)
            )
        if request.employee_message and change in ENDS_CANCELLING:
            channel, ts = json.loads(request.employee_message)
            failures += await _attempt(
                "update the employee's first message",
                self._replier.update(channel, ts, build_request_status(request)),
            )
        message = sent[0] if sent and change is Change.CREATED else None
        if failures and message is None:
            raise NoticeError(f"{failures} notice(s) about request #{request.id} failed")
        if failures:  # the employee's message is kept all the same: its button must go later
            log.warning("%s notice(s) about request #%s failed", failures, request.id)
        return message

    async def _tell_employee(self, user_id: str, message: Message, sent: list[str]) -> None:
        """DM the employee; where the message is goes to `sent` (a reference to store)."""
        channel = await self._replier.dm_channel(user_id)
        ts = await self._replier.post(channel, message)
        sent.append(json.dumps([channel, ts]))

    async def _asked(self, notice: RequesterAsked) -> None:
        """DM the employee IT's question (raises when it could not be: the admin is told), then
        note it in the card's thread."""
        request = notice.request
        question = build_question(request, notice.actor, notice.question)
        await self._replier.post_dm(request.requester_id, question)
        await self._in_thread(request, build_question_note(notice.actor, notice.question))

    async def _in_thread(self, request: HelpRequest, text: str) -> None:
        """A line in the request card's thread (none before the card is posted)."""
        if request.channel_id and request.message_ts:
            await self._in_thread_of(request.channel_id, request.message_ts, text)

    async def _in_thread_of(self, channel: str, ts: str, text: str) -> str:
        """A line in the thread of the message at `ts`, in the channel's turn; its ts."""
        return await self._in_channel(
            channel, lambda: self._posts.post_text(channel, text, thread_ts=ts)
        )

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        """DM the manager a yes/no question about the request."""
        await self._replier.post_dm(manager_id, build_manager_question(request))

    async def _alert(self, message: Message | str, *, security: bool) -> None:
        """Post a notice in the help-desk channel (and the security channel when `security`);
        each channel is tried even when the other refuses, then the first failure is raised."""
        channels = [self._channel]
        if security and self._security_channel:
            channels.append(self._security_channel)
        failure: Exception | None = None
        for channel in channels:
            try:
                await self._in_channel(channel, _poster(self._posts, channel, message))
            except Exception as exc:  # an alert must still reach security if the desk's fails
                failure = failure or exc
        if failure is not None:
            raise failure

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        """DM the employee a secret and when it expires, in their time zone; never anywhere
        else."""
        expires = wording.pass_expiry(expires_at, await self._time_zone(request.requester_id))
        notice = build_secret_notice(request, text, expires)
        await self._replier.post_dm(request.requester_id, notice)

    async def _time_zone(self, user_id: str) -> str | None:
        """The person's time zone as their Slack profile gives it (users.info), or None."""
        try:
            response = await self._replier.client.users_info(user=user_id)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
            log.warning("could not read a time zone: %s", exc)
            return None
        zone = (response.get("user") or {}).get("tz")
        return str(zone) if zone else None


def _poster(replier: Replier, channel: str, message: Message | str) -> Callable[[], Awaitable[str]]:
    """A post of `message` (a line of text or a message) to `channel`, to make later."""
    if isinstance(message, str):
        return lambda: replier.post_text(channel, message)
    return lambda: replier.post(channel, message)


def _wait_asked(exc: Exception) -> float | None:
    """The seconds Slack's 429 asks to wait (Retry-After, 1 when it does not say); None for
    any other failure."""
    if not isinstance(exc, SlackApiError) or exc.response.status_code != 429:
        return None
    value = (exc.response.headers or {}).get("Retry-After", "1")
    if isinstance(value, list):  # the headers as slack_sdk's retry handlers see them
        value = value[0] if value else "1"
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0


class NoticeError(Exception):
    """Some notices could not be sent; the others were."""


async def _attempt(what: str, send: Awaitable[object]) -> int:
    """Send one notice on its own, so one failure does not stop the others; 1 if it failed."""
    try:
        await send
    except (SlackApiError, aiohttp.ClientError, TimeoutError) as exc:
        log.warning("could not %s: %s", what, exc)
        return 1
    return 0
