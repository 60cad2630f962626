"""Scoring the PHQ-9 and GAD-7, their safety alert, and change over time: plain functions
over plain data, no database.

Scoring is exactly as published: the total is the sum of the item scores (each 0-3), and
the difficulty question is recorded but not scored.
- PHQ-9 (Kroenke, Spitzer & Williams 2001), total 0-27: minimal 0-4, mild 5-9, moderate
  10-14, moderately severe 15-19, severe 20-27.
- GAD-7 (Spitzer et al. 2006), total 0-21: minimal 0-4, mild 5-9, moderate 10-14, severe 15-21.

PHQ-9 item 9 (thoughts of being better off dead or of self-harm) answered above 0 always
raises the `suicidal_ideation` alert, whatever the total.

Change is measured against the client's first (baseline) score on the same instrument:
- reliable improvement / deterioration: a change of at least 6 points on the PHQ-9 or 4
  on the GAD-7, the reliable change indices of NHS Talking Therapies for anxiety and
  depression (NHS England, "NHS Talking Therapies for anxiety and depression manual",
  its definitions of reliable improvement and reliable deterioration);
- response: a score at least 50% below a baseline of 10 or more;
- remission: a score below 5 after a baseline of 10 or more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .instruments import DIFFICULTY_OPTIONS, INSTRUMENTS, ITEM_OPTIONS, PHQ9, SAFETY_ITEM

SUICIDAL_IDEATION = "suicidal_ideation"

# (lowest total of the band, band); a total belongs to the last band it reaches.
SEVERITY_BANDS = MappingProxyType({
    "phq9": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "moderately_severe"), (20, "severe")),
    "gad7": ((0, "minimal"), (5, "mild"), (10, "moderate"), (15, "severe")),
})
SEVERITIES = ("minimal", "mild", "moderate", "moderately_severe", "severe")
SEVERITY_LABELS = MappingProxyType({
    "minimal": "Minimal", "mild": "Mild", "moderate": "Moderate", "moderately_severe": "Moderately severe",
    "severe": "Severe",
})

# NHS Talking Therapies reliable change indices.
RELIABLE_CHANGE = MappingProxyType({"phq9": 6, "gad7": 4})
RESPONSE_AND_REMISSION_BASELINE = 10  # response and remission are judged only from a baseline this high
REMISSION_BELOW = 5

RELIABLE_IMPROVEMENT = "reliable_improvement"
RELIABLE_DETERIORATION = "reliable_deterioration"
RESPONSE = "response"
REMISSION = "remission"

_ITEM_VALUES = frozenset(option.value for option in ITEM_OPTIONS)
_DIFFICULTY_VALUES = frozenset(option.value for option in DIFFICULTY_OPTIONS)


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    severity: str
    alerts: tuple[str, ...]


def _is_whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def answer_problems(instrument: Any, answers: Any, difficulty: Any = None) -> dict[str, str]:
    """What is wrong with a response, field by field (empty when it can be scored).

    Fields are named as the API names them: `instrument`, `answers`, `answers.<i>` (counted
    from 0) and `difficulty`."""
    if instrument not in INSTRUMENTS:
        return {"instrument": f"must be one of {', '.join(INSTRUMENTS)}"}
    spec = INSTRUMENTS[instrument]
    problems: dict[str, str] = {}
    if not isinstance(answers, list | tuple):
        problems["answers"] = f"must be a list of {spec.item_count} answers, each 0 to 3"
    elif len(answers) != spec.item_count:
        problems["answers"] = (
            f"{spec.name} has {spec.item_count} items: give {spec.item_count} answers, not {len(answers)}"
        )
    else:
        for index, value in enumerate(answers):
            if not _is_whole(value) or value not in _ITEM_VALUES:
                problems[f"answers.{index}"] = f"item {index + 1} must be a whole number from 0 to 3"
    if difficulty is not None and (not _is_whole(difficulty) or difficulty not in _DIFFICULTY_VALUES):
        problems["difficulty"] = "must be a whole number from 0 to 3, or left out"
    return problems


def severity_for(instrument: str, total: int) -> str:
    bands = SEVERITY_BANDS[instrument]
    if not 0 <= total <= INSTRUMENTS[instrument].max_total:
        raise ValueError(f"{instrument} total {total} is out of range")
    severity = bands[0][1]
    for lowest, band in bands:
        if total >= lowest:
            severity = band
    return severity


def score(instrument: str, answers: Sequence[int], difficulty: int | None = None) -> Score:
    """Score a response. Raises ValueError when `answer_problems` finds any problem."""
    problems = answer_problems(instrument, list(answers), difficulty)
    if problems:
        raise ValueError("; ".join(f"{field}: {problem}" for field, problem in problems.items()))
    total = sum(answers)
    alerts: tuple[str, ...] = ()
    if instrument == PHQ9.code and answers[SAFETY_ITEM - 1] > 0:
        alerts = (SUICIDAL_IDEATION,)
    return Score(instrument=instrument, total=total, severity=severity_for(instrument, total), alerts=alerts)


def change_flags(instrument: str, baseline: int, total: int) -> tuple[str, ...]:
    """The change flags of a later score against the baseline, in this order: reliable
    improvement, reliable deterioration, response, remission."""
    threshold = RELIABLE_CHANGE[instrument]
    flags = []
    if baseline - total >= threshold:
        flags.append(RELIABLE_IMPROVEMENT)
    if total - baseline >= threshold:
        flags.append(RELIABLE_DETERIORATION)
    if baseline >= RESPONSE_AND_REMISSION_BASELINE:
        if 2 * total <= baseline:  # at least 50% below the baseline, in whole numbers
            flags.append(RESPONSE)
        if total < REMISSION_BELOW:
            flags.append(REMISSION)
    return tuple(flags)
