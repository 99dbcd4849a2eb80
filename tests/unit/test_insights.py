"""The help desk's figures on a hand-built history whose answers are known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.domain.hours import HoursError, OfficeHours
from bot.domain.insights import Counted, Period, RequestTimes, Spread, figures, nearest_rank
from bot.domain.requests import Status

MON = datetime(2026, 11, 2, tzinfo=UTC)  # a Monday
WEEK = Period(MON, MON + timedelta(days=7))
HOURS = OfficeHours.parse("Mon-Fri 8:00-18:00 UTC")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """`day` days after Monday 2 November 2026, at hour:minute UTC."""
    return MON + timedelta(days=day, hours=hour, minutes=minute)


def test_office_hours_read_days_times_and_zone() -> None:
    hours = OfficeHours.parse("Mon-Fri 8:00-18:00 CET")
    assert hours.weekdays == frozenset(range(5))
    assert (hours.opens.hour, hours.closes.hour, str(hours.zone)) == (8, 18, "CET")
    assert OfficeHours.parse("Monday to Thursday 9am-5pm Europe/London").weekdays == frozenset(
        range(4)
    )
    assert OfficeHours.parse("Sat-Mon 10:00-14:00").weekdays == frozenset({5, 6, 0})
    assert OfficeHours.parse("Mon, Wed, Fri 8:30\u201312:00").weekdays == frozenset({0, 2, 4})
    assert OfficeHours.parse("8:00-18:00").weekdays == frozenset(range(5))  # weekdays unsaid


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("whenever", "is not days, hours and a zone"),
        ("Mon-Fri 18:00-8:00 UTC", "closes before it opens"),
        ("Mon-Fri 8:00-18:00 Mars/Olympus", "is not a known time zone"),
        ("Mon-Fri 8:00-25:00", "is not a time"),
    ],
)
def test_unreadable_office_hours_say_why(text: str, problem: str) -> None:
    with pytest.raises(HoursError, match=problem):
        OfficeHours.parse(text)


def test_business_time_skips_nights_and_the_weekend() -> None:
    # Friday 17:00 to Monday 9:00: one hour on Friday, one on Monday.
    assert HOURS.between(at(4, 17), at(7, 9)) == timedelta(hours=2)
    # Saturday to Sunday: none at all.
    assert HOURS.between(at(5, 9), at(6, 17)) == timedelta(0)
    # Before opening to after closing on a Tuesday: the ten office hours.
    assert HOURS.between(at(1, 6), at(1, 22)) == timedelta(hours=10)
    # In a zone ahead of UTC: 8:00 in Berlin (CET) is 7:00 UTC.
    berlin = OfficeHours.parse("Mon-Fri 8:00-18:00 Europe/Berlin")
    assert berlin.between(at(1, 6), at(1, 8)) == timedelta(hours=1)


def test_median_and_90th_percentile_by_nearest_rank() -> None:
    minutes = [timedelta(minutes=m) for m in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)]
    spread = Spread.of(list(reversed(minutes)))
    assert spread == Spread(10, timedelta(minutes=55), timedelta(minutes=90))
    assert nearest_rank(minutes[:1], 0.9) == timedelta(minutes=10)
    assert Spread.of([]) == Spread(0, None, None)


def _history() -> Counted:
    requests = [
        # Submitted Friday 17:00, approved Monday 9:00 (2 office hours, 64 wall-clock), done 9:30.
        RequestTimes(1, Status.DONE, at(4, 17), at(7, 9), at(7, 9, 30), ("clear_mfa",)),
        # Submitted Tuesday 10:00, denied at 10:20.
        RequestTimes(2, Status.DENIED, at(1, 10), at(1, 10, 20), None, ("clear_mfa", "issue_tap")),
        # Submitted Wednesday 12:00, approved 13:00, done 15:00.
        RequestTimes(3, Status.DONE, at(2, 12), at(2, 13), at(2, 15), ("issue_tap",)),
        # Submitted Thursday 9:00 and still open at the week's end.
        RequestTimes(4, Status.OPEN, at(3, 9), None, None, ("clear_mfa",)),
    ]
    return Counted(
        walks={
            ("lost-phone", "worked"): 6,
            ("lost-phone", "escalated"): 2,
            ("new-phone", "worked"): 3,
            ("new-phone", "abandoned"): 1,
            ("new-phone", "in_progress"): 5,
        },
        abandoned_at={("new-phone", "scan-qr"): 1, ("lost-phone", "check-sms"): 0},
        walks_by_day={("2026-11-03", "worked"): 9, ("2026-11-02", "escalated"): 2},
        requests=requests,
        approved_actions={"clear_mfa": 1, "issue_tap": 1, "revoke_sessions": 2},
        decisions={
            ("UADMIN1", "request.approved"): 1,
            ("UADMIN2", "request.approved"): 1,
            ("UADMIN2", "request.first_approval"): 1,
            ("UADMIN1", "request.denied"): 1,
        },
        events={"request.reported_not_me": 1, "action.failed": 2, "action.retry_scheduled": 1},
    )


def test_the_figures_of_a_week_with_known_answers() -> None:
    found = figures(_history(), WEEK, HOURS)
    assert found.walks == 17
    assert found.requests == 4
    assert found.walks_by_outcome == {
        "worked": 9,
        "escalated": 2,
        "abandoned": 1,
        "in_progress": 5,
    }
    assert found.deflection == pytest.approx(9 / 12)  # in-progress walks have not ended
    assert found.walks_by_topic["new-phone"] == {"worked": 3, "abandoned": 1, "in_progress": 5}
    assert found.abandoned_most == ("new-phone", "scan-qr", 1)
    assert found.walks_by_day == {"2026-11-02": {"escalated": 2}, "2026-11-03": {"worked": 9}}
    assert found.requests_by_state == {"done": 2, "denied": 1, "open": 1}
    assert found.proposed == {"clear_mfa": 3, "issue_tap": 2}
    assert found.approved == {"clear_mfa": 1, "issue_tap": 1, "revoke_sessions": 2}
    assert found.approvals_by_admin == {"UADMIN2": 2, "UADMIN1": 1}
    assert (found.denials, found.not_me) == (1, 1)
    assert found.provider == {
        "action.done": 0,
        "action.failed": 2,
        "action.retry_scheduled": 1,
        "request.retried": 0,
    }


def test_waits_in_wall_clock_and_office_hours_and_the_request_still_open() -> None:
    waits = figures(_history(), WEEK, HOURS).waits
    # To the first decision: 20 min, 1 h, 64 h -> median 1 h, p90 64 h.
    assert waits.to_decision == Spread(3, timedelta(hours=1), timedelta(hours=64))
    # Office hours: the weekend's 62 hours are not counted, Friday's and Monday's hour are.
    assert waits.to_decision_office == Spread(3, timedelta(hours=1), timedelta(hours=2))
    # To done: 64.5 h and 3 h.
    assert waits.to_done == Spread(2, timedelta(hours=33, minutes=45), timedelta(hours=64.5))
    assert waits.to_done_office == Spread(2, timedelta(hours=2, minutes=45), timedelta(hours=3))
    assert waits.decided_to_done == Spread(2, timedelta(minutes=75), timedelta(hours=2))
    # Request 4 waits from Thursday 9:00 to the week's end (Monday 0:00): 87 hours.
    assert (waits.waiting, waits.longest_wait) == (1, timedelta(hours=87))


def test_without_office_hours_only_wall_clock_is_given_and_an_empty_period_has_no_rates() -> None:
    empty = Counted({}, {}, {}, [], {}, {}, {})
    found = figures(empty, WEEK, None)
    assert found.deflection is None
    assert found.abandoned_most is None
    assert found.waits.to_decision_office is None
    assert found.waits.to_decision == Spread(0, None, None)
    assert WEEK.before() == Period(MON - timedelta(days=7), MON)
    with pytest.raises(ValueError, match="ends after it starts"):
        Period(MON, MON)
