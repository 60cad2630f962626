"""Placing a waitlist into open first-session openings all at once.

A pure function over a fit matrix: rows are waiting requests, columns are openings, each
cell the fit of that request with that opening (0..1), or NaN where a hard rule forbids
the pair. Each request gets at most one opening and each opening at most one request.

The optimal assignment maximises, first, how many requests are placed and then their
total fit (each placement is worth more than any possible sum of fits, so fit never
costs a placement). It is solved as a rectangular assignment problem with an
"unassigned" column per request (scipy.optimize.linear_sum_assignment). The greedy
assignment is the usual first-come-first-served: in order of waiting, each request
takes its best remaining opening.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class Assignment:
    columns: tuple[int | None, ...]  # per request: the opening's column, or None
    placed: int
    total_fit: float


def _summary(fit: NDArray[np.float64], columns: list[int | None]) -> Assignment:
    total = float(sum(fit[row, col] for row, col in enumerate(columns) if col is not None))
    return Assignment(tuple(columns), sum(col is not None for col in columns), total)


def assign_optimal(fit: NDArray[np.float64]) -> Assignment:
    rows, cols = fit.shape
    if rows == 0:
        return Assignment((), 0, 0.0)
    feasible = ~np.isnan(fit)
    placement_bonus = float(rows + 1)  # > any total of fits in 0..1
    forbidden = placement_bonus * (rows + 2)  # worse than leaving every request unplaced
    cost = np.where(feasible, -(placement_bonus + np.nan_to_num(fit)), forbidden)
    # One "unassigned" column per request, at no cost, so every request has a way out.
    unassigned = np.full((rows, rows), forbidden)
    np.fill_diagonal(unassigned, 0.0)
    chosen_rows, chosen_cols = linear_sum_assignment(np.hstack([cost, unassigned]))
    columns: list[int | None] = [None] * rows
    for row, col in zip(chosen_rows, chosen_cols, strict=True):
        if col < cols and feasible[row, col]:
            columns[row] = int(col)
    return _summary(fit, columns)


def assign_greedy(fit: NDArray[np.float64], order: list[int] | None = None) -> Assignment:
    """First come, first served: each request in `order` takes its best remaining opening
    (ties to the lowest column)."""
    rows, _ = fit.shape
    taken: set[int] = set()
    columns: list[int | None] = [None] * rows
    for row in order if order is not None else range(rows):
        best, best_fit = None, -1.0
        for col in np.flatnonzero(~np.isnan(fit[row])):
            if int(col) not in taken and fit[row, col] > best_fit:
                best, best_fit = int(col), float(fit[row, col])
        if best is not None:
            columns[row] = best
            taken.add(best)
    return _summary(fit, columns)
