"""Logging set-up with a filter that masks anything shaped like a token or secret."""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from bot import correlation

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


class Correlate(logging.Filter):
    """Stamps each record with the correlation id (and help request) of the work in hand."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = correlation.correlation_id()
        record.help_request_id = correlation.help_request_id()
        return True


class JsonLines(logging.Formatter):
    """One JSON object per line: time, level, logger, message, correlation id, help request."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("correlation_id", "help_request_id"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            # A traceback's text can quote a secret the message itself did not: masked too.
            line["exception"] = _SECRET.sub("[redacted]", self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False, default=str)


def build_handler(log_format: str = "text", stream: Any = None) -> logging.Handler:
    """A stream handler (stderr) writing text for people or JSON lines, secrets masked."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets())
    handler.addFilter(Correlate())
    return handler


def configure_logging(level: str, log_format: str = "text") -> None:
    """One stream handler on stderr; libraries that log request details stay at INFO or above."""
    handler = build_handler(log_format)
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
