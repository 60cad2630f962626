"""The payers a deployment has are rows, not a list in the code: a payer added by an import or
a coordinator is known at once to every validator, the intake, the API and the match engine,
any number of them can be told apart by the engine, and an unknown one is refused naming the
field."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory import payers, selectors, services
from carematch.directory.models import Payer, PayerSource, Provider
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.lib.errors import InvalidInput
from carematch.matching.engine.types import MatchRequest
from carematch.matching.services import match_find
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC)  # Tuesday, 08:00 in Denver


def bookable(**fields):
    provider = ProviderFactory(concerns=["anxiety"], formats=["telehealth"], min_notice_hours=0, **fields)
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    return provider


def ask(**fields):
    values = {"state": "CO", "age": 34, "concerns": ("anxiety",), "earliest": NOW, "client_timezone": "America/Denver"}
    return MatchRequest(**values | fields)


def test_the_fourteen_payers_carematch_listed_are_seeded_as_rows():
    assert selectors.payer_names() == dict(sorted(payers.seeded().items(), key=lambda pair: pair[1]))
    assert len(payers.seeded()) == 14
    assert set(Payer.objects.values_list("source", flat=True)) == {PayerSource.SEED}


def test_a_payer_added_is_known_at_once_to_validation_and_matching():
    services.payer_ensure(slug="summit-health", name="Summit Health Plan", source=PayerSource.FHIR)
    provider = bookable(insurance=["summit-health"])
    (found,) = match_find(request=ask(insurance="summit-health"), now=NOW).matches
    assert found.provider_id == provider.pk
    assert any("In network with Summit Health Plan" in reason for reason in found.reasons)


def test_a_payer_written_by_another_process_is_seen_without_a_restart():
    assert "northwind" not in payers.KNOWN
    with connection.cursor() as cursor:  # as another process would: straight into the table
        cursor.execute("INSERT INTO directory_payer (slug, name, source, created_at) "
                       "VALUES ('northwind', 'Northwind Health', 'staff', %s)", [NOW])
    assert payers.KNOWN["northwind"] == "Northwind Health"
    services.provider_profile_update(provider=bookable(), insurance=["northwind"],
                                     by=UserFactory(role=Role.COORDINATOR))
    assert Provider.objects.get(insurance__has="northwind")


def test_an_unknown_payer_is_refused_by_the_profile_service_naming_the_field():
    provider = bookable(insurance=["aetna"])
    with pytest.raises(InvalidInput) as refused:
        services.provider_profile_update(provider=provider, insurance=["nowhere-health"],
                                         by=UserFactory(role=Role.COORDINATOR))
    assert refused.value.fields == {"insurance": "unknown payer 'nowhere-health'"}
    provider.refresh_from_db()
    assert provider.insurance == ["aetna"]


def test_an_unknown_payer_in_a_match_is_refused_with_the_other_problems(client):
    bookable(insurance=["aetna"])
    with pytest.raises(InvalidInput) as refused:
        match_find(request=ask(insurance="nowhere-health", limit=0), now=NOW)
    assert set(refused.value.fields) == {"insurance", "limit"}
    answer = client.post("/api/v1/match", {"state": "CO", "age": 34, "concerns": ["anxiety"],
                                           "insurance": "nowhere-health"},
                         content_type="application/json", **auth_header(ClientFactory().user))
    assert_error_shape(answer, 422)
    assert "insurance" in answer.json()["fields"]


def test_a_new_payer_can_be_asked_for_through_the_api(client):
    services.payer_ensure(slug="summit-health", name="Summit Health Plan", source=PayerSource.STAFF)
    provider = bookable(insurance=["summit-health"])
    bookable(insurance=["aetna"])
    answer = client.post("/api/v1/match", {"state": "CO", "age": 34, "concerns": ["anxiety"],
                                           "format": "telehealth", "insurance": "Summit-Health"},
                         content_type="application/json", **auth_header(ClientFactory().user))
    assert answer.status_code == 200, answer.content
    assert [m["provider"]["id"] for m in answer.json()["matches"]] == [provider.pk]


def test_the_engine_tells_apart_more_payers_than_one_word_of_bits_holds():
    slugs = [f"plan-{n:03d}" for n in range(150)]
    for slug in slugs:
        services.payer_ensure(slug=slug, name=f"Plan {slug}", source=PayerSource.FHIR)
    # Each provider is in a few networks, spread over all 150 (and so over three words).
    providers = {n: bookable(insurance=[slugs[n], slugs[(n + 70) % 150], slugs[(n + 140) % 150]])
                 for n in range(0, 150, 7)}
    for slug in (slugs[0], slugs[77], slugs[140], slugs[149]):
        expected = {p.pk for p in providers.values() if slug in p.insurance}
        found = {m.provider_id for m in match_find(request=ask(insurance=slug, limit=20), now=NOW).matches}
        assert found == expected, slug


def test_a_roster_naming_an_unknown_payer_is_refused_on_its_line_and_a_known_one_passes(tmp_path):
    from carematch.directory.tests.test_roster_import import GOOD, run

    roster = tmp_path / "roster.csv"
    roster.write_text(GOOD.read_text(encoding="utf-8").replace("aetna; cigna", "summit-health; cigna", 1),
                      encoding="utf-8")
    _, problems, error = run(roster)
    assert error is not None and problems == ["line 2: insurance: unknown payer 'summit-health'"]
    assert not Provider.objects.exists()
    services.payer_ensure(slug="summit-health", name="Summit Health Plan", source=PayerSource.STAFF)
    _, problems, error = run(roster)
    assert (problems, error) == ([], None)
    assert Provider.objects.get(npi="1000001002").insurance == ["summit-health", "cigna"]


def test_payer_ensure_keeps_an_existing_name_and_refuses_bad_slugs():
    first = services.payer_ensure(slug="aetna", name="Another Name")
    assert first.name == "Aetna"
    with pytest.raises(InvalidInput) as refused:
        services.payer_ensure(slug="Not A Slug!", name="")
    assert set(refused.value.fields) == {"slug", "name"}


def test_a_coordinator_adds_a_payer_on_the_staff_page_and_people_can_choose_it_at_once(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get("/staff/payers/")
    assert page.status_code == 200 and b"Blue Cross Blue Shield" in page.content
    added = client.post("/staff/payers/", {"name": "Summit Health Plan", "slug": ""}, follow=True)
    assert b"Summit Health Plan is added" in added.content
    assert Payer.objects.get(slug="summit-health-plan").source == PayerSource.STAFF
    from carematch.matching.intake import PaymentForm

    assert ("summit-health-plan", "Summit Health Plan") in list(PaymentForm().fields["payment"].choices)


def test_the_payers_page_names_what_is_wrong_and_adds_nothing(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    again = client.post("/staff/payers/", {"name": "Another Aetna", "slug": "aetna"})
    assert again.status_code == 200 and b"already the code of Aetna" in again.content
    bad = client.post("/staff/payers/", {"name": "Odd", "slug": "Not valid!"})
    assert b"lower-case letters" in bad.content
    empty = client.post("/staff/payers/", {"name": "", "slug": ""})
    assert b"Enter the payer" in empty.content
    assert Payer.objects.count() == 14
