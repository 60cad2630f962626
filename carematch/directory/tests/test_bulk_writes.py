"""The upsert's hand-written batched INSERT and UPDATE (services._insert_many, _update_many)
store every column of the tables they write exactly as the ORM would, on SQLite and
PostgreSQL: every field of providers, licenses and weekly windows, of every type, goes in
and is read back through the ORM unchanged, and so does every field an update sets.

The fields are listed here on purpose: a new field, or a field of a type not seen here,
fails the first test until it is added to the round trip."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import models, transaction

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import AvailabilityWindow, License, Provider
from carematch.directory.services import _insert_many, _update_many
from carematch.lib.npi import make_npi

pytestmark = pytest.mark.django_db

# The types the batched writes adapt themselves (services._DRIVER_READY) and those they hand
# to the field's own get_db_prep_save.
TYPES_SEEN = {
    "AutoField", "BigAutoField", "BooleanField", "CharField", "DateField", "DateTimeField", "FloatField",
    "ForeignKey", "JSONField", "OneToOneField", "PositiveIntegerField", "PositiveSmallIntegerField", "TextField",
    "TimeField",
}
MODELS = (Provider, License, AvailabilityWindow)
AWARE = dt.datetime(2027, 3, 14, 9, 26, 53, 589793, tzinfo=dt.UTC)


def provider_values(n: int, user_id: int | None) -> dict[str, Any]:
    return {
        "npi": make_npi(f"1{n:08d}"), "first_name": "Zoë", "last_name": "O'Brien-Ñúñez", "credentials": ["PsyD", "LP"],
        "taxonomy": "103T00000X", "gender": "nonbinary", "languages": ["en", "es", "zh"],
        "bio": "Line one\nline \"two\"", "pronouns": "they/them", "first_session": "We talk; no forms.",
        "years_in_practice": 80, "education": "MSW, Université de Montréal", "specialties": ["anxiety"],
        "communities": ["lgbtq_affirming", "bipoc"], "sliding_scale_min": 0, "sliding_scale_max": 10_000,
        "photo": "providers/photos/ab/abc.jpg", "photo_small": "providers/photos/ab/abc-96.jpg",
        "email": f"zoe{n}@example.test", "phone": "+13035550123", "concerns": ["anxiety", "grief"],
        "approaches": [], "populations": ["adults"], "formats": ["telehealth"], "insurance": ["aetna", "cigna"],
        "self_pay_rate": 10_000, "accepting_new": False, "timezone": "America/Argentina/Buenos_Aires",
        "min_notice_hours": 336, "works_holidays": True, "address": "1550 Larimer St, Suite 100", "zip": "80202",
        "latitude": 39.749123456789, "longitude": -104.994654321, "user_id": user_id, "created_at": AWARE,
        "updated_at": AWARE + dt.timedelta(microseconds=1),
        "video_link": "https://video.northside-practice.org/room/zoë?lang=es", "offers_consultations": True,
        "consultation_formats": ["phone", "telehealth"], "clients_book_series": True, "published": False,
        "tax_id": "12-3456789",
        "birth_date": dt.date(1980, 2, 29),
        "pending_qualifications": [{"state": "NM", "type": "LPCC", "number": "", "start": "2020-01-01", "end": ""}],
    }


def license_values(provider_id: int, verifier_id: int | None) -> dict[str, Any]:
    return {
        "provider_id": provider_id, "state": "CO", "license_type": "LPC", "number": "CO:0012345/β",
        "issued": dt.date(2021, 1, 4), "expires": dt.date(2031, 12, 31), "status": "verified",
        "verified_by_id": verifier_id,
        "verified_at": AWARE, "verification_source": "coordinator",
    }


def window_values(provider_id: int) -> dict[str, Any]:
    return {"provider_id": provider_id, "weekday": 6, "start": dt.time(0, 0), "end": dt.time(23, 59)}


def stored(model: type[models.Model], names: list[str]) -> list[dict[str, Any]]:
    return list(model.objects.order_by("pk").values(*names))


def columns(model: type[models.Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields if not field.primary_key]


def test_every_field_of_the_written_tables_is_in_the_round_trip():
    account = UserFactory(role=Role.PROVIDER)
    provider = provider_values(1, account.pk)
    assert set(columns(Provider)) == set(provider)
    assert set(columns(License)) == set(license_values(1, None))
    assert set(columns(AvailabilityWindow)) == set(window_values(1))
    types = {field.get_internal_type() for model in MODELS for field in model._meta.concrete_fields}
    assert types <= TYPES_SEEN, f"add a value of {sorted(types - TYPES_SEEN)} to this round trip"


def test_inserted_rows_read_back_exactly_as_written():
    account, coordinator = UserFactory(role=Role.PROVIDER), UserFactory(role=Role.COORDINATOR)
    with transaction.atomic():
        _insert_many(Provider, [provider_values(1, account.pk), provider_values(2, None)])
    written = [provider_values(1, account.pk), provider_values(2, None)]
    assert stored(Provider, columns(Provider)) == written
    one, two = Provider.objects.order_by("pk").values_list("pk", flat=True)
    licenses = [license_values(one, coordinator.pk), {**license_values(two, None), "status": "unverified",
                                                       "verified_at": None, "verification_source": ""}]
    with transaction.atomic():
        _insert_many(License, licenses)
        _insert_many(AvailabilityWindow, [window_values(one), window_values(two)])
    assert stored(License, columns(License)) == licenses
    assert stored(AvailabilityWindow, columns(AvailabilityWindow)) == [window_values(one), window_values(two)]


def test_rows_left_to_their_defaults_take_the_models_defaults():
    """What the upsert leaves out (timestamps, works_holidays, the account) is what Provider() would store."""
    values = provider_values(1, None)
    for name in ("works_holidays", "user_id", "created_at", "updated_at", "min_notice_hours"):
        del values[name]
    before = dt.datetime.now(dt.UTC)
    with transaction.atomic():
        _insert_many(Provider, [values])
    provider = Provider.objects.get()
    assert (provider.works_holidays, provider.user_id, provider.min_notice_hours) == (False, None, 2)
    assert before <= provider.created_at == provider.updated_at <= dt.datetime.now(dt.UTC)


def test_updated_fields_read_back_exactly_as_set_and_the_others_are_left_alone():
    account, coordinator = UserFactory(role=Role.PROVIDER), UserFactory(role=Role.COORDINATOR)
    with transaction.atomic():
        _insert_many(Provider, [provider_values(1, None), provider_values(2, None)])
    one = Provider.objects.order_by("pk").values_list("pk", flat=True)[0]
    with transaction.atomic():
        _insert_many(License, [license_values(one, None)])
        _insert_many(AvailabilityWindow, [window_values(one)])
    changed = {
        "first_name": "Ann", "credentials": [], "languages": ["fr"], "bio": "", "self_pay_rate": 0,
        "accepting_new": True, "timezone": "Pacific/Honolulu", "min_notice_hours": 0, "works_holidays": False,
        "latitude": None, "longitude": None, "zip": "", "user_id": account.pk,
        "updated_at": AWARE + dt.timedelta(days=400),
    }
    with transaction.atomic():
        _update_many(Provider, list(changed), [(one, changed)])
    assert stored(Provider, columns(Provider)) == [{**provider_values(1, None), **changed}, provider_values(2, None)]

    license_id = License.objects.get().pk
    renewed = {"expires": dt.date(2040, 2, 29), "status": "rejected", "verified_by_id": coordinator.pk,
               "verified_at": AWARE + dt.timedelta(hours=7), "verification_source": "fhir"}
    window_id = AvailabilityWindow.objects.get().pk
    hours = {"weekday": 0, "start": dt.time(7, 30), "end": dt.time(8, 15)}
    with transaction.atomic():
        _update_many(License, list(renewed), [(license_id, renewed)])
        _update_many(AvailabilityWindow, list(hours), [(window_id, hours)])
    assert stored(License, columns(License)) == [{**license_values(one, None), **renewed}]
    assert stored(AvailabilityWindow, columns(AvailabilityWindow)) == [{**window_values(one), **hours}]
