from __future__ import annotations

import datetime as dt
from typing import Any

import factory
from django.utils import timezone

from carematch.accounts.models import Client, Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import Provider
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory


class ClientFactory(factory.django.DjangoModelFactory[Client]):
    class Meta:
        model = Client

    user = factory.SubFactory(UserFactory, role=Role.CLIENT)
    first_name = factory.Sequence(lambda n: f"Sam{n}")
    last_name = "Client"
    date_of_birth = dt.date(1990, 5, 17)
    state = "CO"
    zip = "80202"
    timezone = "America/Denver"


def weekday_provider(**overrides: Any) -> Provider:
    """A Denver provider licensed in CO (and NY) for three years from today, working 09:00-12:00
    every day of the week."""
    provider = ProviderFactory.create(**overrides)
    expires = timezone.localdate() + dt.timedelta(days=3 * 365)
    LicenseFactory.create(provider=provider, state="CO", expires=expires)
    LicenseFactory.create(provider=provider, state="NY", license_type="LMHC", expires=expires)
    for day in range(7):
        WindowFactory.create(provider=provider, weekday=day, start=dt.time(9), end=dt.time(12))
    return provider
