from __future__ import annotations

import datetime as dt

import factory

from carematch.accounts.models import Client, Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    user = factory.SubFactory(UserFactory, role=Role.CLIENT)
    first_name = factory.Sequence(lambda n: f"Sam{n}")
    last_name = "Client"
    date_of_birth = dt.date(1990, 5, 17)
    state = "CO"
    zip = "80202"
    timezone = "America/Denver"


def weekday_provider(**overrides):
    """A Denver provider licensed in CO (and NY) until 2030, working 09:00-12:00 every day of the week."""
    provider = ProviderFactory(**overrides)
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2030, 12, 31))
    LicenseFactory(provider=provider, state="NY", license_type="LMHC", expires=dt.date(2030, 12, 31))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(9), end=dt.time(12))
    return provider
