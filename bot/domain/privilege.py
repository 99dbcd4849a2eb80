"""Who is privileged: the operator's lists and the directory's admin roles, failing closed."""

from __future__ import annotations

from dataclasses import dataclass

REASON_MAX = 300  # the width of help_requests.privileged_reason

_DIRECTORY = {"entra": "Entra", "okta": "Okta", "demo": "Demo directory"}


@dataclass(frozen=True)
class Privilege:
    """The verdict on a request's target and why, in plain words (for the card and the audit)."""

    privileged: bool
    reason: str


@dataclass(frozen=True)
class RoleCheck:
    """What the identity provider said about the person's admin roles."""

    provider: str
    checked: bool = True
    roles: tuple[str, ...] = ()
    error: str | None = None


def assess(list_reasons: tuple[str, ...], roles: RoleCheck) -> Privilege:
    """Any list reason, any admin role, or a role check that failed makes the person
    privileged; only a clean answer from every source makes them not."""
    directory = _DIRECTORY.get(roles.provider, roles.provider)
    found: list[str] = []
    if roles.error is not None:
        found.append(f"directory roles could not be read: {roles.error}")
    elif roles.roles:
        kind = f"{directory} role" + ("s" if len(roles.roles) > 1 else "")
        found.append(f"{kind}: {', '.join(roles.roles)}")
    found += list_reasons
    note = None if roles.checked else f"directory roles not checked ({roles.provider} provider)"
    if found:
        return Privilege(True, _fit("; ".join([*found, *([note] if note else [])])))
    if note:
        return Privilege(False, _fit(f"on no privileged list; {note}"))
    return Privilege(False, _fit(f"{directory}: no admin role; on no privileged list"))


def _fit(text: str) -> str:
    return text if len(text) <= REASON_MAX else text[: REASON_MAX - 1] + "…"
