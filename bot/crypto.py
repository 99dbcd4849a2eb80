"""Encryption at rest of admins' TOTP secrets and of the workspaces' Slack tokens: Fernet, with
key rotation through MultiFernet."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class StepUpKeyError(ValueError):
    """STEPUP_KEY is missing or is not a list of Fernet keys."""


class SecretBox:
    """Encrypts with the first key of a key list (STEPUP_KEY, INSTALLATION_KEY), decrypts with
    any of them."""

    def __init__(self, keys: str, name: str = "STEPUP_KEY") -> None:
        self._name = name
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        if not parts:
            raise StepUpKeyError("no key given; make one with `mfa-helpdesk keygen`")
        try:
            self._fernet = MultiFernet([Fernet(part.encode()) for part in parts])
        except (ValueError, TypeError) as exc:
            raise StepUpKeyError(
                "a key is not a Fernet key (32 url-safe base64-encoded bytes); "
                "make one with `mfa-helpdesk keygen`"
            ) from exc

    def seal(self, plain: str) -> str:
        """The ciphertext of `plain`, under the first key."""
        return self._fernet.encrypt(plain.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plain text; ValueError when no key opens it (fail closed)."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(f"no {self._name} opens this secret") from exc

    def reseal(self, sealed: str) -> str:
        """The same secret under the first key (rotation); ValueError when no key opens it."""
        try:
            return self._fernet.rotate(sealed.encode()).decode()
        except InvalidToken as exc:
            raise ValueError(
                f"no {self._name} opens a stored secret; keep the old key in the list"
            ) from exc


def new_key() -> str:
    """A fresh Fernet key for STEPUP_KEY."""
    return Fernet.generate_key().decode()
