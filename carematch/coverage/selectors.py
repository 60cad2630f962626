"""Reads of the coverage app for pages, the API, the services and matching."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet

from carematch.accounts.models import Client
from carematch.directory import selectors as directory
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, InvalidInput, NotFound
from carematch.lib.timezones import client_zone, zone
from carematch.scheduling.models import Appointment, Kind, Status

from .estimate import ANY, FeeRow, PlanTerms
from .models import CheckStatus, ClientCoverage, ClientDiagnosis, EligibilityCheck, Fee, Plan
from .superbill import Line, Superbill, cpt_for, pos_for


def coverage_of(*, client: Client) -> ClientCoverage | None:
    return ClientCoverage.objects.filter(client=client).first()


def latest_check(*, client: Client) -> EligibilityCheck | None:
    return EligibilityCheck.objects.filter(client=client).order_by("-requested_at", "-id").first()


def check_of(*, client: Client, check_id: int) -> EligibilityCheck | None:
    return EligibilityCheck.objects.filter(client=client, pk=check_id).first()


def checks_waiting(*, transport: str) -> list[tuple[int, int]]:
    """(check id, control number) of the checks sent by `transport` and not yet answered."""
    waiting = EligibilityCheck.objects.filter(
        status=CheckStatus.RUNNING, transport=transport, control_number__isnull=False
    ).order_by("sent_at", "id").values_list("pk", "control_number")
    return [(pk, control) for pk, control in waiting if control is not None]


# --- Superbills ------------------------------------------------------------------------------------


def active_diagnoses(*, client: Client, provider: Provider) -> list[ClientDiagnosis]:
    return list(ClientDiagnosis.objects.filter(client=client, provider=provider, removed_at__isnull=True)
                .order_by("added_at", "id"))


def diagnosis_of(*, provider: Provider, diagnosis_id: int) -> ClientDiagnosis | None:
    return ClientDiagnosis.objects.select_related("client").filter(pk=diagnosis_id, provider=provider).first()


def out_of_network(*, client: Client, provider: Provider) -> bool:
    """The client pays this provider's fee themselves: they have no insurance on file, or their
    insurer is not one the provider is in network with."""
    coverage = coverage_of(client=client)
    return coverage is None or coverage.payer not in (provider.insurance or [])


def _day_bounds(start: dt.date, end: dt.date, zone_name: str) -> tuple[dt.datetime, dt.datetime]:
    tz = zone(zone_name)
    return (dt.datetime.combine(start, dt.time.min, tzinfo=tz),
            dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz))


def superbill_sessions(*, client: Client, provider: Provider | None = None, start: dt.date | None = None,
                       end: dt.date | None = None) -> list[Appointment]:
    """The client's completed sessions (not consultations), with `provider` and in the days from
    `start` to `end` in the client's zone when given, oldest first."""
    rows = Appointment.objects.filter(client=client, status=Status.COMPLETED, kind=Kind.SESSION)
    if provider is not None:
        rows = rows.filter(provider=provider)
    if start is not None and end is not None:
        low, high = _day_bounds(start, end, _zone_of(client))
        rows = rows.filter(start__gte=low, start__lt=high)
    return list(rows.select_related("provider").order_by("start", "id"))


def _zone_of(client: Client) -> str:
    return client_zone(chosen=client.timezone, zip=client.zip, state=client.state)


