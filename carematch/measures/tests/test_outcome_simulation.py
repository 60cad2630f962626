"""With synthetic providers whose true effectiveness differs by concern, the estimates find
the better providers far more often than chance, and matching with the outcome weight gives
clients better simulated outcomes than matching without it. Seeded and deterministic."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

from carematch.measures.outcomes import MIN_CLIENTS, Course, effects_by_concern, estimate_effects

SEED = 20210901
PROVIDERS = 40
MAX_TOTAL = {"depression": 27, "anxiety": 21}
BASELINE = {"depression": (14.0, 5.0), "anxiety": (12.0, 4.0)}
TRUE_SD = 1.5  # points: how much providers truly differ, per concern
CLIENT_SD = 4.0  # points: how much one client's change varies by chance
RECOVERY = 0.4  # expected improvement per point of baseline above 5
FIT_BENEFIT = 0.5  # points of improvement per standard deviation of fit on everything else
NEW_CLIENTS = 4000
CANDIDATES = 5
OUTCOME_WEIGHT = 0.5  # score points per point of estimated effect


@dataclass(frozen=True)
class Figures:
    spearman: dict[str, float]
    top_quartile_precision: dict[str, float]
    mean_improvement_without: float
    mean_improvement_with: float


def _baseline(rng, concern, size):
    mean, sd = BASELINE[concern]
    return np.clip(np.rint(rng.normal(mean, sd, size)), 5, MAX_TOTAL[concern])


def simulate(seed: int = SEED) -> Figures:
    rng = np.random.default_rng(seed)
    truth = {concern: rng.normal(0.0, TRUE_SD, PROVIDERS) for concern in MAX_TOTAL}
    caseload = {concern: rng.integers(3, 41, PROVIDERS) for concern in MAX_TOTAL}
    courses: dict[str, list[Course]] = {concern: [] for concern in MAX_TOTAL}
    for concern, top in MAX_TOTAL.items():
        for pid in range(PROVIDERS):
            baseline = _baseline(rng, concern, caseload[concern][pid])
            change = RECOVERY * (baseline - 5) + truth[concern][pid] + rng.normal(0, CLIENT_SD, baseline.size)
            latest = np.clip(np.rint(baseline - change), 0, top)
            courses[concern].extend(Course(pid, float(b), float(x)) for b, x in zip(baseline, latest, strict=True))

    spearman, precision = {}, {}
    quarter = PROVIDERS // 4
    for concern in MAX_TOTAL:
        effects, _ = estimate_effects(courses[concern])
        estimate = np.array([effects[pid].estimate for pid in range(PROVIDERS)])
        spearman[concern] = float(spearmanr(estimate, truth[concern]).statistic)
        best_estimated = set(np.argsort(-estimate)[:quarter])
        truly_best = set(np.argsort(-truth[concern])[:quarter])
        precision[concern] = len(best_estimated & truly_best) / quarter

    # New clients, each offered CANDIDATES providers who fit them on everything else to some
    # degree; matching picks by fit alone, or by fit plus the outcome term where at least
    # MIN_CLIENTS clients back the estimate. Both arms see the same clients and the same luck.
    usable = effects_by_concern(courses, min_clients=MIN_CLIENTS)
    totals = {"without": 0.0, "with": 0.0}
    for _ in range(NEW_CLIENTS):
        concern = "depression" if rng.random() < 0.5 else "anxiety"
        baseline = float(_baseline(rng, concern, 1)[0])
        candidates = rng.choice(PROVIDERS, CANDIDATES, replace=False)
        fit = rng.normal(0, 1, CANDIDATES)
        luck = rng.normal(0, CLIENT_SD)
        term = np.array([usable.get(int(pid), {}).get(concern, (0.0, 0, 0.0))[0] for pid in candidates])
        for arm, score in (("without", fit), ("with", fit + OUTCOME_WEIGHT * term)):
            chosen = int(np.argmax(score))
            totals[arm] += (RECOVERY * (baseline - 5) + truth[concern][candidates[chosen]]
                            + FIT_BENEFIT * fit[chosen] + luck)
    return Figures(spearman, precision, float(totals["without"]) / NEW_CLIENTS, float(totals["with"]) / NEW_CLIENTS)


def test_estimates_rank_providers_far_better_than_chance_and_the_outcome_weight_improves_simulated_outcomes():
    figures = simulate()
    for concern in MAX_TOTAL:
        assert figures.spearman[concern] > 0.5, figures
        assert figures.top_quartile_precision[concern] > 0.25, figures  # chance is 0.25
    assert figures.mean_improvement_with > figures.mean_improvement_without + 0.3, figures


def test_the_simulation_is_deterministic():
    assert simulate() == simulate()
