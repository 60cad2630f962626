from __future__ import annotations

import datetime as dt

import factory
from django.utils import timezone

from carematch.directory.models import (
    AvailabilityWindow,
    License,
    LicenseStatus,
    Provider,
    TimeOff,
    VerificationSource,
)
from carematch.lib.npi import make_npi


class ProviderFactory(factory.django.DjangoModelFactory[Provider]):
    """A Denver telehealth-and-in-person LPC treating anxiety and depression in adults."""

    class Meta:
        model = Provider

    npi = factory.Sequence(lambda n: make_npi(f"1{n:08d}"))
    first_name = factory.Sequence(lambda n: f"Morgan{n}")
    last_name = "Example"
    credentials = factory.LazyFunction(lambda: ["LPC"])
    taxonomy = "101YP2500X"
    gender = "female"
    languages = factory.LazyFunction(lambda: ["en"])
    concerns = factory.LazyFunction(lambda: ["anxiety", "depression"])
    approaches = factory.LazyFunction(lambda: ["cbt"])
    populations = factory.LazyFunction(lambda: ["adults"])
    formats = factory.LazyFunction(lambda: ["telehealth", "in_person"])
    insurance = factory.LazyFunction(lambda: ["aetna"])
    self_pay_rate = 120
    accepting_new = True
    timezone = "America/Denver"
    min_notice_hours = 2
    zip = "80202"
    latitude = 39.7491
    longitude = -104.9946


class LicenseFactory(factory.django.DjangoModelFactory[License]):
    """A Colorado LPC license, verified (by the roster it came from), so it counts for
    matching; pass `status=LicenseStatus.UNVERIFIED` (or `rejected`) for one that does not."""

    class Meta:
        model = License

    provider = factory.SubFactory(ProviderFactory)
    state = "CO"
    license_type = "LPC"
    number = factory.Sequence(lambda n: f"00{n:05d}")
    expires = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=365))
    status = LicenseStatus.VERIFIED
    verified_at = factory.LazyAttribute(
        lambda lic: None if lic.status == LicenseStatus.UNVERIFIED else timezone.now()
    )
    verification_source = factory.LazyAttribute(
        lambda lic: "" if lic.status == LicenseStatus.UNVERIFIED
        else VerificationSource.COORDINATOR if lic.verified_by else VerificationSource.ROSTER
    )
    verified_by = None


class WindowFactory(factory.django.DjangoModelFactory[AvailabilityWindow]):
    class Meta:
        model = AvailabilityWindow

    provider = factory.SubFactory(ProviderFactory)
    weekday = 0
    start = dt.time(9)
    end = dt.time(12)


class TimeOffFactory(factory.django.DjangoModelFactory[TimeOff]):
    class Meta:
        model = TimeOff

    provider = factory.SubFactory(ProviderFactory)
    start = factory.LazyFunction(lambda: dt.datetime(2027, 1, 4, 16, tzinfo=dt.UTC))
    end = factory.LazyFunction(lambda: dt.datetime(2027, 1, 4, 20, tzinfo=dt.UTC))