def superbill_for(*, client: Client, provider_id: int, start: dt.date, end: dt.date,
                  today: dt.date) -> Superbill:
    """The superbill of the client's out-of-network sessions with one provider between two
    dates. NotFound when the client has no completed session with that provider; Conflict,
    naming what is missing, when there is nothing to bill or a detail an insurer needs is missing."""
    if end < start:
        raise InvalidInput.for_fields({"end": "The last day must not be before the first."})
    if (end - start).days > 366:
        raise InvalidInput.for_fields({"end": "A superbill covers at most a year."})
    provider = Provider.objects.filter(pk=provider_id).first()
    if provider is None or not superbill_sessions(client=client, provider=provider):
        raise NotFound("You have no completed session with that provider.", fields={"provider": "not found"})
    if not out_of_network(client=client, provider=provider):
        raise Conflict("Your sessions with this provider are in your insurer's network: the provider bills your "
                       "insurer, so there is no superbill to send.", fields={"provider": "in network"},
                       code="in_network")
    sessions = superbill_sessions(client=client, provider=provider, start=start, end=end)
    if not sessions:
        raise Conflict("You had no completed session with this provider in those dates.",
                       fields={"start": "no sessions in the range"}, code="no_sessions")
    missing = superbill_missing(client=client, provider=provider)
    if missing:
        raise Conflict("A superbill cannot be made yet: " + "; ".join(missing.values()) + ".",
                       fields=missing, code="superbill_incomplete")
    first_ever = superbill_sessions(client=client, provider=provider)[0].pk
    tz = zone(_zone_of(client))
    fee = Decimal(provider.self_pay_rate or 0)  # published providers always have one (a database check)
    lines = tuple(
        Line(date_of_service=s.start.astimezone(tz).date(), place_of_service=pos_for(s.format),
             cpt=cpt_for(first=s.pk == first_ever, minutes=int((s.end - s.start).total_seconds() // 60)),
             fee_usd=fee, paid_usd=fee)
        for s in sessions
    )
    return Superbill(
        practice_name=settings.PRACTICE_NAME, practice_address=settings.PRACTICE_ADDRESS,
        provider_name=f"{provider.first_name} {provider.last_name}",
        provider_credentials=", ".join(provider.credentials or []), provider_npi=provider.npi,
        provider_licence=_licence(provider, client.state), provider_tax_id=provider.tax_id,
        client_name=f"{client.first_name} {client.last_name}", client_birth_date=client.date_of_birth,
        period_start=start, period_end=end,
        diagnoses=tuple(d.code for d in active_diagnoses(client=client, provider=provider)),
        lines=lines, issued_on=today,
    )


def superbill_missing(*, client: Client, provider: Provider) -> dict[str, str]:
    """What an insurer needs on a superbill that is not there yet, by field."""
    missing: dict[str, str] = {}
    if not settings.PRACTICE_NAME or not settings.PRACTICE_ADDRESS:
        missing["practice"] = "the practice has not set its name and address"
    if not provider.tax_id:
        missing["tax_id"] = "your therapist has not added their tax ID"
    if not ClientDiagnosis.objects.filter(client=client, provider=provider, removed_at__isnull=True).exists():
        missing["diagnoses"] = "your therapist has not entered a diagnosis code for you"
    if not provider.licenses.exists():
        missing["licence"] = "your therapist has no licence on file"
    return missing


def _licence(provider: Provider, state: str) -> str:
    licences = list(provider.licenses.order_by("-expires", "id"))
    chosen = next((lic for lic in licences if lic.state == state), licences[0] if licences else None)
    return f"{chosen.license_type} {chosen.number} ({chosen.state})" if chosen else ""


def superbill_providers(*, client: Client) -> list[tuple[Provider, list[Appointment], dict[str, str]]]:
    """For the superbills page: each provider the client paid out of network, with the
    completed sessions and what is still missing for a superbill."""
    by_provider: dict[int, list[Appointment]] = {}
    for session in superbill_sessions(client=client):
        by_provider.setdefault(session.provider_id, []).append(session)
    found = []
    for sessions in by_provider.values():
        provider = sessions[0].provider
        if out_of_network(client=client, provider=provider):
            found.append((provider, sessions, superbill_missing(client=client, provider=provider)))
    return found


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


def payer_fees(*, payer: str, state: str) -> tuple[FeeRow, ...]:
    """The payer's fee rows for every plan (`*`) that may apply in `state`: the fees for a
    person whose plan is not loaded here (their benefits come from an eligibility answer)."""
    rows = Fee.objects.filter(Q(state=state) | Q(state=ANY), payer_id=payer, plan_id=ANY)
    return tuple(FeeRow(row.plan_id, row.cpt, row.state, row.allowed_usd)
                 for row in rows.only("plan_id", "cpt", "state", "allowed_usd"))


def eligibility_answered(*, client_id: int, payer: str, since: dt.datetime) -> EligibilityCheck | None:
    """The client's latest answered eligibility check with `payer`, finished after `since`."""
    return (EligibilityCheck.objects.filter(client_id=client_id, payer=payer, status=CheckStatus.ANSWERED,
                                            finished_at__gte=since)
            .order_by("-finished_at", "-id").first())


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
