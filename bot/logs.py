"""Logging set-up with a filter that masks anything shaped like a token or secret."""

from __future__ import annotations

import logging
import re
import sys

_SECRET = re.compile(
    r"(xox[abeprs]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|SSWS\s+\S+|Bearer\s+[A-Za-z0-9._~+/=-]+"
    r"|otpauth://\S+)"
)


_SLACK_LOGGERS = (
    "slack_sdk",
    "slack_bolt",
    "slack_sdk.web.async_base_client",
    "slack_sdk.webhook.async_client",
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
    for noisy in (*_SLACK_LOGGERS, "aiohttp.access", "asyncio", "aiosqlite"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    # slack_sdk decides whether to build its debug lines (whole request bodies) from each
    # logger's own level, not the inherited one: set it on every slack logger that exists.
    for name in list(logging.root.manager.loggerDict):
        if name.startswith(("slack_sdk", "slack_bolt")):
            logger = logging.getLogger(name)
            if logger.level == logging.NOTSET:
                logger.setLevel(logging.INFO)
    logging.getLogger("alembic").setLevel(logging.WARNING)
