"""A goal's status, from its measurements: a pure function over plain data.

A goal says how success will be measured and by when:
- a questionnaire goal is met by a score *below* its target ("PHQ-9 below 10");
- a self-rating goal is met by a 0-10 rating *at or above* its target ("8 of 10").
Only measurements made on or before the target date count. The goal is achieved when the
latest of those meets the target, not achieved once the target date has passed without
that, and in progress until then. A version that has been revised keeps its history and
reads "revised", whatever its measurements.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext_lazy


class GoalStatus(StrEnum):
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    NOT_ACHIEVED = "not_achieved"
    REVISED = "revised"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])


STATUS_LABELS = {
    GoalStatus.IN_PROGRESS: gettext_lazy("In progress"),
    GoalStatus.ACHIEVED: gettext_lazy("Achieved"),
    GoalStatus.NOT_ACHIEVED: gettext_lazy("Not achieved"),
    GoalStatus.REVISED: gettext_lazy("Revised"),
}


class Measure(StrEnum):
    QUESTIONNAIRE = "questionnaire"
    SELF_RATING = "self_rating"


@dataclass(frozen=True)
class Measurement:
    """One score or rating and the day (in the client's time zone) it was made."""

    on: dt.date
    value: int


def meets_target(*, measure: str, target: int, value: int) -> bool:
    if measure == Measure.QUESTIONNAIRE:
        return value < target
    return value >= target


def counted_measurement(
    *, target_date: dt.date, measurements: Sequence[Measurement]
) -> Measurement | None:
    """The latest measurement made on or before the target date (given in time order; of
    two on one day, the later in the sequence is the latest)."""
    counted = [m for m in measurements if m.on <= target_date]
    if not counted:
        return None
    return max(enumerate(counted), key=lambda pair: (pair[1].on, pair[0]))[1]


def goal_status(
    *,
    measure: str,
    target: int,
    target_date: dt.date,
    measurements: Sequence[Measurement],
    today: dt.date,
    revised: bool = False,
) -> GoalStatus:
    if revised:
        return GoalStatus.REVISED
    latest = counted_measurement(target_date=target_date, measurements=measurements)
    if latest is not None and meets_target(measure=measure, target=target, value=latest.value):
        return GoalStatus.ACHIEVED
    if today > target_date:
        return GoalStatus.NOT_ACHIEVED
    return GoalStatus.IN_PROGRESS
