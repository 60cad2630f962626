"""The score chart's geometry: bands, points and dates, as plain numbers (no database)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.care.chart import (
    PLOT_BOTTOM,
    PLOT_LEFT,
    PLOT_RIGHT,
    PLOT_TOP,
    ScorePoint,
    band_of,
    bands_for,
    chart_summary,
    score_chart,
)

DENVER = dt.timezone(dt.timedelta(hours=-7))
DAY = dt.datetime(2027, 1, 4, 9, tzinfo=DENVER)


def area_of(chart, slug):
    return next(area for area in chart.bands if area.slug == slug)


def inside(point, area):
    return area.y <= point.y <= area.y + area.height


def test_the_bands_are_the_published_severity_ranges():
    assert [(b.slug, b.low, b.high) for b in bands_for("phq9")] == [
        ("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("moderately_severe", 15, 19), ("severe", 20, 27),
    ]
    assert [(b.slug, b.low, b.high) for b in bands_for("gad7")] == [
        ("minimal", 0, 4), ("mild", 5, 9), ("moderate", 10, 14), ("severe", 15, 21),
    ]


@pytest.mark.parametrize(
    ("instrument", "score", "band", "neighbour"),
    [
        ("phq9", 4, "minimal", "mild"),
        ("phq9", 5, "mild", "minimal"),
        ("phq9", 9, "mild", "moderate"),
        ("phq9", 10, "moderate", "mild"),
        ("phq9", 19, "moderately_severe", "severe"),
        ("phq9", 20, "severe", "moderately_severe"),
        ("gad7", 14, "moderate", "severe"),
        ("gad7", 15, "severe", "moderate"),
    ],
)
def test_boundary_scores_are_drawn_inside_their_own_band(instrument, score, band, neighbour):
    chart = score_chart(bands=bands_for(instrument), points=[ScorePoint(DAY, score)])
    [point] = chart.points
    assert point.band.slug == band
    assert inside(point, area_of(chart, band))
    assert not inside(point, area_of(chart, neighbour))


def test_a_phq9_of_4_and_one_of_5_fall_in_different_bands_one_above_the_other():
    chart = score_chart(bands=bands_for("phq9"), points=[ScorePoint(DAY, 4), ScorePoint(DAY + dt.timedelta(days=7), 5)])
    four, five = chart.points
    assert (four.band.slug, five.band.slug) == ("minimal", "mild")
    assert five.y < four.y  # higher scores are drawn higher up


def test_one_score_sits_in_the_middle_without_dividing_by_zero():
    chart = score_chart(bands=bands_for("phq9"), points=[ScorePoint(DAY, 12)])
    [point] = chart.points
    assert point.x == pytest.approx((PLOT_LEFT + PLOT_RIGHT) / 2)
    assert [t.label for t in chart.date_ticks] == ["4 Jan"]


def test_scores_taken_at_the_same_moment_do_not_divide_by_zero():
    chart = score_chart(bands=bands_for("gad7"), points=[ScorePoint(DAY, 3), ScorePoint(DAY, 6)])
    assert [p.x for p in chart.points] == pytest.approx([(PLOT_LEFT + PLOT_RIGHT) / 2] * 2)


def test_dates_are_spaced_by_the_time_between_them_not_evenly():
    points = [ScorePoint(DAY + dt.timedelta(days=days), score) for days, score in ((0, 16), (1, 14), (10, 9))]
    chart = score_chart(bands=bands_for("phq9"), points=points)
    first, second, third = (p.x for p in chart.points)
    assert (second - first) * 9 == pytest.approx(third - second)
    assert [t.label for t in chart.date_ticks] == ["4 Jan", "14 Jan"]
    assert chart.line == " ".join(f"{p.x},{p.y}" for p in chart.points)


def test_points_given_out_of_order_are_drawn_in_time_order():
    later = ScorePoint(DAY + dt.timedelta(days=14), 5)
    chart = score_chart(bands=bands_for("phq9"), points=[later, ScorePoint(DAY, 20)])
    assert [p.score for p in chart.points] == [20, 5]


def test_dates_across_a_new_year_carry_the_year():
    points = [ScorePoint(dt.datetime(2026, 12, 28, tzinfo=DENVER), 8), ScorePoint(DAY, 6)]
    chart = score_chart(bands=bands_for("phq9"), points=points)
    assert [t.label for t in chart.date_ticks] == ["28 Dec 2026", "4 Jan 2027"]


def test_the_bands_fill_the_plot_from_bottom_to_top_without_gaps():
    chart = score_chart(bands=bands_for("phq9"), points=[])
    ordered = sorted(chart.bands, key=lambda a: -a.y)
    assert ordered[0].y + ordered[0].height == pytest.approx(PLOT_BOTTOM)
    assert ordered[-1].y == pytest.approx(PLOT_TOP)
    for lower, upper in itertools.pairwise(ordered):
        assert upper.y + upper.height == pytest.approx(lower.y, abs=0.02)
    assert chart.points == [] and chart.date_ticks == [] and chart.line == ""


def test_the_summary_says_where_scores_started_and_where_they_are_now():
    points = [ScorePoint(DAY, 16), ScorePoint(DAY + dt.timedelta(days=28), 8)]
    summary = chart_summary(name="PHQ-9", bands=bands_for("phq9"), points=points)
    assert summary.startswith(
        "2 PHQ-9 scores. First 16 (moderately severe) on 4 Jan 2027; latest 8 (mild) on 1 Feb 2027"
    )
    assert "down 8 points" in summary
    assert chart_summary(name="GAD-7", bands=bands_for("gad7"), points=[ScorePoint(DAY, 4)]) == (
        "One GAD-7 score: 4 (minimal) on 4 Jan 2027."
    )


@given(
    instrument=st.sampled_from(["phq9", "gad7"]),
    data=st.data(),
)
def test_every_point_lies_inside_the_plot_and_inside_its_band(instrument, data):
    bands = bands_for(instrument)
    offsets = data.draw(st.lists(st.integers(0, 400 * 24 * 3600), min_size=1, max_size=12))
    scores = data.draw(st.lists(st.integers(0, bands[-1].high), min_size=len(offsets), max_size=len(offsets)))
    points = [ScorePoint(DAY + dt.timedelta(seconds=o), s) for o, s in zip(offsets, scores, strict=True)]
    chart = score_chart(bands=bands, points=points)
    assert len(chart.points) == len(points)
    xs = [p.x for p in chart.points]
    assert xs == sorted(xs)
    for point in chart.points:
        assert PLOT_LEFT <= point.x <= PLOT_RIGHT and PLOT_TOP <= point.y <= PLOT_BOTTOM
        assert point.band == band_of(point.score, bands)
        assert inside(point, area_of(chart, point.band.slug))
