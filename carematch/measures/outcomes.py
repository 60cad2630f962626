"""How much each provider's clients improve, risk-adjusted and shrunk: plain functions over
plain data, no database.

The design follows the outcome-informed matching of Constantino MJ, Boswell JF,
Coyne AE, Swales TP, Kraus DR. Effect of matching therapists to patients vs assignment as
usual on adult psychotherapy outcomes: a randomized clinical trial. JAMA Psychiatry.
2021;78(9):960-969, where therapists' measured effectiveness per problem area guided
which therapist a patient was matched with.

For one measured concern (depression by PHQ-9, anxiety by GAD-7):
1. Each client's course with a provider is their first (baseline) and latest score there;
   their improvement is baseline minus latest, in questionnaire points.
2. Risk adjustment: clients who start higher have more room to improve (and regress to
   the mean), so improvement is regressed on baseline across the whole network (ordinary
   least squares) and each client keeps only the residual: how much better or worse they
   did than a client of the same baseline anywhere in the network.
3. Each provider's observed effect is their clients' mean residual. With few clients that
   mean is mostly luck, so it is shrunk towards the network mean by empirical Bayes in a
   normal-normal model: observed_j ~ N(theta_j, sigma^2 / n_j), theta_j ~ N(mu, tau^2).
   sigma^2 is the pooled within-provider variance of residuals; tau^2, the variance of true
   provider effects, is estimated by the method of moments (variance of the providers'
   observed effects minus their average sampling variance) and floored at a small
   positive value. The shrinkage weight is B_j = n_j / (n_j + sigma^2 / tau^2); the
   estimate mu + B_j (observed_j - mu) has posterior standard deviation
   sqrt(B_j sigma^2 / n_j), and the 90% interval is the estimate plus or minus 1.645 of
   those.

Estimates are in points of improvement above (positive) or below (negative) what the
network's clients of the same baseline achieve. Matching may use one as a weight only
where at least MIN_CLIENTS clients back it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# The rules matching shares live in lib, which the match engine may import; named here too.
from carematch.lib.outcome_rules import CONCERN_INSTRUMENTS as CONCERN_INSTRUMENTS
from carematch.lib.outcome_rules import MIN_CLIENTS

TAU2_FLOOR = 0.01  # points squared: "almost no true difference between providers"
SIGMA2_FLOOR = 1.0  # points squared: questionnaire scores are whole numbers
Z90 = 1.6448536269514722  # the 95th percentile of the standard normal


@dataclass(frozen=True)
class Course:
    """One client's measured course with one provider."""

    provider_id: int
    baseline: float
    latest: float

    @property
    def improvement(self) -> float:
        return self.baseline - self.latest


@dataclass(frozen=True)
class NetworkFit:
    """The network-wide parts of the model."""

    intercept: float  # expected improvement at baseline 0
    slope: float  # extra expected improvement per baseline point
    mean: float  # mu, the network mean of the risk-adjusted change
    sigma2: float  # within-provider variance of a client's risk-adjusted change
    tau2: float  # between-provider variance of true effects (floored)
    clients: int
    providers: int


@dataclass(frozen=True)
class Effect:
    provider_id: int
    n: int
    observed: float  # the mean risk-adjusted change of their clients, before shrinkage
    estimate: float
    sd: float
    weight: float  # the shrinkage weight B = n / (n + sigma^2 / tau^2)

    @property
    def low(self) -> float:
        return self.estimate - Z90 * self.sd

    @property
    def high(self) -> float:
        return self.estimate + Z90 * self.sd


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values)


def fit_network(courses: list[Course]) -> tuple[float, float]:
    """Improvement regressed on baseline across the network: (intercept, slope)."""
    xs = [c.baseline for c in courses]
    ys = [c.improvement for c in courses]
    x_mean, y_mean = _mean(xs), _mean(ys)
    sxx = sum((x - x_mean) ** 2 for x in xs)
    if sxx == 0:
        return y_mean, 0.0
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx
    return y_mean - slope * x_mean, slope


def estimate_effects(
    courses: Iterable[Course], *, tau2_floor: float = TAU2_FLOOR
) -> tuple[dict[int, Effect], NetworkFit | None]:
    """Each provider's shrunk, risk-adjusted effect, and the network fit behind them.
    No courses: no effects and no fit."""
    courses = list(courses)
    if not courses:
        return {}, None
    intercept, slope = fit_network(courses)
    residuals: dict[int, list[float]] = defaultdict(list)
    for course in courses:
        residuals[course.provider_id].append(course.improvement - (intercept + slope * course.baseline))
    everyone = [r for rs in residuals.values() for r in rs]
    n_clients, n_providers = len(everyone), len(residuals)
    mean = _mean(everyone)
    observed = {pid: _mean(rs) for pid, rs in residuals.items()}

    if n_clients > n_providers:
        within = sum((r - observed[pid]) ** 2 for pid, rs in residuals.items() for r in rs)
        sigma2 = within / (n_clients - n_providers)
    elif n_clients > 1:
        sigma2 = sum((r - mean) ** 2 for r in everyone) / (n_clients - 1)
    else:
        sigma2 = SIGMA2_FLOOR
    sigma2 = max(sigma2, SIGMA2_FLOOR)

    tau2 = tau2_floor
    if n_providers >= 2:
        centre = _mean(observed.values())
        spread = sum((m - centre) ** 2 for m in observed.values()) / (n_providers - 1)
        sampling = _mean(sigma2 / len(rs) for rs in residuals.values())
        tau2 = max(spread - sampling, tau2_floor)

    effects = {}
    for pid, rs in residuals.items():
        n = len(rs)
        weight = n / (n + sigma2 / tau2)
        effects[pid] = Effect(
            provider_id=pid, n=n, observed=observed[pid], estimate=mean + weight * (observed[pid] - mean),
            sd=math.sqrt(weight * sigma2 / n), weight=weight,
        )
    fit = NetworkFit(intercept=intercept, slope=slope, mean=mean, sigma2=sigma2, tau2=tau2, clients=n_clients,
                     providers=n_providers)
    return effects, fit


def effects_by_concern(
    courses: Mapping[str, Iterable[Course]], *, min_clients: int = MIN_CLIENTS
) -> dict[int, dict[str, tuple[float, int, float]]]:
    """{provider_id: {concern: (estimate, n, sd)}} for matching, keeping only estimates
    that at least `min_clients` clients back. Every provider's clients still inform the
    network fit and tau^2."""
    found: dict[int, dict[str, tuple[float, int, float]]] = defaultdict(dict)
    for concern, concern_courses in courses.items():
        effects, _ = estimate_effects(concern_courses)
        for pid, effect in effects.items():
            if effect.n >= min_clients:
                found[pid][concern] = (effect.estimate, effect.n, effect.sd)
    return dict(found)
