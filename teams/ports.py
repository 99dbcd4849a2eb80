"""The core's ports answered by Teams: who is an admin, who a person is, and the notices."""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

import aiohttp
from microsoft_agents.activity import Activity
from multidict import CIMultiDict

from bot import wording
from bot.domain.contacts import Contact
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
from teams.addresses import Addresses
from teams.cards.helpdesk import (
    build_answer_note,
    build_employee_notice,
    build_manager_question,
    build_notice,
    build_question,
    build_question_note,
    build_request_card,
    build_secret_notice,
    build_thread_note,
)
from teams.cards.notices import build_alert, build_request_status
from teams.cards.text import emoji, escape
from teams.connector import Connector, UnsafeServiceUrlError
from teams.conversation import card_message, thread_of
from teams.graph import GraphError, GraphPeople

log = logging.getLogger(__name__)

GROUP_FRESH = timedelta(minutes=1)
# Teams' answers for a chat the bot may no longer write to (the app removed, the bot blocked).
GONE = frozenset({403, 404})
_KEPT = 4096
_SENDING_FAILED = (aiohttp.ClientError, TimeoutError, UnsafeServiceUrlError)


class NoPersonalChatError(Exception):
    """The person never wrote to the bot nor installed it: there is no chat to reach them in."""


class NoHelpdeskAddressError(Exception):
    """The bot has heard from nobody in the tenant yet: it does not know where Teams is."""


class TeamsAdminRoster:
    """TEAMS_IT_ADMINS plus the members of TEAMS_IT_ADMIN_GROUP (Graph, a minute's cache, and
    no answer from Graph is no admin)."""

    def __init__(
        self, admins: Iterable[str], group: str | None, graph: GraphPeople | None, clock: Clock
    ) -> None:
        self._admins = frozenset(admin.lower() for admin in admins)
        self._group = group.lower() if group else None
        self._graph = graph
        self._clock = clock
        self._answers: OrderedDict[str, tuple[bool, datetime]] = OrderedDict()
        self._last_error = ""

    async def is_admin(self, user_id: str) -> bool:
        """A listed admin, or a member of the admin group as Graph says now (a minute's cache)."""
        if user_id.lower() in self._admins:
            return True
        return await self._in_group(user_id) is True

    async def is_privileged(self, user_id: str) -> bool:
        """Every IT admin is privileged, and so is anyone whose group cannot be read."""
        return bool(await self.privilege_reasons(user_id))

    async def privilege_reasons(self, user_id: str) -> tuple[str, ...]:
        """Why the Teams settings make the person privileged (fail closed on the group)."""
        reasons = []
        if user_id.lower() in self._admins:
            reasons.append("an IT admin (TEAMS_IT_ADMINS)")
        if self._group is not None:
            member = await self._in_group(user_id)
            if member is None:
                why = self._last_error or "no answer"
                reasons.append(f"the IT admin group {self._group} could not be read ({why})")
            elif member:
                reasons.append("an IT admin (TEAMS_IT_ADMIN_GROUP)")
        return tuple(reasons)

    async def _in_group(self, user_id: str) -> bool | None:
        """Membership of the admin group; None when Graph cannot say (nothing is assumed)."""
        if self._group is None or self._graph is None:
            return False
        key, now = user_id.lower(), self._clock.now()
        known = self._answers.get(key)
        if known is not None and now - known[1] < GROUP_FRESH:
            return known[0]
        try:
            member = await self._graph.in_group(key, self._group)
        except GraphError as exc:
            log.warning("could not read the IT admin group %s: %s", self._group, exc)
            self._last_error = str(exc)[:200]
            self._answers.pop(key, None)
            return None
        self._answers[key] = (member, now)
        self._answers.move_to_end(key)
        while len(self._answers) > _KEPT:
            self._answers.popitem(last=False)
        return member


