"""A changed copy of the shipped guide on disk, and the error loading it gives."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.app import GUIDE_CHECKS
from bot.guide import DEFAULT_GUIDE, GuideError, load_guide

Change = Callable[[dict[str, Any]], object]


def write_guide(tmp_path: Path, change: Change) -> Path:
    """The shipped guide with `change` made to its data, written to a file."""
    data = yaml.safe_load(DEFAULT_GUIDE.read_text())
    change(data)
    path = tmp_path / "guide.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def guide_error(tmp_path: Path, change: Change) -> str:
    """The message of the GuideError that the changed guide gives (with Slack's checks), which
    must open with the file's name."""
    path = write_guide(tmp_path, change)
    with pytest.raises(GuideError) as caught:
        load_guide(path, checks=GUIDE_CHECKS)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message
    return message
