"""Security alerts about a request: an IT admin claims one, so that one person follows it up."""

from __future__ import annotations

from bot.domain.errors import NotAnAdminError
from bot.domain.helpdesk.core import Core
from bot.domain.notices import AlertClaim
from bot.domain.platform import platform_of
from bot.domain.requests import AuditEntry


class Alerts:
    """Claims of the alerts raised by "this wasn't me" and by a prompt someone didn't start."""

    def __init__(self, core: Core) -> None:
        self._core = core

    async def claim(self, request_id: int, actor: str) -> AlertClaim:
        """`actor` takes the alert about the request (audited), or learns who has it already;
        NotAnAdminError (audited) unless they are an IT admin of the request's platform."""
        core = self._core
        request = await core.get(request_id)
        same_platform = platform_of(actor) is request.platform
        if not same_platform or not await core.admins.is_admin(actor):
            raise await core.refused(actor, request.id, NotAnAdminError("admins only"))
        audit = AuditEntry(core.clock.now(), actor, "alert.claimed", request.id)
        taken = await core.requests.claim_alert(request.id, audit)
        claimed = await core.get(request.id)
        return AlertClaim(claimed, claimed.alert_claimed_by or actor, taken)
