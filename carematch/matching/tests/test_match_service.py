"""match_find against the database: what it offers can be booked, bookings and time off show
at once, the directory snapshot is kept until the directory or the outcome measures change,
and outcome estimates count once enough clients back them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory import services as directory
from carematch.directory.models import AvailabilityWindow, DirectoryVersion, License, LicenseStatus, Provider
from carematch.directory.records import LicenseRecord, ProviderRecord, WindowRecord
from carematch.lib.errors import InvalidInput
from carematch.lib.npi import make_npi
from carematch.matching.engine.types import MatchRequest
from carematch.matching.services import match_find
from carematch.matching.snapshot import snapshot_builds
from carematch.measures.tests import factories as measures
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import Status
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

# Tuesday 5 January 2027, 08:00 in Denver.
NOW = dt.datetime(2027, 1, 5, 15, tzinfo=dt.UTC)


def ask(**fields):
    values = {"state": "CO", "age": 34, "concerns": ("anxiety",), "earliest": NOW, "client_timezone": "America/Denver"}
    values.update(fields)
    return MatchRequest(**values)


def record(n, *, verified=True, **fields):
    """A Denver provider licensed in CO until 2030 (verified by the roster, unless told
    otherwise), working 09:00-12:00 every day."""
    values = {
        "npi": make_npi(f"19{n:07d}"), "first_name": f"Rae{n}", "last_name": "Example", "credentials": ("LPC",),
        "taxonomy": "101YP2500X", "gender": "female", "languages": ("en",), "concerns": ("anxiety",),
        "approaches": ("cbt",), "populations": ("adults",), "formats": ("telehealth",), "insurance": ("aetna",),
        "self_pay_rate": 120, "accepting_new": True, "timezone": "America/Denver",
        "licenses": (LicenseRecord("CO", "LPC", f"CO-{n}", dt.date(2030, 12, 31), verified=verified),),
        "windows": tuple(WindowRecord(day, dt.time(9), dt.time(12)) for day in range(7)),
    }
    values.update(fields)
    return ProviderRecord(**values)


def provider_ids(answer):
    return [match.provider_id for match in answer.matches]


def test_what_is_offered_can_be_held_and_booked():
    provider = weekday_provider()
    client = ClientFactory()
    (match,) = match_find(request=ask(), now=NOW).matches
    assert match.provider_id == provider.pk and match.npi == provider.npi
    opening = match.openings[0]
    hold = scheduling.hold_place(provider=provider, client=client, start=opening.start, format=opening.formats[0],
                                 by=client.user, now=NOW)
    booked = scheduling.appointment_book(provider=provider, client=client, start=opening.start,
                                         format=opening.formats[0], by=client.user, hold=hold, now=NOW)
    assert booked.start == opening.start


def test_a_booked_or_held_hour_is_not_offered_again():
    provider = weekday_provider()
    first = match_find(request=ask(), now=NOW).matches[0].openings
    client = ClientFactory()
    scheduling.appointment_book(provider=provider, client=client, start=first[0].start, format="telehealth",
                                by=client.user, now=NOW)
    scheduling.hold_place(provider=provider, client=ClientFactory(), start=first[1].start, format="telehealth",
                          by=None, now=NOW)
    again = match_find(request=ask(), now=NOW).matches[0].openings
    assert again[0].start == first[2].start
    assert not {first[0].start, first[1].start} & {opening.start for opening in again}


def test_the_snapshot_is_kept_between_requests_and_built_again_after_each_directory_write():
    directory.providers_upsert(records=[record(1), record(2, windows=())])
    assert DirectoryVersion.objects.exists()
    one, two = Provider.objects.order_by("pk")
    first = match_find(request=ask(), now=NOW)
    assert provider_ids(first) == [one.pk]
    builds = snapshot_builds()
    assert match_find(request=ask(), now=NOW) == first
    assert snapshot_builds() == builds

    coordinator = UserFactory(role=Role.COORDINATOR)
    directory.license_set_status(license=License.objects.get(provider=one), status=LicenseStatus.REJECTED,
                                 by=coordinator)
    assert provider_ids(match_find(request=ask(), now=NOW)) == []
    assert snapshot_builds() == builds + 1

    directory.availability_window_add(provider=two, weekday="wed", start="13:00", end="15:00")
    (match,) = match_find(request=ask(), now=NOW).matches
    assert match.provider_id == two.pk
    assert match.openings[0].start == dt.datetime(2027, 1, 6, 20, tzinfo=dt.UTC)  # Wednesday 13:00 in Denver

    directory.provider_profile_update(provider=two, accepting_new=False)
    assert provider_ids(match_find(request=ask(), now=NOW)) == []
    assert snapshot_builds() == builds + 3


def test_a_license_not_yet_verified_is_not_matched_until_a_coordinator_verifies_it():
    directory.providers_upsert(records=[record(1, verified=False)])
    provider = Provider.objects.get()
    assert provider_ids(match_find(request=ask(), now=NOW)) == []
    builds = snapshot_builds()

    directory.license_set_status(license=License.objects.get(provider=provider), status=LicenseStatus.VERIFIED,
                                 by=UserFactory(role=Role.COORDINATOR))
    assert provider_ids(match_find(request=ask(), now=NOW)) == [provider.pk]
    assert snapshot_builds() == builds + 1  # the verification changed the directory's version

    directory.license_set_status(license=License.objects.get(provider=provider), status=LicenseStatus.UNVERIFIED,
                                 by=UserFactory(role=Role.COORDINATOR))
    assert provider_ids(match_find(request=ask(), now=NOW)) == []


def test_a_network_that_matches_unverified_licenses_matches_them_and_never_a_rejected_one(settings):
    directory.providers_upsert(records=[record(1, verified=False), record(2, verified=False)])
    waiting, refused = Provider.objects.order_by("pk")
    directory.license_set_status(license=License.objects.get(provider=refused), status=LicenseStatus.REJECTED,
                                 by=UserFactory(role=Role.COORDINATOR))
    assert provider_ids(match_find(request=ask(), now=NOW)) == []
    settings.MATCH_UNVERIFIED_LICENSES = True
    # The kept snapshot was built under the other setting: it is not used under this one.
    assert provider_ids(match_find(request=ask(), now=NOW)) == [waiting.pk]
    settings.MATCH_UNVERIFIED_LICENSES = False
    assert provider_ids(match_find(request=ask(), now=NOW)) == []


def test_time_off_and_bookings_show_at_once_without_building_the_snapshot_again():
    directory.providers_upsert(records=[record(1)])
    provider = Provider.objects.get()
    before = match_find(request=ask(), now=NOW).matches[0].openings
    builds = snapshot_builds()
    directory.time_off_add(provider=provider, start=before[0].start, end=before[1].end, now=NOW)
    after = match_find(request=ask(), now=NOW).matches[0].openings
    assert after[0].start == before[2].start
    assert snapshot_builds() == builds


def test_a_kept_snapshot_answers_a_request_with_two_queries(django_assert_num_queries):
    directory.providers_upsert(records=[record(1), record(2)])
    match_find(request=ask(), now=NOW)
    with django_assert_num_queries(2):  # the directory's version, then time off and claims of the short list
        answer = match_find(request=ask(), now=NOW)
    assert len(answer.matches) == 2


def test_a_provider_changed_with_raw_sql_is_seen_by_the_next_match():
    directory.providers_upsert(records=[record(1)])
    (provider,) = Provider.objects.all()
    assert provider_ids(match_find(request=ask(), now=NOW)) == [provider.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {Provider._meta.db_table} SET concerns = %s WHERE id = %s",  # noqa: S608
                       ['["grief"]', provider.pk])
    assert provider_ids(match_find(request=ask(), now=NOW)) == []


def test_a_window_removed_with_raw_sql_is_seen_by_the_next_match():
    directory.providers_upsert(records=[record(1)])
    (provider,) = Provider.objects.all()
    assert provider_ids(match_find(request=ask(), now=NOW)) == [provider.pk]
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {AvailabilityWindow._meta.db_table} WHERE provider_id = %s",  # noqa: S608
                       [provider.pk])
    assert provider_ids(match_find(request=ask(), now=NOW)) == []


def test_without_a_version_row_every_request_reads_the_directory_as_it_is_now():
    provider = weekday_provider()
    DirectoryVersion.objects.all().delete()
    builds = snapshot_builds()
    assert provider_ids(match_find(request=ask(), now=NOW)) == [provider.pk]
    assert provider_ids(match_find(request=ask(), now=NOW)) == [provider.pk]
    assert snapshot_builds() == builds + 2
    Provider.objects.filter(pk=provider.pk).update(concerns=["grief"])
    assert provider_ids(match_find(request=ask(), now=NOW)) == []


def test_a_provider_added_without_the_services_is_found_even_with_a_kept_snapshot():
    directory.providers_upsert(records=[record(1)])
    match_find(request=ask(), now=NOW)
    added = weekday_provider()
    assert added.pk in provider_ids(match_find(request=ask(), now=NOW))


def test_a_request_that_cannot_be_used_is_refused_naming_each_field():
    with pytest.raises(InvalidInput) as refused:
        match_find(request=ask(state="XX", concerns=(), within_hours=500), now=NOW)
    assert set(refused.value.fields) == {"state", "concerns", "within_hours"}


def test_the_time_of_the_request_must_be_aware():
    with pytest.raises(InvalidInput) as refused:
        match_find(request=ask(), now=dt.datetime(2027, 1, 5, 15))  # noqa: DTZ001
    assert set(refused.value.fields) == {"now"}


def test_fewer_matches_than_asked_for_come_with_suggestions():
    directory.providers_upsert(records=[record(1, languages=("en",))])
    answer = match_find(request=ask(languages=("es",)), now=NOW)
    assert answer.matches == ()
    assert [(s.change, s.more_matches) for s in answer.suggestions] == [({"languages": ["es", "en"]}, 1)]


def measured_client(provider, improved_to):
    """A client of `provider` who scored 20 on the PHQ-9 at the start and `improved_to` later."""
    client = ClientFactory()
    measures.appointment(provider, client, start=NOW - dt.timedelta(days=60), status=Status.COMPLETED)
    measures.record(client, "phq9", measures.phq9(20), now=NOW - dt.timedelta(days=59))
    measures.record(client, "phq9", measures.phq9(improved_to), now=NOW - dt.timedelta(days=3))


def test_outcomes_count_once_five_clients_back_them_and_new_questionnaires_rebuild_the_snapshot_in_time(
    monkeypatch,
):
    both = ("anxiety", "depression")
    directory.providers_upsert(records=[record(1, concerns=both), record(2, concerns=both),
                                        record(3, concerns=("grief",))])
    one, two, elsewhere = Provider.objects.order_by("pk")
    for _ in range(5):
        measured_client(elsewhere, improved_to=18)  # the rest of the network: little change
    for _ in range(4):
        measured_client(two, improved_to=6)
    depression = ask(concerns=("depression",))
    first = match_find(request=depression, now=NOW)
    assert provider_ids(first) == [one.pk, two.pk]  # four clients are not enough: no effect
    assert first.matches[0].score == first.matches[1].score
    builds = snapshot_builds()
    assert match_find(request=depression, now=NOW) == first
    assert snapshot_builds() == builds

    measured_client(two, improved_to=6)
    assert match_find(request=depression, now=NOW) == first  # a new questionnaire alone waits for the refresh
    assert snapshot_builds() == builds
    monkeypatch.setattr("carematch.matching.snapshot.OUTCOMES_REFRESH_SECONDS", 0)
    answer = match_find(request=depression, now=NOW)
    assert snapshot_builds() == builds + 1
    assert provider_ids(answer) == [two.pk, one.pk]
    assert "Clients working on depression have done well with this provider" in answer.matches[0].reasons
    assert provider_ids(match_find(request=ask(), now=NOW)) == [one.pk, two.pk]  # anxiety was not measured
