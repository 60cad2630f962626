"""Geometry of a questionnaire score chart: plain data in, plain data out, no database.

The template draws the SVG from what this returns: one shaded band per severity range,
the scores as points joined by a line, dates spaced by the time between them. A score s is
drawn at height s on a 0..max scale, and the band of scores low..high covers low - 0.5 to
high + 0.5, so every whole score sits inside its own band (a PHQ-9 of 4 in "minimal", 5 in
"mild"). The text summary says the same in words for people who cannot see the chart.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from carematch.measures.instruments import INSTRUMENTS
from carematch.measures.scoring import SEVERITY_BANDS, SEVERITY_LABELS

# The viewBox: the chart scales to its container's width, so it never forces sideways scrolling.
WIDTH = 400
HEIGHT = 240
PLOT_LEFT = 34
PLOT_RIGHT = WIDTH - 8
PLOT_TOP = 8
PLOT_BOTTOM = HEIGHT - 32
POINT_INSET = 14  # keeps the first and last points clear of the plot's edges


@dataclass(frozen=True)
class Band:
    slug: str
    label: str
    low: int
    high: int  # inclusive


def bands_for(instrument: str) -> tuple[Band, ...]:
    """The published severity ranges of a questionnaire (carematch.measures.scoring)."""
    lows = SEVERITY_BANDS[instrument]
    top = INSTRUMENTS[instrument].max_total
    return tuple(
        Band(slug, SEVERITY_LABELS[slug], low, lows[i + 1][0] - 1 if i + 1 < len(lows) else top)
        for i, (low, slug) in enumerate(lows)
    )


@dataclass(frozen=True)
class ScorePoint:
    at: dt.datetime  # aware, in the zone the dates should read in
    score: int


@dataclass(frozen=True)
class BandArea:
    slug: str
    label: str
    x: float
    y: float
    width: float
    height: float

    @property
    def label_y(self) -> float:
        return round(self.y + min(self.height / 2 + 4, self.height - 3), 1)


@dataclass(frozen=True)
class PlacedPoint:
    x: float
    y: float
    score: int
    band: Band
    at: dt.datetime
    date_label: str


@dataclass(frozen=True)
class Tick:
    at: float  # x for date ticks, y for score ticks
    label: str


@dataclass(frozen=True)
class Chart:
    bands: list[BandArea]
    points: list[PlacedPoint]
    score_ticks: list[Tick]
    date_ticks: list[Tick]
    line: str  # the polyline's `points` attribute
    width: int = WIDTH
    height: int = HEIGHT
    plot_left: int = PLOT_LEFT
    plot_right: int = PLOT_RIGHT
    plot_top: int = PLOT_TOP
    plot_bottom: int = PLOT_BOTTOM


def band_of(score: int, bands: Sequence[Band]) -> Band:
    for band in bands:
        if band.low <= score <= band.high:
            return band
    raise ValueError(f"score {score} is outside the bands {bands[0].low}..{bands[-1].high}")


def score_y(score: float, max_score: int) -> float:
    """Height on the chart of a score (clamped to 0..max): 0 at the bottom, max at the top."""
    clamped = min(max(score, 0.0), float(max_score))
    return PLOT_BOTTOM - clamped / max_score * (PLOT_BOTTOM - PLOT_TOP)


def date_x(at: dt.datetime, first: dt.datetime, last: dt.datetime) -> float:
    """Across the chart in proportion to time; a single moment sits in the middle."""
    left, right = PLOT_LEFT + POINT_INSET, PLOT_RIGHT - POINT_INSET
    span = (last - first).total_seconds()
    if span <= 0:
        return (left + right) / 2
    return left + (at - first).total_seconds() / span * (right - left)


def date_label(at: dt.datetime, *, with_year: bool) -> str:
    return date_format(at, "j M Y" if with_year else "j M")


def score_chart(*, bands: Sequence[Band], points: Sequence[ScorePoint]) -> Chart:
    """The chart of `points` (in time order) over `bands` (ascending, covering 0..max)."""
    max_score = bands[-1].high
    areas = []
    for band in bands:
        top = score_y(band.high + 0.5, max_score)
        bottom = score_y(band.low - 0.5, max_score)
        areas.append(BandArea(band.slug, band.label, PLOT_LEFT, round(top, 2), PLOT_RIGHT - PLOT_LEFT,
                              round(bottom - top, 2)))
    ordered = sorted(points, key=lambda p: p.at)
    placed: list[PlacedPoint] = []
    date_ticks: list[Tick] = []
    if ordered:
        first, last = ordered[0].at, ordered[-1].at
        with_year = first.year != last.year
        for point in ordered:
            placed.append(PlacedPoint(
                x=round(date_x(point.at, first, last), 2), y=round(score_y(point.score, max_score), 2),
                score=point.score, band=band_of(point.score, bands), at=point.at,
                date_label=date_label(point.at, with_year=True),
            ))
        date_ticks.append(Tick(placed[0].x, date_label(first, with_year=with_year)))
        if last.date() != first.date():
            date_ticks.append(Tick(placed[-1].x, date_label(last, with_year=with_year)))
    score_ticks = [Tick(round(score_y(b.low, max_score), 2), str(b.low)) for b in bands]
    score_ticks.append(Tick(round(score_y(max_score, max_score), 2), str(max_score)))
    line = " ".join(f"{p.x},{p.y}" for p in placed)
    return Chart(bands=areas, points=placed, score_ticks=score_ticks, date_ticks=date_ticks, line=line)


def chart_summary(*, name: str, bands: Sequence[Band], points: Sequence[ScorePoint]) -> str:
    """The chart in words: how many scores over what time, where it started and where it is now."""
    if not points:
        return gettext("No %(name)s scores yet.") % {"name": name}
    ordered = sorted(points, key=lambda p: p.at)
    first, last = ordered[0], ordered[-1]

    def said(point: ScorePoint) -> str:
        return gettext("%(score)s (%(band)s) on %(day)s") % {
            "score": point.score, "band": band_of(point.score, bands).label.lower(),
            "day": date_label(point.at, with_year=True)}

    if len(ordered) == 1:
        return gettext("One %(name)s score: %(score)s.") % {"name": name, "score": said(first)}
    if last.score < first.score:
        change = ngettext("down %(points)d point", "down %(points)d points", first.score - last.score) % {
            "points": first.score - last.score}
    elif last.score > first.score:
        change = ngettext("up %(points)d point", "up %(points)d points", last.score - first.score) % {
            "points": last.score - first.score}
    else:
        change = gettext("no change")
    return gettext("%(count)s %(name)s scores. First %(first)s; latest %(latest)s: %(change)s. "
                   "Lower scores mean fewer symptoms.") % {
        "count": len(ordered), "name": name, "first": said(first), "latest": said(last), "change": change}
