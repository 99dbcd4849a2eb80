"""Typed refusals of the help-desk path; the Slack front end turns each into a sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.domain.requests import Answered


class HelpdeskError(Exception):
    """A refusal the person who clicked should read; `code` names it in the audit log."""

    code = "refused"


class NotAnAdminError(HelpdeskError):
    """Only IT admins decide."""

    code = "not_an_admin"


class OwnRequestError(HelpdeskError):
    """Nobody decides on their own request."""

    code = "own_request"


class NotRequesterError(HelpdeskError):
    """Only the person who asked can cancel a request."""

    code = "not_requester"


class SameApproverError(HelpdeskError):
    """The second of two approvals must come from another admin."""

    code = "same_approver"


class SuspiciousError(HelpdeskError):
    """The employee's manager (or the employee) said it was not them: no approval."""

    code = "suspicious"


class WrongPlaceError(HelpdeskError):
    """A click from another workspace, or on a message outside the help-desk channel."""

    code = "wrong_place"


class AlreadyDecidedError(HelpdeskError):
    """The request is no longer open (decided, cancelled or expired)."""

    code = "already_decided"

    def __init__(self, request_id: int, status: str, decided_by: str | None = None) -> None:
        super().__init__(f"request #{request_id} is already {status}")
        self.request_id = request_id
        self.status = status
        self.decided_by = decided_by


class RequestExpiredError(AlreadyDecidedError):
    """The request waited longer than REQUEST_TTL."""

    code = "expired"


class RequestNotFoundError(HelpdeskError):
    """No request with that number."""

    code = "not_found"


class NothingSelectedError(HelpdeskError):
    """Approve with no action ticked."""

    code = "nothing_selected"


class NoReasonError(HelpdeskError):
    """Deny without a reason: the employee is owed one."""

    code = "no_reason"


class AlreadyOpenError(HelpdeskError):
    """The employee has a request in progress already; it carries that request's number."""

    code = "already_open"

    def __init__(self, request_id: int) -> None:
        super().__init__(f"request #{request_id} is still open")
        self.request_id = request_id


class CallbackTakenError(HelpdeskError):
    """Another admin (or the clicker already) is calling the employee back."""

    code = "callback_taken"

    def __init__(self, request_id: int, by: str, mine: bool) -> None:
        super().__init__(f"request #{request_id} is being called back already")
        self.request_id = request_id
        self.by = by
        self.mine = mine


class UnreachableError(HelpdeskError):
    """IT's question could not be delivered to the employee in chat."""

    code = "unreachable"


class NoTextError(HelpdeskError):
    """A question to the employee, or their answer, with nothing in it."""

    code = "no_text"


class StorageUnavailableError(Exception):
    """The database is not answering (down, unreachable, or dropped its connections).

    Not a HelpdeskError: nothing was refused and nothing could be audited; the same click works
    again once the database is back. The storage layer raises it for any outage.
    """


class TooManyRequestsError(HelpdeskError):
    """The employee sent REQUESTS_PER_HOUR requests within the last hour: call IT instead."""

    code = "too_many_requests"

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} requests within the last hour")
        self.limit = limit


class AlreadySubmittedError(HelpdeskError):
    """The same form submission is stored already (a replay); it carries that request's number."""

    code = "already_submitted"

    def __init__(self, request_id: int) -> None:
        super().__init__(f"this form was stored as request #{request_id}")
        self.request_id = request_id


class IncompleteFormError(HelpdeskError):
    """A contact form with a required answer missing or a field out of bounds: never stored."""

    code = "incomplete_form"

    def __init__(self, problems: dict[str, str], answered: Answered | None = None) -> None:
        super().__init__("; ".join(problems.values()))
        self.problems = problems
        # The questions the walk answered: a form shown again does not ask them either.
        self.answered = answered
