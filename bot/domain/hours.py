"""The help desk's office hours (HELPDESK_HOURS) read as days, times and a zone, and the business
time between two moments."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY = r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*"
_TIME = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm)?"
_DASH = r"\s*(?:-|\u2013|\u2014|to)\s*"  # a hyphen, an en or em dash, or "to"
_PATTERN = re.compile(
    rf"^\s*(?P<days>{_DAY}(?:(?:{_DASH}|\s*,\s*){_DAY})*)?\s*,?\s*"
    rf"{_TIME}{_DASH}{_TIME}\s*(?P<zone>[A-Za-z][A-Za-z0-9_+\-/]*)?\s*$",
    re.IGNORECASE,
)


class HoursError(ValueError):
    """HELPDESK_HOURS cannot be read as days, hours and a time zone."""


@dataclass(frozen=True)
class OfficeHours:
    """Open on `weekdays` (0 is Monday) from `opens` to `closes`, in `zone`."""

    weekdays: frozenset[int]
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """Read "Mon-Fri 8:00-18:00 CET" and the like; HoursError says what is wrong."""
        found = _PATTERN.match(text.replace(".", ":"))
        if found is None:
            raise HoursError(
                f"{text!r} is not days, hours and a zone like 'Mon-Fri 8:00-18:00 Europe/Berlin'"
            )
        opens = _clock_time(found.group(2), found.group(3), found.group(4))
        closes = _clock_time(found.group(5), found.group(6), found.group(7))
        if closes <= opens:
            raise HoursError(f"{text!r} closes before it opens")
        zone_name = found.group("zone") or "UTC"
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise HoursError(f"{zone_name!r} in {text!r} is not a known time zone") from exc
        days = found.group("days")
        weekdays = _weekdays(days) if days else frozenset(range(5))
        return cls(weekdays, opens, closes, zone)

    def between(self, start: datetime, end: datetime) -> timedelta:
        """How much of the time from `start` to `end` falls within the office hours."""
        if end <= start:
            return timedelta(0)
        local_start, local_end = start.astimezone(self.zone), end.astimezone(self.zone)
        total = timedelta(0)
        day = local_start.date()
        while day <= local_end.date():
            if day.weekday() in self.weekdays:
                opens, closes = self._open_on(day)
                overlap = min(closes, local_end) - max(opens, local_start)
                if overlap > timedelta(0):
                    total += overlap
            day += timedelta(days=1)
        return total

    def _open_on(self, day: date) -> tuple[datetime, datetime]:
        return (
            datetime.combine(day, self.opens, self.zone),
            datetime.combine(day, self.closes, self.zone),
        )


def _clock_time(hour_text: str, minute_text: str | None, half: str | None) -> time:
    hour, minute = int(hour_text), int(minute_text or 0)
    if half is not None:
        if not 1 <= hour <= 12:
            raise HoursError(f"{hour}{half} is not a time")
        hour = hour % 12 + (12 if half.lower() == "pm" else 0)
    if hour == 24 and minute == 0:
        return time(23, 59, 59, 999999)
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise HoursError(f"{hour_text}:{minute_text or '00'} is not a time")
    return time(hour, minute)


def _weekdays(text: str) -> frozenset[int]:
    days: set[int] = set()
    for part in re.split(r"\s*,\s*", text.strip()):
        ends = [_DAYS.index(name[:3].lower()) for name in re.findall(_DAY, part, re.IGNORECASE)]
        if len(ends) == 1:
            days.add(ends[0])
        else:  # a range, which may wrap past Sunday ("Sat-Mon")
            first, last = ends[0], ends[-1]
            span = (last - first) % 7
            days.update((first + step) % 7 for step in range(span + 1))
    return frozenset(days)
