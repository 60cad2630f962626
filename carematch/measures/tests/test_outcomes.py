"""Provider outcome estimates: risk-adjusted for baseline severity and shrunk towards the
network mean, so a provider with three clients is not ranked on luck. Pure functions."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.measures.outcomes import (
    MIN_CLIENTS,
    TAU2_FLOOR,
    Course,
    effects_by_concern,
    estimate_effects,
)


def courses(provider_id, pairs):
    return [Course(provider_id, baseline, latest) for baseline, latest in pairs]


def test_no_courses_give_no_estimates():
    assert estimate_effects([]) == ({}, None)


def test_a_caseload_of_severe_clients_is_not_mistaken_for_better_care():
    # Everyone improves by 60% of (baseline - 5): severity alone explains every change.
    def improve(baseline):
        return baseline - 0.6 * (baseline - 5)

    severe = courses(1, [(b, improve(b)) for b in (18, 20, 22, 24, 26, 19, 21)])
    mild = courses(2, [(b, improve(b)) for b in (6, 7, 8, 9, 10, 6, 8)])
    mixed = courses(3, [(b, improve(b)) for b in (8, 12, 16, 20, 24, 10, 14)])
    effects, fit = estimate_effects(severe + mild + mixed)
    raw = {pid: sum(c.improvement for c in cs) / len(cs) for pid, cs in ((1, severe), (2, mild))}
    assert raw[1] > raw[2] + 5  # unadjusted, the severe caseload would look far better
    assert fit is not None and fit.slope == pytest.approx(0.6)
    assert all(abs(effect.estimate) < 1e-9 for effect in effects.values())


def test_a_provider_whose_clients_beat_expectation_ranks_first_and_few_clients_are_pulled_towards_the_mean():
    rows = []
    for pid, extra, n in ((1, 4.0, 30), (2, 0.0, 30), (3, -4.0, 30), (4, 4.0, 3)):
        for i in range(n):
            baseline = 10 + (i % 10)
            noise = (-2, 0, 2)[i % 3]
            rows.append(Course(pid, baseline, baseline - (0.5 * (baseline - 5) + extra + noise)))
    effects, fit = estimate_effects(rows)
    assert effects[1].estimate > effects[2].estimate > effects[3].estimate
    # The same true advantage, seen in 3 clients instead of 30, is trusted less:
    assert effects[4].weight < effects[1].weight
    assert abs(effects[4].estimate - fit.mean) < abs(effects[4].observed - fit.mean)
    assert effects[4].sd > effects[1].sd
    assert effects[1].low < effects[1].estimate < effects[1].high


def test_without_real_differences_between_providers_every_estimate_sits_at_the_network_mean():
    rows = [Course(pid, 15, 15 - 5 + noise) for pid in range(1, 6) for noise in (-3, 3, -1, 1)]
    effects, fit = estimate_effects(rows)
    assert fit.tau2 == TAU2_FLOOR
    assert all(effect.estimate == pytest.approx(fit.mean, abs=0.05) for effect in effects.values())


def test_matching_gets_only_estimates_that_enough_clients_back():
    rows = {
        "depression": courses(1, [(20, 10)] * MIN_CLIENTS) + courses(2, [(20, 14)] * (MIN_CLIENTS - 1)),
        "anxiety": courses(2, [(15, 5)] * MIN_CLIENTS) + courses(1, [(15, 10)] * 2),
    }
    found = effects_by_concern(rows)
    assert set(found) == {1, 2}
    assert set(found[1]) == {"depression"} and set(found[2]) == {"anxiety"}
    estimate, n, sd = found[1]["depression"]
    assert n == MIN_CLIENTS and sd > 0 and isinstance(estimate, float)


course_lists = st.lists(
    st.builds(Course, st.integers(1, 6), st.integers(0, 27), st.integers(0, 27)), min_size=1, max_size=60
)


@given(course_lists)
def test_every_estimate_is_shrunk_towards_the_mean_with_an_honest_interval(rows):
    effects, fit = estimate_effects(rows)
    assert fit is not None and fit.sigma2 > 0 and fit.tau2 >= TAU2_FLOOR
    assert sum(effect.n for effect in effects.values()) == len(rows)
    for effect in effects.values():
        assert 0 < effect.weight < 1
        assert effect.sd > 0 and math.isfinite(effect.estimate)
        low, high = sorted((fit.mean, effect.observed))
        assert low - 1e-9 <= effect.estimate <= high + 1e-9
        assert effect.low < effect.estimate < effect.high
        assert effect.sd <= math.sqrt(fit.sigma2 / effect.n) + 1e-12
