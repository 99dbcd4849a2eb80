"""The figures as people read them: durations, shares, and CSV a spreadsheet cannot run."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from bot.report import NONE, Row, duration, percent, to_csv


def test_durations_read_as_people_say_them() -> None:
    assert duration(None) == NONE
    assert duration(timedelta(seconds=40)) == "1 min"
    assert duration(timedelta(minutes=45)) == "45 min"
    assert duration(timedelta(hours=3)) == "3 h"
    assert duration(timedelta(hours=3, minutes=20)) == "3 h 20 min"
    assert duration(timedelta(days=2, hours=4, minutes=10)) == "2 d 4 h"
    assert percent(None) == NONE
    assert percent(0.756) == "76%"


def test_csv_cells_a_spreadsheet_would_run_are_quoted_and_admins_named() -> None:
    rows = [
        Row("The guide", '=HYPERLINK("http://x")', "3", "-1"),
        Row("Decisions", "approvals by", "2", person="@UADMIN"),
        Row("Waiting", "to done: median", NONE, NONE),
    ]
    table = list(csv.reader(io.StringIO(to_csv(rows))))
    assert table[0] == ["section", "figure", "this period", "the period before"]
    assert table[1] == ["The guide", '\'=HYPERLINK("http://x")', "3", "'-1"]
    assert table[2][1] == "approvals by @UADMIN"  # starts with a letter: as it is
    assert table[3][2:] == [NONE, NONE]  # "no value" stays readable
