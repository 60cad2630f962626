"""Scoring exactly as published, the item-9 safety alert, and change against the baseline:
pure functions, no database."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.measures import scoring
from carematch.measures.instruments import GAD7, INSTRUMENTS, PHQ9


def answers_totalling(instrument: str, total: int, *, item9: int | None = None) -> list[int]:
    """Answers adding up to `total`; on the PHQ-9, item 9 as given (or filled like the rest)."""
    count = INSTRUMENTS[instrument].item_count
    answers = [0] * count
    left = total
    fixed = item9 is not None
    if fixed:
        answers[8] = item9
        left -= item9
    for index in range(count - (1 if fixed else 0)):
        answers[index] = min(3, left)
        left -= answers[index]
    assert left == 0
    return answers


# Every band's lowest and highest total, both instruments.
SEVERITY_TABLE = [
    ("phq9", 0, "minimal"), ("phq9", 4, "minimal"),
    ("phq9", 5, "mild"), ("phq9", 9, "mild"),
    ("phq9", 10, "moderate"), ("phq9", 14, "moderate"),
    ("phq9", 15, "moderately_severe"), ("phq9", 19, "moderately_severe"),
    ("phq9", 20, "severe"), ("phq9", 27, "severe"),
    ("gad7", 0, "minimal"), ("gad7", 4, "minimal"),
    ("gad7", 5, "mild"), ("gad7", 9, "mild"),
    ("gad7", 10, "moderate"), ("gad7", 14, "moderate"),
    ("gad7", 15, "severe"), ("gad7", 21, "severe"),
]


@pytest.mark.parametrize(("instrument", "total", "severity"), SEVERITY_TABLE)
def test_every_severity_boundary_scores_as_published(instrument, total, severity):
    result = scoring.score(instrument, answers_totalling(instrument, total))
    assert (result.total, result.severity) == (total, severity)


# Item 9 answered above 0 raises the alert whatever the total; at 0 it never does; the GAD-7 has no such item.
ALERT_TABLE = [
    ("phq9", 0, 0, ()),
    ("phq9", 24, 0, ()),
    ("phq9", 1, 1, ("suicidal_ideation",)),
    ("phq9", 2, 2, ("suicidal_ideation",)),
    ("phq9", 3, 3, ("suicidal_ideation",)),
    ("phq9", 27, 3, ("suicidal_ideation",)),
    ("gad7", 21, None, ()),
]


@pytest.mark.parametrize(("instrument", "total", "item9", "alerts"), ALERT_TABLE)
def test_phq9_item9_above_zero_always_raises_the_suicidal_ideation_alert(instrument, total, item9, alerts):
    result = scoring.score(instrument, answers_totalling(instrument, total, item9=item9))
    assert result.alerts == alerts


def test_the_instruments_have_their_published_items_and_ranges():
    assert (PHQ9.item_count, PHQ9.max_total, GAD7.item_count, GAD7.max_total) == (9, 27, 7, 21)
    assert PHQ9.items[8].text == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert GAD7.items[0].text == "Feeling nervous, anxious or on edge"


@pytest.mark.parametrize(("instrument", "answers", "difficulty", "expected"), [
    ("phq10", [0] * 9, None, {"instrument": "must be one of phq9, gad7"}),
    ("phq9", [0] * 8, None, {"answers": "PHQ-9 has 9 items: give 9 answers, not 8"}),
    ("gad7", [0] * 9, None, {"answers": "GAD-7 has 7 items: give 7 answers, not 9"}),
    ("phq9", [0, 0, 0, 4, 0, 0, 0, 0, -1], None, {
        "answers.3": "item 4 must be a whole number from 0 to 3",
        "answers.8": "item 9 must be a whole number from 0 to 3",
    }),
    ("gad7", [0, 0, True, 0, 0, 0, 0], None, {"answers.2": "item 3 must be a whole number from 0 to 3"}),
    ("gad7", [0, 0, "1", 0, 0, 0, 1.0], None, {
        "answers.2": "item 3 must be a whole number from 0 to 3",
        "answers.6": "item 7 must be a whole number from 0 to 3",
    }),
    ("gad7", [0] * 7, 4, {"difficulty": "must be a whole number from 0 to 3, or left out"}),
    ("gad7", "0000000", None, {"answers": "must be a list of 7 answers, each 0 to 3"}),
])
def test_each_problem_with_a_response_is_named_by_its_field(instrument, answers, difficulty, expected):
    assert scoring.answer_problems(instrument, answers, difficulty) == expected
    with pytest.raises(ValueError):
        scoring.score(instrument, answers, difficulty)


@given(st.sampled_from(["phq9", "gad7"]).flatmap(
    lambda code: st.tuples(st.just(code), st.lists(st.integers(0, 3), min_size=INSTRUMENTS[code].item_count,
                                                   max_size=INSTRUMENTS[code].item_count))
))
def test_any_valid_response_totals_its_answers_into_the_band_that_total_belongs_to(case):
    instrument, answers = case
    result = scoring.score(instrument, answers)
    assert result.total == sum(answers)
    bands = scoring.SEVERITY_BANDS[instrument]
    lowest = {band: low for low, band in bands}[result.severity]
    higher = [low for low, _ in bands if low > lowest]
    assert lowest <= result.total < (higher[0] if higher else INSTRUMENTS[instrument].max_total + 1)
    assert (scoring.SUICIDAL_IDEATION in result.alerts) == (instrument == "phq9" and answers[8] > 0)


@pytest.mark.parametrize(("instrument", "baseline", "total", "flags"), [
    ("phq9", 20, 14, ("reliable_improvement",)),  # 6 points down
    ("phq9", 20, 15, ()),  # 5 down: within everyday ups and downs
    ("phq9", 8, 14, ("reliable_deterioration",)),
    ("phq9", 8, 13, ()),
    ("gad7", 15, 11, ("reliable_improvement",)),  # 4 points down on the GAD-7
    ("gad7", 11, 15, ("reliable_deterioration",)),
    ("gad7", 15, 12, ()),
    ("phq9", 10, 5, ("response",)),  # exactly half of a baseline of 10
    ("phq9", 10, 6, ()),
    ("phq9", 9, 4, ()),  # baseline below 10: neither response nor remission
    ("phq9", 12, 4, ("reliable_improvement", "response", "remission")),
    ("gad7", 10, 4, ("reliable_improvement", "response", "remission")),
    ("phq9", 10, 10, ()),
])
def test_change_flags_follow_the_reliable_change_response_and_remission_rules(instrument, baseline, total, flags):
    assert scoring.change_flags(instrument, baseline, total) == flags


@given(st.sampled_from(["phq9", "gad7"]), st.integers(0, 27), st.integers(0, 27))
def test_change_flags_never_contradict_each_other(instrument, baseline, total):
    top = INSTRUMENTS[instrument].max_total
    baseline, total = min(baseline, top), min(total, top)
    flags = scoring.change_flags(instrument, baseline, total)
    assert not {"reliable_improvement", "reliable_deterioration"} <= set(flags)
    if "remission" in flags or "response" in flags:
        assert baseline >= 10 and total < baseline
    if "remission" in flags:
        assert total < 5
    assert scoring.change_flags(instrument, baseline, baseline) == ()
