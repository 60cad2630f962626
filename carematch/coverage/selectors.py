"""Reads of the coverage app for pages, the API and the services."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

from carematch.accounts.models import Client
from carematch.directory import selectors as directory_selectors
from carematch.directory.models import Provider
from carematch.lib.errors import Conflict, InvalidInput, NotFound
from carematch.lib.timezones import client_zone, zone
from carematch.scheduling.models import Appointment, Kind, Status

from .models import CheckStatus, ClientCoverage, ClientDiagnosis, EligibilityCheck
from .superbill import Line, Superbill, cpt_for, pos_for


def payer_names() -> dict[str, str]:
    """slug -> display name of the payers this deployment knows (the directory's table), sorted by name."""
    return directory_selectors.payer_names()


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
    fee = Decimal(provider.self_pay_rate)
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
