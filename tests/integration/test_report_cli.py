"""`mfa-helpdesk report` as an operator runs it, on a fortnight the bot's repositories wrote."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.history import history_in
from tests.integration.test_cli import _run, env

__all__ = ["env"]

SINCE, UNTIL = "2026-11-02", "2026-11-15"


@pytest.fixture
def history(env: dict[str, str]) -> dict[str, str]:
    """The environment, its database holding the fortnight."""
    history_in(env["DATABASE_URL"])
    return env


def test_the_html_report_is_one_file_with_its_charts_and_no_admin_names(
    history: dict[str, str], tmp_path: Path
) -> None:
    target = tmp_path / "report.html"
    done = _run(["report", "--since", SINCE, "--until", UNTIL, "--output", str(target)], history)
    assert done.returncode == 0, done.stderr
    page = target.read_text(encoding="utf-8")
    assert page.count('src="data:image/png;base64,') == 2  # embedded: nothing to fetch
    assert "http://" not in page
    assert "https://" not in page
    assert "MFA help desk: 2 Nov 2026 to 15 Nov 2026" in page
    assert "I have a new phone" in page  # the guide's titles, not ids
    assert "UADMIN" not in page  # the per-admin rows only on request


def test_csv_and_json_carry_the_same_figures_and_admins_on_request(
    history: dict[str, str],
) -> None:
    base = ["report", "--since", SINCE, "--until", UNTIL]
    as_csv = _run([*base, "--format", "csv", "--with-admins"], history)
    assert as_csv.returncode == 0, as_csv.stderr
    table = {row["figure"]: row for row in csv.DictReader(io.StringIO(as_csv.stdout))}
    assert table["walks started"]["this period"] == "5"
    assert table["walks abandoned"]["this period"] == "3"
    assert table["denied"]["this period"] == "1"
    assert table["reported “this wasn't me”"]["this period"] == "1"
    assert table["approvals by UADMIN"]["this period"] == "1"
    as_json = _run([*base, "--format", "json"], history)
    figures = {row["figure"]: row["this"] for row in json.loads(as_json.stdout)["figures"]}
    assert figures["walks started"] == "5"
    assert figures["requests sent"] == "3"
    assert not any(name.startswith("approvals by") for name in figures)
    one = _run([*base, "--format", "json", "--workspace", "T2"], history)
    only = {row["figure"]: row["this"] for row in json.loads(one.stdout)["figures"]}
    assert only["walks started"] == "1"
    assert only["requests sent"] == "1"


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--since", "2026-11-15", "--until", "2026-11-01"], "--until must be after --since"),
        (["--since", "last tuesday"], "is not a date like 2026-11-01"),
    ],
)
def test_a_bad_period_is_refused_with_exit_2(
    history: dict[str, str], args: list[str], said: str
) -> None:
    done = _run(["report", *args], history)
    assert done.returncode == 2
    assert said in done.stderr
    assert "Traceback" not in done.stderr


def test_office_hours_waits_come_with_a_readable_helpdesk_hours(history: dict[str, str]) -> None:
    base = ["report", "--since", SINCE, "--until", UNTIL, "--format", "json"]
    office = {**history, "HELPDESK_HOURS": "Mon-Fri 8:00-18:00 UTC"}
    figures = {r["figure"]: r["this"] for r in json.loads(_run(base, office).stdout)["figures"]}
    # Friday 17:00 to Monday 9:30: 2 d 16 h on the clock, 2 h 30 min of office hours.
    assert figures["to done: median"] == "2 d 16 h"
    assert figures["to done, office hours: median"] == "2 h 30 min"
    free_text = {**history, "HELPDESK_HOURS": "weekdays, mornings"}
    plain = {r["figure"] for r in json.loads(_run(base, free_text).stdout)["figures"]}
    assert "to done: median" in plain
    assert "to done, office hours: median" not in plain
