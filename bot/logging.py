"""Logging set-up with a filter that masks anything shaped like a token or secret."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(
    r"(xox[abeprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|SSWS\s+\S+|Bearer\s+[A-Za-z0-9._~+/=-]+"
    r"|otpauth://\S+)"
)


class RedactSecrets(logging.Filter):
    """Replaces token-shaped text in a record's message with a mask, before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = _SECRET.sub("[redacted]", message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def configure_logging(level: str) -> None:
    """One stream handler on stderr; libraries that log request details stay at INFO or above."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    keep_libraries_quiet()


def keep_libraries_quiet() -> None:
    """Never let libraries log request bodies: at DEBUG, slack_sdk logs every message it sends,
    and a DM can carry a temporary access pass."""
    for noisy in ("slack_sdk", "slack_bolt", "aiohttp.access", "asyncio", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