class TeamsPeople:
    """Names and emails as Teams last said them (kept with the person's address, refreshed from
    the conversation's member list), managers from Graph when the ENTRA_* app is set."""

    def __init__(
        self, addresses: Addresses, connector: Connector, graph: GraphPeople | None = None
    ) -> None:
        self._addresses = addresses
        self._connector = connector
        self._graph = graph

    async def profile(self, user_id: str) -> tuple[str, str]:
        """(name, email); the email is asked of Teams once, then kept."""
        contact = await self._addresses.person(user_id)
        if contact is None:
            return "", ""
        if contact.email:
            return contact.name, contact.email
        name, email = await self._member(contact)
        await self._addresses.learned(contact, name, email)
        return name or contact.name, email

    async def manager_of(self, user_id: str) -> str | None:
        """The manager's Entra object ID from Graph; None without Graph or when it cannot say."""
        if self._graph is None:
            return None
        try:
            return await self._graph.manager_of(user_id)
        except GraphError as exc:
            log.warning("could not read the manager from Graph: %s", exc)
            return None

    async def _member(self, contact: Contact) -> tuple[str, str]:
        """What the personal chat's member list says of the person: (name, email or UPN)."""
        address = contact.address
        account = str((address.get("user") or {}).get("id") or "")
        conversation = str((address.get("conversation") or {}).get("id") or "")
        service_url = str(address.get("serviceUrl") or "")
        if not (account and conversation and service_url):
            return "", ""
        try:
            member = await self._connector.member(service_url, conversation, account)
        except _SENDING_FAILED as exc:
            log.warning("could not read a member of a personal chat: %s", exc)
            return "", ""
        email = member.email or member.user_principal_name or ""
        return member.name or "", email


