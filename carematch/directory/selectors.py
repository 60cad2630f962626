"""Reads that shape directory queries for pages and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from carematch.lib import geo

from .models import (
    AvailabilityWindow,
    License,
    Payer,
    ProfileChange,
    Provider,
    TimeOff,
    licenses_counting_on,
    licenses_in_force_on,
)
from .validation import COMPLETABLE


def payer_names() -> dict[str, str]:
    """Every payer of this deployment, slug -> name, in the order of their names."""
    return dict(Payer.objects.order_by("name", "slug").values_list("slug", "name"))


def payers_listed() -> list[Payer]:
    """Every payer, by name, for the coordinators' page."""
    return list(Payer.objects.order_by("name", "slug"))


def payer_choices() -> list[tuple[str, str]]:
    """The payers as a form's choices (read when the form is made, so a new payer shows at once)."""
    return list(payer_names().items())


def provider_search(
    *,
    state: str | None = None,
    concern: str | None = None,
    payer: str | None = None,
    npi: str | None = None,
    accepting_new: bool | None = None,
    name: str | None = None,
    on: dt.date | None = None,
    awaiting_verification_too: bool = False,
    unpublished_too: bool = True,
) -> QuerySet[Provider]:
    """Providers matching every filter given. `state` means a license there that counts for
    matching on `on` (today by default): verified (License.counts_on), not expired. With
    `awaiting_verification_too` (the coordinators' search), a license there in force is
    enough: not yet verified will do too (License.in_force_on). Providers not yet published
    (incomplete) are found too, unless `unpublished_too` is false (what clients see)."""
    queryset = Provider.objects.all() if unpublished_too else Provider.objects.filter(published=True)
    if state:
        day = on or timezone.localdate()
        there = Q(licenses__state=state.upper())
        on_day = licenses_in_force_on if awaiting_verification_too else licenses_counting_on
        queryset = queryset.filter(there & on_day(day, prefix="licenses__")).distinct()
    if concern:
        queryset = queryset.filter(concerns__has=concern.lower())
    if payer:
        queryset = queryset.filter(insurance__has=payer.lower())
    if npi:
        queryset = queryset.filter(npi=npi.strip())
    if accepting_new is not None:
        queryset = queryset.filter(accepting_new=accepting_new)
    if name:
        for part in name.split():
            queryset = queryset.filter(Q(first_name__icontains=part) | Q(last_name__icontains=part))
    return queryset.prefetch_related(
        Prefetch("licenses", queryset=License.objects.order_by("state", "license_type", "number")),
        Prefetch("windows", queryset=AvailabilityWindow.objects.order_by("weekday", "start")),
    )


def licenses_expiring(*, within_days: int = 60, today: dt.date | None = None) -> QuerySet[License]:
    """Licenses not rejected and not yet expired that expire within `within_days` days, soonest
    first (not yet verified ones too: they will need renewing as well)."""
    day = today or timezone.localdate()
    return (
        License.objects.filter(licenses_in_force_on(day), expires__lte=day + dt.timedelta(days=within_days))
        .select_related("provider")
        .order_by("expires", "provider__last_name")
    )


def provider_by_id(*, provider_id: int, licenses: bool = True) -> Provider | None:
    """The provider with this id, with their weekly hours and (unless `licenses` is false)
    their licenses fetched: what their openings, their public profile and booking read. None
    when there is no such provider."""
    related = ("licenses", "windows") if licenses else ("windows",)
    return Provider.objects.prefetch_related(*related).filter(pk=provider_id).first()


def provider_of(*, user: Any) -> Provider | None:
    """The directory record of a login, or None (anonymous, or no record linked to it)."""
    if getattr(user, "pk", None) is None:
        return None
    return Provider.objects.filter(user__pk=user.pk).first()


def provider_for_staff(*, provider_id: int, now: dt.datetime | None = None) -> Provider | None:
    """The provider with this id as the coordinators' page shows them: with their login, their
    licenses (and who verified each), weekly hours and the time off not yet over, soonest first."""
    now = now or timezone.now()
    return (
        Provider.objects.select_related("user")
        .prefetch_related(
            Prefetch("licenses", queryset=License.objects.select_related("verified_by")),
            "windows",
            Prefetch("time_off", queryset=TimeOff.objects.filter(end__gt=now).order_by("start")),
        )
        .filter(pk=provider_id)
        .first()
    )


def license_by_id(*, license_id: int) -> License | None:
    """The license with this id, or None."""
    return License.objects.filter(pk=license_id).first()


def profile_history(*, provider_id: int, limit: int = 100) -> list[ProfileChange]:
    """The latest changes to a provider's profile, newest first, with who made them."""
    return list(ProfileChange.objects.filter(provider_id=provider_id).select_related("by")
                .order_by("-changed_at", "-id")[:limit])


