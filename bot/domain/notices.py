"""What the core tells a front end through the Notifier: typed notices, each front end renders."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.domain.identity import ResetAction
from bot.domain.requests import ActionItem, Change, HelpRequest


@dataclass(frozen=True)
class RequestChanged:
    """A request moved: its card is updated in place, its thread noted, its employee told."""

    request: HelpRequest
    actions: tuple[ActionItem, ...]
    change: Change
    actor: str | None


class Revocation(StrEnum):
    """What became of signing the person out again after "this wasn't me"."""

    REVOKED = "revoked"
    BY_HAND = "by_hand"  # the provider has no API for it: an admin does it in the portal
    FAILED = "failed"


@dataclass(frozen=True)
class RevokeOutcome:
    """Signing the person out again: what happened, and why it failed when it did."""

    revocation: Revocation
    error: str | None = None


@dataclass(frozen=True)
class HelpdeskAlert:
    """A notice for the help-desk channel; `for_security` ones go to the security channel too."""

    @property
    def for_security(self) -> bool:
        """True when security must hear of it as well."""
        return True

    @property
    def to_claim(self) -> HelpRequest | None:
        """The request an admin claims the alert by (Claim), when someone must follow it up."""
        return None


@dataclass(frozen=True)
class NotMeReported(HelpdeskAlert):
    """The employee says they never asked for the request: the account may be compromised."""

    request: HelpRequest
    revoked: RevokeOutcome

    @property
    def to_claim(self) -> HelpRequest | None:
        """Someone must call the person back: claimed by the request."""
        return self.request


@dataclass(frozen=True)
class PromptReported(HelpdeskAlert):
    """The employee got a sign-in prompt they didn't start: someone may know their password.
    `filed` is False when no request was filed because `request`, another of theirs, is still
    in progress."""

    request: HelpRequest
    filed: bool

    @property
    def to_claim(self) -> HelpRequest | None:
        """Someone must call the person back: claimed by the request."""
        return self.request


@dataclass(frozen=True)
class ManagerSaidNo(HelpdeskAlert):
    """The requester's manager says the requester did not ask IT."""

    request: HelpRequest


@dataclass(frozen=True)
class StepUpLocked(HelpdeskAlert):
    """An admin's step-up is locked after too many attempts (someone may be guessing)."""

    actor: str


@dataclass(frozen=True)
class AuthenticatorEnrolled(HelpdeskAlert):
    """An admin set up (or replaced: security hears of it) the authenticator for approvals."""

    actor: str
    replaced: bool

    @property
    def for_security(self) -> bool:
        """Security hears of a replaced authenticator (it may be an attacker's), not a first."""
        return self.replaced


@dataclass(frozen=True)
class PrivilegedReset(HelpdeskAlert):
    """A reset of a privileged account was carried out (`complete`) or partly carried out."""

    request: HelpRequest
    actions: tuple[ResetAction, ...]
    complete: bool


@dataclass(frozen=True)
class ResetEmailFailed(HelpdeskAlert):
    """The account holder's email about a reset could not be sent (`why`, addresses masked)."""

    request: HelpRequest
    why: str

    @property
    def for_security(self) -> bool:
        """The help desk alone: it tells the person another way."""
        return False


@dataclass(frozen=True)
class RequesterAsked:
    """An admin asks the employee a question about their request (in their DM, with a way to
    answer); the card's thread notes it."""

    request: HelpRequest
    actor: str
    question: str


@dataclass(frozen=True)
class RequesterAnswered:
    """The employee's answer to an admin's question, for the card's thread."""

    request: HelpRequest
    answer: str


@dataclass(frozen=True)
class NotMeAnswer:
    """What the employee who reported "this wasn't me" is told: `revoked` is None when they had
    reported it already; the request reported, and where they change their password."""

    revoked: RevokeOutcome | None
    request_id: int | None = None
    password_url: str | None = None


@dataclass(frozen=True)
class PromptAnswer:
    """What the employee who reported a prompt they didn't start is told: the request that has
    it (`filed` when this press filed it), `again` when they had reported it already, and where
    they change their password."""

    request_id: int
    filed: bool
    again: bool
    password_url: str | None = None


@dataclass(frozen=True)
class AlertClaim:
    """Who handles the security alert about a request: `taken` when this click claimed it,
    False when `claimed_by` had it already."""

    request: HelpRequest
    claimed_by: str
    taken: bool


Notice = (
    RequestChanged
    | RequesterAsked
    | RequesterAnswered
    | NotMeReported
    | PromptReported
    | ManagerSaidNo
    | StepUpLocked
    | AuthenticatorEnrolled
    | PrivilegedReset
    | ResetEmailFailed
)
