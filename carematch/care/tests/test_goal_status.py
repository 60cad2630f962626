"""A goal's status follows from its measurements: the pure rule, for every kind of goal."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.care.status import GoalStatus, Measurement, counted_measurement, goal_status

TARGET_DATE = dt.date(2027, 6, 1)
BEFORE = dt.date(2027, 5, 1)
AFTER = dt.date(2027, 6, 2)
S = Measurement

ACHIEVED, IN_PROGRESS, NOT_ACHIEVED = GoalStatus.ACHIEVED, GoalStatus.IN_PROGRESS, GoalStatus.NOT_ACHIEVED


@pytest.mark.parametrize(
    ("case", "measurements", "today", "expected"),
    [
        ("no score yet, date ahead", [], BEFORE, IN_PROGRESS),
        ("no score by the date, date passed", [], AFTER, NOT_ACHIEVED),
        ("latest score below the target", [S(BEFORE, 14), S(BEFORE, 9)], BEFORE, ACHIEVED),
        ("latest score exactly at the target is not below it", [S(BEFORE, 14), S(BEFORE, 10)], BEFORE, IN_PROGRESS),
        ("score below the target on the target date itself", [S(TARGET_DATE, 9)], TARGET_DATE, ACHIEVED),
        ("score below the target only after the date", [S(BEFORE, 14), S(AFTER, 4)], AFTER, NOT_ACHIEVED),
        ("achieved on the date stays achieved after it", [S(TARGET_DATE, 9), S(AFTER, 15)], AFTER, ACHIEVED),
        ("an earlier score below, the latest by the date not", [S(BEFORE, 8), S(TARGET_DATE, 12)], BEFORE,
         IN_PROGRESS),
        ("the same, once the date has passed", [S(BEFORE, 8), S(TARGET_DATE, 12)], AFTER, NOT_ACHIEVED),
        ("on the target date, not yet met, still in progress", [S(BEFORE, 12)], TARGET_DATE, IN_PROGRESS),
        ("two scores on one day: the later one counts", [S(BEFORE, 9), S(BEFORE, 11)], BEFORE, IN_PROGRESS),
    ],
)
def test_a_questionnaire_goal_is_met_by_the_latest_score_below_its_target_by_the_date(
    case, measurements, today, expected
):
    status = goal_status(measure="questionnaire", target=10, target_date=TARGET_DATE, measurements=measurements,
                         today=today)
    assert status == expected, case


@pytest.mark.parametrize(
    ("case", "measurements", "today", "expected"),
    [
        ("no rating yet", [], BEFORE, IN_PROGRESS),
        ("latest rating exactly at the target reaches it", [S(BEFORE, 5), S(BEFORE, 8)], BEFORE, ACHIEVED),
        ("latest rating one below the target", [S(BEFORE, 9), S(BEFORE, 7)], BEFORE, IN_PROGRESS),
        ("latest rating above the target", [S(BEFORE, 10)], BEFORE, ACHIEVED),
        ("rating reached on the target date", [S(TARGET_DATE, 8)], TARGET_DATE, ACHIEVED),
        ("rating reached only after the date", [S(BEFORE, 6), S(AFTER, 9)], AFTER, NOT_ACHIEVED),
        ("date passed without reaching it", [S(BEFORE, 7)], AFTER, NOT_ACHIEVED),
    ],
)
def test_a_self_rating_goal_is_met_when_the_latest_rating_reaches_its_target(case, measurements, today, expected):
    status = goal_status(measure="self_rating", target=8, target_date=TARGET_DATE, measurements=measurements,
                         today=today)
    assert status == expected, case


def test_a_revised_version_reads_revised_whatever_its_measurements():
    status = goal_status(measure="self_rating", target=8, target_date=TARGET_DATE, measurements=[S(BEFORE, 10)],
                         today=BEFORE, revised=True)
    assert status == GoalStatus.REVISED
    assert status.label == "Revised"


days = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 12, 31))
measurement_lists = st.lists(st.builds(Measurement, on=days, value=st.integers(0, 27)), max_size=8)


@given(measurements=measurement_lists, target=st.integers(1, 27), target_date=days, today=days,
       measure=st.sampled_from(["questionnaire", "self_rating"]))
def test_status_rests_only_on_the_latest_measurement_made_by_the_target_date(
    measurements, target, target_date, today, measure
):
    status = goal_status(measure=measure, target=target, target_date=target_date, measurements=measurements,
                         today=today)
    counted = counted_measurement(target_date=target_date, measurements=measurements)
    later_ones_removed = [m for m in measurements if m.on <= target_date]
    assert status == goal_status(measure=measure, target=target, target_date=target_date,
                                 measurements=later_ones_removed, today=today)
    if counted is None:
        assert status == (NOT_ACHIEVED if today > target_date else IN_PROGRESS)
    else:
        met = counted.value < target if measure == "questionnaire" else counted.value >= target
        assert (status == ACHIEVED) == met
        assert counted.on == max(m.on for m in later_ones_removed)
    if status == IN_PROGRESS:
        assert today <= target_date
