"""Loops that depend on the database: one log line per outage, and a growing wait, not a flood."""

from __future__ import annotations

import logging

from bot.domain.errors import StorageUnavailableError


class OutageBackoff:
    """Tracks one loop's failures: how long to wait next, and what is worth a log line.

    An outage is logged once, in one line without a traceback, and the first success after it
    says so; any other error is logged with its traceback each time. Each failure in a row
    doubles the wait, up to `longest_s`.
    """

    def __init__(
        self, log: logging.Logger, what: str, every_s: float, longest_s: float = 30.0
    ) -> None:
        self.log = log
        self.what = what
        self.every_s = every_s
        self.longest_s = max(longest_s, every_s)
        self.wait_s = every_s
        self.failing = False
        self.outage = False

    def succeeded(self) -> float:
        """Record a clean run; the wait before the next one."""
        if self.outage:
            self.log.warning("%s: the database answers again; back to normal", self.what)
        self.failing = self.outage = False
        self.wait_s = self.every_s
        return self.wait_s

    def failed(self, error: Exception) -> float:
        """Record a failed run and log what is new; the wait before the next one."""
        self.wait_s = self.every_s if not self.failing else min(self.wait_s * 2, self.longest_s)
        if isinstance(error, StorageUnavailableError):
            if not self.outage:
                self.outage = True
                self.log.error(
                    "%s: the database is not answering (%s); trying again with a growing wait "
                    "up to %.0f s, and saying nothing more until it answers",
                    self.what,
                    error,
                    self.longest_s,
                )
        else:  # not an outage: a bug or a bad row, worth its traceback each time
            self.log.error("%s failed; will try again", self.what, exc_info=error)
        self.failing = True
        return self.wait_s
