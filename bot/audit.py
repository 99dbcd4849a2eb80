"""Writes the audit log out as CSV or JSON Lines for auditors and SIEMs."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from typing import TextIO

from bot.domain.requests import AuditEntry

FIELDS = ("at", "actor_id", "event", "request_id", "detail")


def write_audit(entries: Iterable[AuditEntry], fmt: str, out: TextIO) -> int:
    """Write the entries in `fmt` ("csv" or "jsonl"); how many were written."""
    count = 0
    writer = csv.DictWriter(out, fieldnames=FIELDS) if fmt == "csv" else None
    if writer is not None:
        writer.writeheader()
    for entry in entries:
        row = {
            "at": entry.at.isoformat(),
            "actor_id": entry.actor_id,
            "event": entry.event,
            "request_id": entry.request_id,
            "detail": entry.detail or {},
        }
        if writer is not None:
            writer.writerow({**row, "detail": json.dumps(row["detail"], sort_keys=True)})
        else:
            out.write(json.dumps(row, sort_keys=True) + "\n")
        count += 1
    return count
