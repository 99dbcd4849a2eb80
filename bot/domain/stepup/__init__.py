"""Admin step-up: the TOTP rules (totp) and their use by the help desk (gate)."""

from bot.domain.stepup.totp import (
    ISSUER,
    LOCKOUT,
    MAX_FAILURES,
    Authenticator,
    AuthenticatorStore,
    Box,
    LockedOutError,
    NotEnrolledError,
    ReplayedCodeError,
    StepUp,
    StepUpOffError,
    WrongCodeError,
)

__all__ = [
    "ISSUER",
    "LOCKOUT",
    "MAX_FAILURES",
    "Authenticator",
    "AuthenticatorStore",
    "Box",
    "LockedOutError",
    "NotEnrolledError",
    "ReplayedCodeError",
    "StepUp",
    "StepUpOffError",
    "WrongCodeError",
]
