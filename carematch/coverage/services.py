"""Every write to coverage: payers' plans and fee schedules, loaded from checked files
(coverage/tables.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from .models import Fee, Plan


@dataclass(frozen=True)
class PlanRecord:
    payer: str
    plan_id: str
    name: str
    copay_usd: Decimal | None
    coinsurance_pct: Decimal | None
    deductible_usd: Decimal
    deductible_applies: bool
    oop_max_usd: Decimal


@dataclass(frozen=True)
class FeeRecord:
    payer: str
    plan_id: str  # or "*"
    cpt: str
    allowed_usd: Decimal
    state: str  # or "*"


@dataclass(frozen=True)
class UpsertResult:
    created: int
    updated: int
    unchanged: int


_PLAN_VALUES = ("name", "copay_usd", "coinsurance_pct", "deductible_usd", "deductible_applies", "oop_max_usd")


def _same(stored: object, given: object) -> bool:
    if isinstance(stored, Decimal) or isinstance(given, Decimal):
        return stored is not None and given is not None and Decimal(str(stored)) == Decimal(str(given))
    return stored == given


def plans_upsert(*, records: Sequence[PlanRecord], dry_run: bool = False,
                 now: dt.datetime | None = None) -> UpsertResult:
    """Create or update plans by payer and plan id: each record is the truth for its plan.
    All or nothing (one transaction); with `dry_run`, nothing is written and the result counts
    what would be."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = {(plan.payer_id, plan.plan_id): plan for plan in Plan.objects.select_for_update().filter(
            payer__in={record.payer for record in records})}
        created: list[Plan] = []
        changed: list[Plan] = []
        unchanged = 0
        for record in records:
            values = {name: value for name, value in asdict(record).items() if name in _PLAN_VALUES}
            plan = stored.get((record.payer, record.plan_id))
            if plan is None:
                created.append(Plan(payer_id=record.payer, plan_id=record.plan_id, updated_at=now, **values))
            elif all(_same(getattr(plan, name), value) for name, value in values.items()):
                unchanged += 1
            else:
                for name, value in values.items():
                    setattr(plan, name, value)
                plan.updated_at = now
                changed.append(plan)
        if not dry_run:
            Plan.objects.bulk_create(created, batch_size=500)
            Plan.objects.bulk_update(changed, [*_PLAN_VALUES, "updated_at"], batch_size=500)
    return UpsertResult(len(created), len(changed), unchanged)


def fees_upsert(*, records: Sequence[FeeRecord], dry_run: bool = False,
                now: dt.datetime | None = None) -> UpsertResult:
    """Create or update fee rows by payer, plan id, CPT code and state. All or nothing; with
    `dry_run`, nothing is written and the result counts what would be."""
    now = now or timezone.now()
    with transaction.atomic():
        stored = {(fee.payer_id, fee.plan_id, fee.cpt, fee.state): fee
                  for fee in Fee.objects.select_for_update().filter(payer__in={record.payer for record in records})}
        created: list[Fee] = []
        changed: list[Fee] = []
        unchanged = 0
        for record in records:
            fee = stored.get((record.payer, record.plan_id, record.cpt, record.state))
            if fee is None:
                created.append(Fee(payer_id=record.payer, plan_id=record.plan_id, cpt=record.cpt,
                                   allowed_usd=record.allowed_usd, state=record.state, updated_at=now))
            elif _same(fee.allowed_usd, record.allowed_usd):
                unchanged += 1
            else:
                fee.allowed_usd, fee.updated_at = record.allowed_usd, now
                changed.append(fee)
        if not dry_run:
            Fee.objects.bulk_create(created, batch_size=500)
            Fee.objects.bulk_update(changed, ["allowed_usd", "updated_at"], batch_size=500)
    return UpsertResult(len(created), len(changed), unchanged)
