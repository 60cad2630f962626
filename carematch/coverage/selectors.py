"""Reads of coverage for pages, the API and matching."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Q, QuerySet

from carematch.directory import selectors as directory
from carematch.lib.errors import InvalidInput

from .estimate import ANY, FeeRow, PlanTerms
from .models import Fee, Plan


def payer_names() -> dict[str, str]:
    """The payers a deployment has (the directory's): slug -> name, sorted by name."""
    return directory.payer_names()


def payer_name(slug: str) -> str:
    """The payer's name, or its slug when it has none."""
    return directory.payer_names().get(slug, slug)


def plan_keys() -> set[tuple[str, str]]:
    """(payer, plan_id) of every loaded plan."""
    return {(str(payer), plan_id) for payer, plan_id in Plan.objects.values_list("payer_id", "plan_id")}


def plans_of(*, payer: str) -> list[Plan]:
    """A payer's plans, by name."""
    return list(Plan.objects.filter(payer_id=payer).order_by("name", "plan_id"))


def payer_has_plans(*, payer: str) -> bool:
    return Plan.objects.filter(payer_id=payer).exists()


def plan_exists(*, payer: str, plan_id: str) -> bool:
    return Plan.objects.filter(payer_id=payer, plan_id=plan_id).exists()


def plan_list() -> QuerySet[Plan]:
    """Every loaded plan, by payer and name."""
    return Plan.objects.order_by("payer", "name", "plan_id")


def fee_list(*, payer: str | None = None) -> QuerySet[Fee]:
    """Fee rows, by payer, plan, code and state; one payer's when `payer` is given."""
    rows = Fee.objects.select_related("payer").order_by("payer", "plan_id", "cpt", "state")
    return rows.filter(payer_id=payer) if payer else rows


def plan_terms(*, payer: str, plan_id: str, state: str) -> PlanTerms | None:
    """The plan and every fee row that may apply to it in `state`, in two queries (once per
    match, not per provider); None when the payer has no such plan."""
    plan = Plan.objects.select_related("payer").filter(payer_id=payer, plan_id=plan_id).first()
    if plan is None:
        return None
    rows = Fee.objects.filter(Q(plan_id=plan_id) | Q(plan_id=ANY), Q(state=state) | Q(state=ANY), payer_id=payer)
    return PlanTerms(
        payer=payer, payer_name=plan.payer.name, plan_id=plan.plan_id, plan_name=plan.name,
        copay_usd=plan.copay_usd, coinsurance_pct=plan.coinsurance_pct, deductible_usd=plan.deductible_usd,
        deductible_applies=plan.deductible_applies, oop_max_usd=plan.oop_max_usd,
        fees=tuple(FeeRow(row.plan_id, row.cpt, row.state, row.allowed_usd)
                   for row in rows.only("plan_id", "cpt", "state", "allowed_usd")),
    )


MAX_AMOUNT_LEFT = Decimal("1000000")


def plan_choice_problems(*, payer: str | None, plan_id: str | None, deductible_left_usd: Decimal | None,
                         oop_left_usd: Decimal | None) -> dict[str, str]:
    """What is wrong with what a person said about their plan ({field: problem}; empty when
    nothing is): a plan needs the person's insurance and must be one of that payer's plans,
    and what is left of a deductible or out-of-pocket maximum goes with a plan and is a
    dollar amount from 0."""
    problems: dict[str, str] = {}
    if plan_id:
        if not payer:
            problems["plan_id"] = "is taken only with insurance (you pay yourself, so there is no plan)"
        elif not plan_exists(payer=payer, plan_id=plan_id):
            name = payer_name(payer)
            problems["plan_id"] = f"'{plan_id}' is not one of {name}'s plans"
    for field, amount in (("deductible_left_usd", deductible_left_usd), ("oop_left_usd", oop_left_usd)):
        if amount is None:
            continue
        if not amount.is_finite() or amount < 0 or amount >= MAX_AMOUNT_LEFT:
            problems[field] = "must be a dollar amount from 0 to 999,999.99"
        elif amount != amount.quantize(Decimal("0.01")):
            problems[field] = "must be in dollars and cents (at most two decimal places)"
        elif not plan_id:
            problems[field] = "is taken only with a plan_id (what is left depends on the plan)"
    return problems


def plan_choice_check(*, payer: str | None, plan_id: str | None, deductible_left_usd: Decimal | None,
                      oop_left_usd: Decimal | None) -> None:
    """InvalidInput naming every field of plan_choice_problems, else nothing."""
    problems = plan_choice_problems(payer=payer, plan_id=plan_id, deductible_left_usd=deductible_left_usd,
                                    oop_left_usd=oop_left_usd)
    if problems:
        raise InvalidInput.for_fields(problems, listing="names_and_problems",
                                      summary="What was said about the plan cannot be used")
