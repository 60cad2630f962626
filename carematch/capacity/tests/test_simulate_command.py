"""`carematch simulate`: the figures as a table or one JSON object, the same for the same
seed, and every bad option refused by its name."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from carematch.scheduling.tests.factories import weekday_provider

# A Monday in Denver with no holiday in the week after it.
pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(dt.datetime(2027, 1, 11, 14, tzinfo=dt.UTC), tick=False)]


def simulate(*args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    call_command("simulate", *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.parametrize(("args", "named"), [
    (["--extra-hours", "XX:5"], "--extra-hours 'XX:5': 'XX' is not a US state code"),
    (["--extra-hours", "CO"], "--extra-hours 'CO' must be STATE:HOURS"),
    (["--extra-hours", "CO:0"], "hours must be a whole number from 1"),
    (["--extra-hours", "CO:5:language=zz"], "'zz' is not a language code"),
    (["--extra-hours", "CO:5:format=in_person"], "in_person needs zip="),
    (["--days", "0"], "--days must be a whole number of days from 1 to 90"),
    (["--state", "ZZ"], "--state 'ZZ' is not a US state code"),
    (["--target", "1.5"], "--target must be a share above 0 and at most 1"),
    (["--replications", "1"], "--replications must be from 2"),
    (["--arrivals-per-day", "-3"], "--arrivals-per-day must be from 0"),
    (["--arrivals-per-day", "3", "--from-history"], "--arrivals-per-day cannot be given with --from-history"),
    (["--from-history"], "--from-history: there were no requests for care in the last 90 days"),
])
def test_a_bad_option_is_refused_by_its_name(args, named):
    with pytest.raises(CommandError) as refused:
        simulate(*args, "--replications", args[1] if args[0] == "--replications" else "2")
    assert named in str(refused.value)


def test_the_json_forecast_has_every_figure_and_is_the_same_for_the_same_seed():
    for _ in range(2):
        weekday_provider()
    args = ["--json", "--days", "7", "--arrivals-per-day", "3", "--replications", "3", "--seed", "9",
            "--suggest-states", "1"]
    first = json.loads(simulate(*args))
    for key in ("share_within_48h", "median_wait_hours", "p90_wait_hours", "utilisation"):
        assert {"mean", "low", "high", "n"} <= set(first[key])
        assert first[key]["low"] <= first[key]["mean"] <= first[key]["high"]
    assert set(first["by_state"]) <= {"CO", "NY"} and first["by_state"]
    assert first["by_language"] and first["by_payer"] and first["by_concern"]
    assert first["providers"] == 2 and first["demand"] == "default" and first["options"]["seed"] == 9
    second = json.loads(simulate(*args))
    first.pop("seconds"), second.pop("seconds")
    assert first == second


def test_the_table_names_the_figures_and_the_suggestion():
    weekday_provider()
    table = simulate("--days", "7", "--arrivals-per-day", "8", "--replications", "2", "--state", "CO",
                     "--extra-hours", "CO:4:language=es")
    assert "First appointment within 48 hours" in table and "90th percentile wait (hours)" in table
    assert "Provider utilisation" in table and "Language" in table and "\nCO " in table
    assert "extra weekly hours of a provider who" in table or "Every state reaches 90%" in table


def test_a_short_state_gets_its_extra_hours_and_the_forecast_checks_them_all_together():
    weekday_provider()
    figures = json.loads(simulate("--json", "--days", "7", "--arrivals-per-day", "12", "--replications", "2",
                                  "--state", "CO", "--suggest-states", "1", "--target", "0.95"))
    assert figures["by_state"]["CO"]["mean"] < 0.95
    [found] = figures["suggestions"]
    assert found["state"] == "CO" and found["hours"] and found["reached"] >= 0.95
    together = figures["with_suggestions"]
    assert together["hours"] == found["hours"] and together["by_state"]["CO"]["mean"] >= 0.95
