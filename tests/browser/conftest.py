"""What every browser story shares: how its sandbox is started."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def sandbox_args() -> list[str]:
    """The stories start from an empty help desk (a module may ask for the month of history)."""
    return ["--no-history"]
