"""The privilege verdict: any list reason, any role or a failed check means two approvers."""

from __future__ import annotations

from bot.domain.privilege import REASON_MAX, Privilege, RoleCheck, assess


def test_a_clean_answer_from_every_source_is_the_only_way_to_one_approver() -> None:
    assert assess((), RoleCheck("entra")) == Privilege(
        False, "Entra: no admin role; on no privileged list"
    )
    assert assess((), RoleCheck("entra", roles=("Global Administrator",))) == Privilege(
        True, "Entra role: Global Administrator"
    )
    assert assess(("listed in PRIVILEGED_USERS",), RoleCheck("okta")).privileged
    failed = assess((), RoleCheck("okta", error="Okta answered 500"))
    assert failed == Privilege(True, "directory roles could not be read: Okta answered 500")


def test_manual_relies_on_the_lists_and_says_so() -> None:
    assert assess((), RoleCheck("manual", checked=False)) == Privilege(
        False, "on no privileged list; directory roles not checked (manual provider)"
    )
    both = assess(("an IT admin (IT_ADMIN_USERS)",), RoleCheck("manual", checked=False))
    assert both.privileged
    assert both.reason.startswith("an IT admin (IT_ADMIN_USERS); directory roles not checked")


def test_every_reason_is_named_and_the_whole_fits_its_column() -> None:
    many = tuple(f"Role {n}" for n in range(60))
    verdict = assess(("listed in PRIVILEGED_USERS",), RoleCheck("entra", roles=many))
    assert verdict.privileged
    assert verdict.reason.startswith("Entra roles: Role 0, Role 1")
    assert len(verdict.reason) == REASON_MAX
    assert verdict.reason.endswith("…")
