"""The demo directory in memory."""

from __future__ import annotations

import copy
from datetime import datetime

from bot.identity.demo import DemoUser


class MemoryDemoStore:
    """People of the demo identity provider by email; each read and write is a copy."""

    def __init__(self) -> None:
        self._people: dict[str, DemoUser] = {}

    async def get_demo_user(self, email: str) -> DemoUser | None:
        return copy.deepcopy(self._people.get(email))

    async def save_demo_user(self, user: DemoUser, at: datetime) -> None:
        self._people[user.email] = copy.deepcopy(user)
