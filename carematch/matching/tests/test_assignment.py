"""Waitlist assignment: never breaks a rule, never places fewer than first-come-first-served."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from carematch.matching.assignment import assign_greedy, assign_optimal

NaN = float("nan")


def matrices(max_rows=6, max_cols=6):
    return st.integers(0, max_rows).flatmap(lambda r: st.integers(0, max_cols).flatmap(lambda c: st.lists(
        st.one_of(st.just(NaN), st.floats(0, 1)), min_size=r * c, max_size=r * c,
    ).map(lambda cells, r=r, c=c: np.array(cells, dtype=float).reshape(r, c))))


def best_by_brute_force(fit):
    rows, cols = fit.shape
    best = (0, 0.0)
    options = [[None, *[c for c in range(cols) if not np.isnan(fit[r, c])]] for r in range(rows)]
    for combo in itertools.product(*options):
        used = [c for c in combo if c is not None]
        if len(used) != len(set(used)):
            continue
        placed = len(used)
        total = sum(fit[r, c] for r, c in enumerate(combo) if c is not None)
        best = max(best, (placed, total))
    return best


def test_greedy_can_strand_a_request_that_the_optimum_places():
    fit = np.array([[0.9, 0.8], [0.7, NaN]])  # the first asker takes the only opening the second could use
    greedy, optimal = assign_greedy(fit), assign_optimal(fit)
    assert greedy.columns == (0, None) and greedy.placed == 1
    assert optimal.columns == (1, 0) and optimal.placed == 2
    assert optimal.total_fit == 0.8 + 0.7


@settings(max_examples=300, deadline=None)
@given(matrices())
def test_the_optimum_is_feasible_places_at_least_as_many_as_greedy_and_is_truly_best(fit):
    optimal, greedy = assign_optimal(fit), assign_greedy(fit)
    used = [c for c in optimal.columns if c is not None]
    assert len(used) == len(set(used))
    assert all(c is None or not np.isnan(fit[r, c]) for r, c in enumerate(optimal.columns))
    assert optimal.placed >= greedy.placed
    placed, total = best_by_brute_force(fit)
    assert optimal.placed == placed
    assert abs(optimal.total_fit - total) < 1e-9