class TeamsNotifier:
    """The request's card in the Teams help-desk channel (a thread of its own, its card updated
    in place and each change replied in the thread), and the employee's personal chat."""

    def __init__(
        self,
        connector: Connector,
        addresses: Addresses,
        channel_id: str,
        guide: Guide,
        provider: str,
        it_contact: str | None,
        security_channel: str | None = None,
        hours: str | None = None,
        *,
        pacer: ChannelPacer | None = None,
    ) -> None:
        self._connector = connector
        self._addresses = addresses
        self._pacer = pacer  # spaces the posts to the help-desk and security channels
        self._channel = channel_id
        self._security_channel = security_channel
        self._guide = guide
        self._provider = provider
        self._it_contact = it_contact  # plain text; None when IT_CONTACT is not set
        self._hours = hours  # plain text; None when HELPDESK_HOURS is not set

    async def post_request(self, request: HelpRequest, actions: list[ActionItem]) -> Card:
        """Start the request's thread in the help-desk channel with its card; where it is."""
        service_url, tenant = await self._desk(request)
        names = await self._names(request)
        unreachable = await self._addresses.person(request.requester_id) is None
        card = build_request_card(
            request, actions, self._guide, self._provider, names, unreachable=unreachable
        )
        posted = await self._paced(
            self._channel,
            lambda: self._connector.start_thread(
                service_url, tenant, self._channel, card_message(card)
            ),
        )
        return Card(self._channel, posted.activity_id)

    async def _paced[R](self, channel: str, post: Callable[[], Awaitable[R]]) -> R:
        """Make a post to a channel in its turn, every replica holding off when the Bot
        Connector answers 429 (the pacer's send)."""
        if self._pacer is None:
            return await post()
        return await self._pacer.send(Platform.TEAMS, channel, post, _wait_asked)

    async def tell(self, notice: Notice) -> str | None:
        """A request's change on its card, in its thread and to its employee (for a new request,
        where the employee's message is); an alert as a new thread in the help-desk channel,
        and in the security channel too when it is for security. Each channel is tried even
        when the other refuses; then the first failure is raised."""
        if isinstance(notice, RequestChanged):
            return await self._request_changed(notice)
        if isinstance(notice, RequesterAsked | RequesterAnswered):
            await self._outreach(notice)
            return None
        request = getattr(notice, "request", None)
        names = await self._addresses.names([getattr(notice, "actor", None)])
        if request is not None:
            names |= await self._names(request)
        channels = [self._channel]
        if notice.for_security and self._security_channel:
            channels.append(self._security_channel)
        failure: Exception | None = None
        for channel in channels:
            try:
                service_url, tenant = await self._desk(request, channel)
                alert = card_message(build_alert(notice, names))
                await self._paced(
                    channel,
                    _bind(self._connector.start_thread, service_url, tenant, channel, alert),
                )
            except Exception as exc:  # an alert must still reach security if the desk's fails
                failure = failure or exc
        if failure is not None:
            raise failure
        return None

    async def _outreach(self, notice: RequesterAsked | RequesterAnswered) -> None:
        """IT's question in the employee's personal chat (raises when it could not be sent: the
        admin is told), or their answer; each a reply in the card's thread."""
        request = notice.request
        names = await self._names(request, getattr(notice, "actor", None))
        if isinstance(notice, RequesterAsked):
            contact = await self._personal_chat(request.requester_id)
            question = build_question(request, notice.actor, notice.question, names)
            await self._send_to(contact, card_message(question))
            note = build_question_note(request, notice.actor, notice.question, names)
        else:
            note = build_answer_note(request, notice.answer, names)
        if request.channel_id and request.message_ts:
            service_url, _ = await self._desk(request)
            thread = thread_of(request.channel_id, request.message_ts)
            await self._connector.send(service_url, thread, card_message(note))

    async def deliver_secret(self, request: HelpRequest, text: str, expires_at: datetime) -> None:
        """The secret in the employee's personal chat with when it expires (in UTC: Teams does
        not tell the bot a person's time zone), sent once (never retried: a retry after a lost
        answer could show it twice), and nowhere else."""
        contact = await self._personal_chat(request.requester_id)
        notice = build_secret_notice(request, text, wording.pass_expiry(expires_at))
        try:
            await self._send_to(contact, card_message(notice))
        except aiohttp.ClientResponseError as exc:
            if exc.status in GONE:
                await self._addresses.unreachable(contact)
            raise

    async def ask_manager(self, request: HelpRequest, manager_id: str) -> None:
        """The yes/no question in the manager's personal chat."""
        contact = await self._personal_chat(manager_id)
        question = build_manager_question(request, await self._names(request, manager_id))
        await self._send_to(contact, card_message(question))

    async def _request_changed(self, notice: RequestChanged) -> str | None:
        """Tell the employee, then update the card in place (saying when the employee could not
        be told) and note the change in its thread, and take the Cancel button off the
        employee's first message once it can no longer be used; where the employee's message
        about a new request is."""
        request, change, actions = notice.request, notice.change, list(notice.actions)
        employee = build_employee_notice(request, change, actions, self._it_contact, self._hours)
        sent: list[str] = []
        told = Told.NONE
        if employee is not None:
            told = await self._tell_employee(request, employee, sent)
        failures = int(told is Told.FAILED)
        if request.channel_id and request.message_ts:
            failures += await self._on_the_desk(notice, told)
        if request.employee_message and change in ENDS_CANCELLING:
            failures += await _attempt("update the employee's first message", self._ended(request))
        message = sent[0] if sent and change is Change.CREATED else None
        if failures and message is None:
            raise NoticeError(f"{failures} notice(s) about request #{request.id} failed")
        if failures:  # the employee's message is kept all the same: its button must go later
            log.warning("%s notice(s) about request #%s failed", failures, request.id)
        return message

    async def _ended(self, request: HelpRequest) -> None:
        """The employee's first message about the request, now without its Cancel button."""
        contact = await self._addresses.chat_of(request.requester_id)
        if contact is None or not request.employee_message:
            return
        conversation, activity_id = json.loads(request.employee_message)
        service_url = str(contact.address.get("serviceUrl") or "")
        status = card_message(build_request_status(request))
        await self._connector.update(service_url, conversation, activity_id, status)

    async def _on_the_desk(self, notice: RequestChanged, told: Told) -> int:
        """The card updated (when the change shows on it, or the employee turned out to be
        unreachable) and the thread's note; how many of the two failed."""
        request, change, actions = notice.request, notice.change, list(notice.actions)
        service_url, _ = await self._desk(request)
        thread = thread_of(request.channel_id or self._channel, request.message_ts or "")
        names = await self._names(request, notice.actor)
        unreachable = told is Told.UNREACHABLE or (
            await self._addresses.chat_of(request.requester_id) is None
        )
        failures = 0
        if change not in NOT_ON_THE_CARD or told is Told.UNREACHABLE:
            card = build_request_card(
                request, actions, self._guide, self._provider, names, unreachable=unreachable
            )
            update = self._connector.update(
                service_url, thread, request.message_ts or "", card_message(card)
            )
            failures += await _attempt("update the card", update)
        note: dict[str, Any] | None = build_thread_note(
            request, change, notice.actor, actions, names
        )
        if told is Told.UNREACHABLE and change is Change.DONE:
            # The note for "done" says the employee was told: here they were not.
            note = build_notice(f"{emoji('warning')} {escape(wording.NO_PERSONAL_CHAT)}")
        if note is None:
            return failures
        desk = request.channel_id or self._channel
        send = self._paced(
            desk, _bind(self._connector.send, service_url, thread, card_message(note))
        )
        return failures + await _attempt("write the thread", send)

    async def _tell_employee(
        self, request: HelpRequest, card: dict[str, Any], sent: list[str]
    ) -> Told:
        """The employee's message in their personal chat (where it is goes to `sent`). Without
        one (they never opened it, or removed the app: Teams answers 403), the request's card
        says so."""
        contact = await self._addresses.chat_of(request.requester_id)
        if contact is None:
            log.warning("request #%s: the employee has no personal chat with the bot", request.id)
            return Told.UNREACHABLE
        try:
            conversation, activity_id = await self._send_to(contact, card_message(card))
        except aiohttp.ClientResponseError as exc:
            if exc.status not in GONE:
                log.warning("could not tell the employee: %s", exc)
                return Told.FAILED
            log.warning("request #%s: the employee's chat is gone (%s)", request.id, exc.status)
            await self._addresses.unreachable(contact)
            return Told.UNREACHABLE
        except _SENDING_FAILED as exc:
            log.warning("could not tell the employee: %s", exc)
            return Told.FAILED
        sent.append(json.dumps([conversation, activity_id]))
        return Told.SENT

    async def _names(self, request: HelpRequest, *more: str | None) -> dict[str, str]:
        """Display names of the people the request's card and notes name."""
        people = (
            request.requester_id,
            request.first_approver,
            request.decided_by,
            request.callback_by,
            *more,
        )
        return await self._addresses.names(people)

    async def _desk(
        self, request: HelpRequest | None, channel_id: str | None = None
    ) -> tuple[str, str]:
        """(service URL, tenant) of the help-desk channel (or `channel_id`): from the channel's
        own reference, else the help desk's, else the requester's (one tenant, one service URL)
        before the channel was heard from."""
        contact = await self._addresses.channel(channel_id or self._channel)
        if contact is None and channel_id not in (None, self._channel):
            contact = await self._addresses.channel(self._channel)
        if contact is None and request is not None:
            contact = await self._addresses.person(request.requester_id)
        if contact is None:
            raise NoHelpdeskAddressError(
                "the help-desk channel has not been heard from: install the app in its team"
            )
        address = contact.address
        tenant = str(
            address.get("tenantId") or (address.get("conversation") or {}).get("tenantId") or ""
        )
        return str(address.get("serviceUrl") or ""), tenant

    async def _personal_chat(self, user_id: str) -> Contact:
        contact = await self._addresses.chat_of(user_id)
        if contact is None:
            raise NoPersonalChatError("the person has no personal chat with the bot")
        return contact

    async def _send_to(self, contact: Contact, activity: Activity) -> tuple[str, str]:
        """Send to the contact's chat; (the conversation, the message's activity id)."""
        address = contact.address
        conversation = str((address.get("conversation") or {}).get("id") or "")
        sent = await self._connector.send(
            str(address.get("serviceUrl") or ""), conversation, activity
        )
        return conversation, sent


