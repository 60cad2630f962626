"""Reads of coverage for pages, the API and matching."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from carematch.lib import vocab

from .estimate import ANY, FeeRow, PlanTerms
from .models import Fee, Plan


def payer_names() -> dict[str, str]:
    """The payers a deployment has: slug -> name, sorted by name."""
    return dict(sorted(vocab.PAYERS.items(), key=lambda pair: pair[1]))


def plan_keys() -> set[tuple[str, str]]:
    """(payer, plan_id) of every loaded plan."""
    return set(Plan.objects.values_list("payer", "plan_id"))


def plans_of(*, payer: str) -> list[Plan]:
    """A payer's plans, by name."""
    return list(Plan.objects.filter(payer=payer).order_by("name", "plan_id"))


def plan_exists(*, payer: str, plan_id: str) -> bool:
    return Plan.objects.filter(payer=payer, plan_id=plan_id).exists()


def plan_list() -> QuerySet[Plan]:
    """Every loaded plan, by payer and name."""
    return Plan.objects.order_by("payer", "name", "plan_id")


def fee_list(*, payer: str | None = None) -> QuerySet[Fee]:
    """Fee rows, by payer, plan, code and state; one payer's when `payer` is given."""
    rows = Fee.objects.order_by("payer", "plan_id", "cpt", "state")
    return rows.filter(payer=payer) if payer else rows


def plan_terms(*, payer: str, plan_id: str, state: str) -> PlanTerms | None:
    """The plan and every fee row that may apply to it in `state`, in two queries (once per
    match, not per provider); None when the payer has no such plan."""
    plan = Plan.objects.filter(payer=payer, plan_id=plan_id).first()
    if plan is None:
        return None
    rows = Fee.objects.filter(Q(plan_id=plan_id) | Q(plan_id=ANY), Q(state=state) | Q(state=ANY), payer=payer)
    return PlanTerms(
        payer=payer, payer_name=payer_names().get(payer, payer), plan_id=plan.plan_id, plan_name=plan.name,
        copay_usd=plan.copay_usd, coinsurance_pct=plan.coinsurance_pct, deductible_usd=plan.deductible_usd,
        deductible_applies=plan.deductible_applies, oop_max_usd=plan.oop_max_usd,
        fees=tuple(FeeRow(row.plan_id, row.cpt, row.state, row.allowed_usd)
                   for row in rows.only("plan_id", "cpt", "state", "allowed_usd")),
    )