# --- The public FHIR directory (/fhir/) --------------------------------------------------------


def published_providers() -> QuerySet[Provider]:
    """The providers the public directory lists: the published ones, whose public profile page
    anyone may see (an imported profile not yet completed and verified is not listed)."""
    return Provider.objects.filter(published=True)


def fhir_provider_rows(
    *,
    npis: tuple[str, ...] | None = None,
    name_starts: tuple[str, ...] = (),
    taxonomies: tuple[str, ...] | None = None,
    accepting_new: bool | None = None,
    states: tuple[str, ...] = (),
    zip_prefixes: tuple[str, ...] = (),
    with_office: bool = False,
) -> QuerySet[Provider]:
    """The published providers a FHIR search names, ordered by NPI (the API's stable paging order).
    Each filter given must hold; a tuple's items are alternatives."""
    queryset = published_providers()
    if npis is not None:
        queryset = queryset.filter(npi__in=npis)
    if name_starts:
        named = Q()
        for start in name_starts:
            named |= Q(first_name__istartswith=start) | Q(last_name__istartswith=start)
        queryset = queryset.filter(named)
    if taxonomies is not None:
        queryset = queryset.filter(taxonomy__in=taxonomies)
    if accepting_new is not None:
        queryset = queryset.filter(accepting_new=accepting_new)
    if states:  # the office's ZIP code is in one of the states (USPS codes)
        whole_prefixes, codes = geo.zip_match_for_states(frozenset(states))
        in_states = Q(zip__in=sorted(codes))
        for prefix in sorted(whole_prefixes):
            in_states |= Q(zip__startswith=prefix)
        queryset = queryset.filter(in_states)
    if zip_prefixes:
        prefixed = Q()
        for prefix in zip_prefixes:
            prefixed |= Q(zip__startswith=prefix)
        queryset = queryset.filter(prefixed)
    if with_office:
        queryset = queryset.exclude(zip="", address="")
    return queryset.order_by("npi")


def fhir_providers_by_npi(*, npis: list[str]) -> list[Provider]:
    """Published providers with these NPIs, in the order given, with their licenses and weekly hours:
    everything their FHIR resources are built from, in three queries."""
    found = {
        provider.npi: provider
        for provider in published_providers().filter(npi__in=npis).prefetch_related(
            Prefetch("licenses", queryset=License.objects.order_by("state", "license_type", "number")),
            Prefetch("windows", queryset=AvailabilityWindow.objects.order_by("weekday", "start")),
        )
    }
    return [found[npi] for npi in npis if npi in found]


def fhir_payers_in_use() -> set[str]:
    """The payer slugs of every published provider's networks."""
    payers: set[str] = set()
    for insurance in published_providers().values_list("insurance", flat=True):
        payers.update(insurance or [])
    return payers


def provider_missing_fields(*, npi: str | None = None, provider: Provider | None = None) -> tuple[str, ...]:
    """What a provider still lacks before they can be published and matched, in the order of
    validation.COMPLETABLE: a behavioural-health specialty, languages, concerns, populations,
    approaches, availability, time zone, fees, and a licence with its number and expiry date
    (none at all, or one a directory listed without them)."""
    if provider is None:
        provider = Provider.objects.filter(npi=npi).first()
        if provider is None:
            return ()
    lacks = {
        "taxonomy": not provider.taxonomy, "languages": not provider.languages, "concerns": not provider.concerns,
        "populations": not provider.populations, "approaches": not provider.approaches,
        "formats": not provider.formats,
        "availability": not AvailabilityWindow.objects.filter(provider=provider).exists(),
        "timezone": not provider.timezone, "self_pay_rate": provider.self_pay_rate is None,
        "licenses": bool(provider.pending_qualifications) or not License.objects.filter(provider=provider).exists(),
    }
    return tuple(name for name in COMPLETABLE if lacks[name])


def provider_shown_to(*, provider: Provider, user: Any) -> bool:
    """Whether `user` may see this provider's profile: anyone once it is published; until then
    (an imported, incomplete profile) only staff and the provider themself."""
    if provider.published:
        return True
    if getattr(user, "pk", None) is None:
        return False
    from carematch.accounts.models import STAFF_ROLES

    return getattr(user, "role", None) in STAFF_ROLES or provider.user_id == user.pk


def networks_with_counts() -> list[Any]:
    """Every payer network imported from a directory, by payer and name, each with `provider_count`."""
    from django.db.models import Count

    from .models import Network

    return list(Network.objects.annotate(provider_count=Count("providers")).order_by("payer_name", "name", "pk"))
