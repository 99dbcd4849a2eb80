"""What the Teams front end reads from Microsoft Graph with the ENTRA_* app: groups, managers."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from teams.tokens import GRAPH_SCOPE, ClientCredentials, TokenError

log = logging.getLogger(__name__)

CALL_TIMEOUT_S = 15


class GraphError(Exception):
    """Graph could not answer (refused, unreachable, or no token): nothing may be assumed."""


@dataclass(frozen=True)
class GraphApp:
    """Where Graph is and the app registration that reads it."""

    graph_url: str
    credentials: ClientCredentials


class GraphPeople:
    """A person's groups and manager, read app-only (GroupMember.Read.All, User.Read.All)."""

    def __init__(self, app: GraphApp, http: aiohttp.ClientSession) -> None:
        self._app = app
        self._http = http

    async def in_group(self, user_id: str, group_id: str) -> bool:
        """Whether the person is a member of the group, directly or through nested groups
        (POST /users/{id}/checkMemberGroups); a person Graph does not know is no member."""
        status, body = await self._call(
            "POST",
            f"/users/{quote(user_id, safe='')}/checkMemberGroups",
            {"groupIds": [group_id]},
        )
        if status == 404:
            return False
        members = body.get("value")
        if status != 200 or not isinstance(members, list):
            raise GraphError(f"checkMemberGroups answered {status}")
        return group_id.lower() in {str(member).lower() for member in members}

    async def manager_of(self, user_id: str) -> str | None:
        """The person's manager's object ID (GET /users/{id}/manager); None when they have none."""
        status, body = await self._call(
            "GET", f"/users/{quote(user_id, safe='')}/manager?$select=id", None
        )
        if status == 404:
            return None
        if status != 200:
            raise GraphError(f"reading the manager answered {status}")
        manager = body.get("id")
        return str(manager).lower() if manager else None

    async def _call(
        self, verb: str, path: str, payload: dict[str, Any] | None
    ) -> tuple[int, dict[str, Any]]:
        try:
            token = await self._app.credentials.token(GRAPH_SCOPE)
            async with self._http.request(
                verb,
                f"{self._app.graph_url.rstrip('/')}{path}",
                json=payload,
                headers={"Authorization": f"Bearer {token}"},
                timeout=aiohttp.ClientTimeout(total=CALL_TIMEOUT_S),
                allow_redirects=False,
            ) as response:
                status = response.status
                try:
                    body = await response.json(content_type=None)
                except ValueError:
                    body = {}
        except TokenError as exc:
            raise GraphError(str(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphError(f"Graph did not answer ({type(exc).__name__})") from exc
        return status, body if isinstance(body, dict) else {}