class NoticeError(Exception):
    """Some notices could not be sent; the others were."""


class Told(Enum):
    """What became of the employee's message about a change."""

    NONE = "none"  # the change has nothing for them
    SENT = "sent"
    UNREACHABLE = "unreachable"  # no personal chat with the bot, or it is gone
    FAILED = "failed"  # Teams did not take it (it may later)


def _bind[R](send: Callable[..., Awaitable[R]], *args: Any) -> Callable[[], Awaitable[R]]:
    """`send` with its arguments, to call later (in a channel's turn)."""
    return lambda: send(*args)


async def _attempt(what: str, send: Awaitable[object]) -> int:
    """Send one notice on its own, so one failure does not stop the others; 1 if it failed."""
    try:
        await send
    except _SENDING_FAILED as exc:
        log.warning("could not %s: %s", what, exc)
        return 1
    return 0


def _wait_asked(exc: Exception) -> float | None:
    """The seconds the Bot Connector's 429 asks to wait (Retry-After, 1 when it does not say);
    None for any other failure."""
    if not isinstance(exc, aiohttp.ClientResponseError) or exc.status != 429:
        return None
    headers = CIMultiDict(exc.headers or ())  # names in any case, as HTTP allows
    try:
        return max(float(headers.get("Retry-After", "1")), 0.0)
    except ValueError:
        return 1.0
