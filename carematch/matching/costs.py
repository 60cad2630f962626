"""What a session with each match will cost the person, computed after the engine has ranked
(the engine knows nothing of plans): the plan and its fee rows are read once for the whole
answer, never once per provider."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext, gettext_noop

from carematch.coverage import selectors as coverage
from carematch.coverage.estimate import (
    Benefits,
    Estimate,
    cost_sentence,
    estimate_self_pay,
    estimate_unknown,
    estimate_with_fees,
    estimate_with_plan,
)
from carematch.coverage.services import benefits_from_eligibility
from carematch.lib import vocab
from carematch.lib.sessions import SESSION

from .engine.types import MatchRequest

SESSION_MINUTES = SESSION.seconds // 60
NO_PLAN = gettext_noop("You have not told us your plan, so we cannot say what it pays.")
PLAN_GONE = gettext_noop("Your plan is no longer listed here, so we cannot say what it pays.")


@dataclass(frozen=True)
class PlanAsked:
    """What the person said about their plan: its id and, if they know them, what is left of
    their deductible and out-of-pocket maximum."""

    plan_id: str | None = None
    deductible_left_usd: Decimal | None = None
    oop_left_usd: Decimal | None = None
    # What the person's insurer answered when their coverage was last checked (X12 271), if
    # recently and with this payer: it stands in for the plan's published benefits.
    eligibility: Benefits | None = None


ELIGIBILITY_FRESH = dt.timedelta(days=30)


def with_eligibility(plan: PlanAsked, *, client_id: int | None, payer: str | None,
                     now: dt.datetime) -> PlanAsked:
    """`plan` with the client's latest answered eligibility check with `payer` (within
    ELIGIBILITY_FRESH) when it gave benefits; what the person said fills what it did not."""
    if client_id is None or payer is None:
        return plan
    check = coverage.eligibility_answered(client_id=client_id, payer=payer, since=now - ELIGIBILITY_FRESH)
    found = benefits_from_eligibility(check) if check is not None else None
    if found is None:
        return plan
    benefits = Benefits(**found)
    if benefits.deductible_left_usd is None and plan.deductible_left_usd is not None:
        benefits = dataclasses.replace(benefits, deductible_left_usd=plan.deductible_left_usd)
    if benefits.oop_left_usd is None and plan.oop_left_usd is not None:
        benefits = dataclasses.replace(benefits, oop_left_usd=plan.oop_left_usd)
    return dataclasses.replace(plan, eligibility=benefits, plan_id=plan.plan_id or (check.plan_id if check else None))


@dataclass(frozen=True)
class Payer:
    """Whose cost to estimate: one provider's rate and sliding scale, and whether they are in
    the person's network."""

    provider_id: int
    self_pay_rate: int
    sliding_scale: tuple[int, int] | None = None
    in_network: bool = True


def match_costs(*, request: MatchRequest, plan: PlanAsked, providers: Iterable[Payer]) -> dict[int, Estimate]:
    """The estimate for each provider, by id. With insurance, the plan's estimate is the same
    for every provider in its network (fees depend on the payer, the plan and the state): it
    is read and computed once. Someone paying themselves pays each provider's own rate."""
    plan_estimate: Estimate | None = None
    payer_name = ""  # read once, when first needed
    costs: dict[int, Estimate] = {}
    for provider in providers:
        if request.insurance is None or not provider.in_network:
            found = estimate_self_pay(rate=provider.self_pay_rate, sliding_scale=provider.sliding_scale,
                                      self_pay_max=request.self_pay_max)
            if request.insurance is not None:
                name = payer_name or coverage.payer_name(request.insurance)
                payer_name = name
                found = Estimate(found.first_session_usd, found.per_session_usd, found.basis, (
                    gettext("This therapist is not in network with %(payer)s, so you would pay their own fee.")
                    % {"payer": name},
                    *found.assumptions), found.sliding_scale_usd)
        else:
            if plan_estimate is None:
                plan_estimate = _plan_estimate(request, plan)
            found = plan_estimate
        costs[provider.provider_id] = found
    return costs


def _plan_estimate(request: MatchRequest, plan: PlanAsked) -> Estimate:
    if request.insurance is None:
        return estimate_unknown(gettext(NO_PLAN))
    state_name = vocab.STATES.get(request.state, request.state)
    if plan.eligibility is not None:
        terms = (coverage.plan_terms(payer=request.insurance, plan_id=plan.plan_id, state=request.state)
                 if plan.plan_id else None)
        if terms is None:  # the insurer's answer without a plan loaded here: the payer's fees for every plan
            return estimate_with_fees(
                plan.eligibility, fees=coverage.payer_fees(payer=request.insurance, state=request.state),
                plan_id="", payer_name=coverage.payer_name(request.insurance), plan_name=gettext("your plan"),
                state=request.state, state_name=state_name, session_minutes=SESSION_MINUTES,
            )
        return estimate_with_plan(terms, state=request.state, state_name=state_name, session_minutes=SESSION_MINUTES,
                                  benefits=plan.eligibility)
    if not plan.plan_id:
        if coverage.payer_has_plans(payer=request.insurance):
            return estimate_unknown(gettext(NO_PLAN))
        name = coverage.payer_name(request.insurance)
        return estimate_unknown(gettext("We do not have %(payer)s's plans yet, so we cannot say what your plan pays.")
                                % {"payer": name})
    terms = coverage.plan_terms(payer=request.insurance, plan_id=plan.plan_id, state=request.state)
    if terms is None:
        return estimate_unknown(gettext(PLAN_GONE))
    return estimate_with_plan(terms, state=request.state, state_name=state_name,
                              session_minutes=SESSION_MINUTES, deductible_left_usd=plan.deductible_left_usd,
                              oop_left_usd=plan.oop_left_usd)


def cost_json(estimate: Estimate) -> dict[str, Any]:
    """The `cost` of a match on the API."""
    return {"first_session_usd": estimate.first_session_usd, "per_session_usd": estimate.per_session_usd,
            "basis": estimate.basis, "assumptions": list(estimate.assumptions)}


def cost_shown(estimate: Estimate) -> dict[str, Any]:
    """The estimate as a page shows it (templates/matching/includes/cost.html)."""
    return {"sentence": cost_sentence(estimate), "assumptions": list(estimate.assumptions),
            "basis": estimate.basis}


def plan_asked(answers: Mapping[str, Any]) -> PlanAsked:
    """What the intake's answers say about the plan (amounts are kept as text in the session)."""
    def amount(name: str) -> Decimal | None:
        value = answers.get(name)
        return Decimal(str(value)) if value not in (None, "") else None

    return PlanAsked(plan_id=answers.get("plan_id") or None, deductible_left_usd=amount("deductible_left_usd"),
                     oop_left_usd=amount("oop_left_usd"))
