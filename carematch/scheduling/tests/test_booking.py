"""Holds, booking, cancelling and rescheduling through the API, and who may do what."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.directory.models import LicenseStatus
from carematch.directory.tests.factories import LicenseFactory
from carematch.scheduling.models import Appointment, CareRequest, Status
from carematch.scheduling.services import care_request_open
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db


@pytest.fixture
def provider():
    return weekday_provider()


@pytest.fixture
def client_record():
    return ClientFactory()


def first_openings(client, provider, headers, n=3):
    body = client.get(f"/api/v1/providers/{provider.pk}/openings", **headers).json()
    return [o["start"] for o in body["openings"][:n]]


def post(client, url, body, headers, **extra):
    return client.post(url, json.dumps(body), content_type="application/json", **headers, **extra)


def booking(provider, client_record, start, fmt="telehealth"):
    return {"provider_id": provider.pk, "client_id": client_record.pk, "start": start, "format": fmt}


def test_a_client_books_an_opening_for_themselves_and_it_is_no_longer_offered(client, provider, client_record):
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    response = post(client, "/api/v1/appointments", booking(provider, client_record, start), headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {"id", "provider_id", "client_id", "start", "end", "format", "status", "late_cancellation",
                         "kind"}
    assert body["kind"] == "session"
    assert body["status"] == "booked" and body["format"] == "telehealth"
    assert dt.datetime.fromisoformat(body["end"]) - dt.datetime.fromisoformat(body["start"]) == dt.timedelta(hours=1)
    assert start not in first_openings(client, provider, headers, n=50)
    again = post(client, "/api/v1/appointments", booking(provider, ClientFactory(), start), auth_header(
        UserFactory(role=Role.COORDINATOR)))
    assert_error_shape(again, 409, "slot_taken")
    assert Appointment.objects.filter(status=Status.BOOKED).count() == 1


def test_openings_are_offered_in_every_format_the_provider_offers(client, provider, client_record):
    body = client.get(f"/api/v1/providers/{provider.pk}/openings", **auth_header(client_record.user)).json()
    assert body["timezone"] == "America/Denver"
    assert body["openings"] and all(o["formats"] == ["telehealth", "in_person"] for o in body["openings"])
    only = client.get(f"/api/v1/providers/{provider.pk}/openings?format=in_person",
                      **auth_header(client_record.user)).json()
    assert all(o["formats"] == ["in_person"] for o in only["openings"])


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"start": "2020-01-06T09:00:00-07:00"}, "start"),  # in the past
        ({"start": "2030-01-07T09:00:00"}, "start"),  # no UTC offset
        ({"format": "in_person"}, None),  # set below: provider offering telehealth only
    ],
)
def test_times_that_are_not_openings_are_422_invalid_slot(client, client_record, change, field):
    provider = weekday_provider(formats=["telehealth"])
    headers = auth_header(client_record.user)
    body = booking(provider, client_record, first_openings(client, provider, headers)[0]) | change
    response = post(client, "/api/v1/appointments", body, headers)
    assert_error_shape(response, 422, "invalid_slot")
    assert list(response.json()["fields"]) == [field or "format"]
    assert not Appointment.objects.exists()


def test_outside_availability_and_before_minimum_notice_are_invalid(client, client_record):
    provider = weekday_provider(min_notice_hours=24 * 7)
    headers = auth_header(client_record.user)
    opening = dt.datetime.fromisoformat(first_openings(client, provider, headers)[0])
    assert opening - timezone.now() >= dt.timedelta(days=7)
    soon = (opening - dt.timedelta(days=1)).isoformat()
    assert_error_shape(post(client, "/api/v1/appointments", booking(provider, client_record, soon), headers),
                       422, "invalid_slot")
    off_hours = (opening + dt.timedelta(hours=6)).isoformat()
    assert_error_shape(post(client, "/api/v1/appointments", booking(provider, client_record, off_hours), headers),
                       422, "invalid_slot")
    misaligned = (opening + dt.timedelta(minutes=30)).isoformat()
    assert_error_shape(post(client, "/api/v1/appointments", booking(provider, client_record, misaligned), headers),
                       422, "invalid_slot")


def test_no_license_in_the_clients_state_on_that_date_is_invalid(client):
    provider = weekday_provider()
    texan = ClientFactory(state="TX", timezone="America/Chicago")
    headers = auth_header(texan.user)
    start = first_openings(client, provider, headers)[0]
    response = post(client, "/api/v1/appointments", booking(provider, texan, start), headers)
    fields = assert_error_shape(response, 422, "invalid_slot")["fields"]
    assert fields == {"provider_id": "not licensed in TX on that date"}
    # A Texas license that expires before the session date does not count either.
    LicenseFactory(provider=provider, state="TX", expires=timezone.localdate())
    later = first_openings(client, provider, headers, n=30)[-1]
    assert_error_shape(post(client, "/api/v1/appointments", booking(provider, texan, later), headers), 422)


def test_a_license_not_yet_verified_does_not_let_a_client_book_unless_the_network_matches_them(client, settings):
    provider = weekday_provider()
    LicenseFactory(provider=provider, state="TX", status=LicenseStatus.UNVERIFIED)
    texan = ClientFactory(state="TX", timezone="America/Chicago")
    headers = auth_header(texan.user)
    start = first_openings(client, provider, headers)[0]

    for path in ("/api/v1/holds", "/api/v1/appointments"):
        response = post(client, path, booking(provider, texan, start), headers)
        body = assert_error_shape(response, 422, "invalid_slot")
        assert body["fields"] == {"provider_id": "license in TX not yet verified"}
        assert "has not been verified yet" in body["detail"]
    assert not Appointment.objects.exists()

    settings.MATCH_UNVERIFIED_LICENSES = True
    assert post(client, "/api/v1/appointments", booking(provider, texan, start), headers).status_code == 201


def test_a_rejected_license_never_lets_a_client_book_even_where_unverified_ones_count(client, settings):
    settings.MATCH_UNVERIFIED_LICENSES = True
    provider = weekday_provider()
    LicenseFactory(provider=provider, state="TX", status=LicenseStatus.REJECTED)
    texan = ClientFactory(state="TX", timezone="America/Chicago")
    headers = auth_header(texan.user)
    start = first_openings(client, provider, headers)[0]
    fields = assert_error_shape(post(client, "/api/v1/appointments", booking(provider, texan, start), headers),
                                422, "invalid_slot")["fields"]
    assert fields == {"provider_id": "not licensed in TX on that date"}


def test_a_hold_keeps_the_opening_for_its_client_for_ten_minutes_then_lapses(client, provider, client_record):
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    hold = post(client, "/api/v1/holds", booking(provider, client_record, start), headers)
    assert hold.status_code == 201
    expires = dt.datetime.fromisoformat(hold.json()["expires_at"])
    assert dt.timedelta(minutes=9) < expires - timezone.now() <= dt.timedelta(minutes=10)
    assert start not in first_openings(client, provider, headers, n=50)

    other = ClientFactory()
    taken = post(client, "/api/v1/appointments", booking(provider, other, start), auth_header(other.user))
    assert_error_shape(taken, 409, "slot_taken")

    Appointment.objects.filter(pk=hold.json()["id"]).update(hold_expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert start in first_openings(client, provider, headers, n=50)
    booked = post(client, "/api/v1/appointments", booking(provider, other, start), auth_header(other.user))
    assert booked.status_code == 201
    assert Appointment.objects.get(pk=hold.json()["id"]).status == Status.LAPSED


def test_booking_your_own_hold_turns_it_into_the_appointment(client, provider, client_record):
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    hold_id = post(client, "/api/v1/holds", booking(provider, client_record, start), headers).json()["id"]
    booked = post(client, "/api/v1/appointments", booking(provider, client_record, start), headers)
    assert booked.status_code == 201 and booked.json()["id"] == hold_id
    assert Appointment.objects.count() == 1


def test_the_same_idempotency_key_returns_the_first_answer_and_another_body_is_422(client, provider, client_record):
    headers = auth_header(client_record.user) | {"HTTP_IDEMPOTENCY_KEY": "book-123"}
    first, second = first_openings(client, provider, auth_header(client_record.user), n=2)
    one = post(client, "/api/v1/appointments", booking(provider, client_record, first), headers)
    two = post(client, "/api/v1/appointments", booking(provider, client_record, first), headers)
    assert one.status_code == two.status_code == 201 and one.json() == two.json()
    other = post(client, "/api/v1/appointments", booking(provider, client_record, second), headers)
    assert_error_shape(other, 422, "idempotency_key_reused")
    assert Appointment.objects.count() == 1


def test_cancelling_frees_the_hour_and_a_client_under_24_hours_is_late(client, client_record):
    provider = weekday_provider(min_notice_hours=0)
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    appointment_id = post(client, "/api/v1/appointments", booking(provider, client_record, start), headers).json()["id"]
    cancelled = client.post(f"/api/v1/appointments/{appointment_id}/cancel", **headers)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    hours_ahead = (dt.datetime.fromisoformat(start) - timezone.now()).total_seconds() / 3600
    assert cancelled.json()["late_cancellation"] is (hours_ahead < 24)
    assert start in first_openings(client, provider, headers, n=50)
    assert_error_shape(client.post(f"/api/v1/appointments/{appointment_id}/cancel", **headers), 409)


def test_a_provider_cancelling_is_never_a_late_cancellation(client, client_record):
    provider = weekday_provider(min_notice_hours=0, user=UserFactory(role=Role.PROVIDER))
    start = first_openings(client, provider, auth_header(client_record.user))[0]
    appointment_id = post(client, "/api/v1/appointments", booking(provider, client_record, start),
                          auth_header(client_record.user)).json()["id"]
    cancelled = client.post(f"/api/v1/appointments/{appointment_id}/cancel", **auth_header(provider.user))
    assert cancelled.json()["late_cancellation"] is False
    assert Appointment.objects.get().cancelled_by_role == "provider"


def test_reschedule_moves_the_booking_to_another_opening(client, provider, client_record):
    headers = auth_header(client_record.user)
    first, second = first_openings(client, provider, headers, n=2)
    appointment_id = post(client, "/api/v1/appointments", booking(provider, client_record, first), headers).json()["id"]
    moved = post(client, f"/api/v1/appointments/{appointment_id}/reschedule", {"start": second}, headers)
    assert moved.status_code == 200
    assert dt.datetime.fromisoformat(moved.json()["start"]) == dt.datetime.fromisoformat(second)
    assert first in first_openings(client, provider, headers, n=50)
    bad = post(client, f"/api/v1/appointments/{appointment_id}/reschedule", {"start": "soon"}, headers)
    assert assert_error_shape(bad, 422)["fields"].keys() == {"start"}


def test_reschedule_follows_the_late_cancellation_policy_and_an_hour_taken_keeps_the_old_time(
    client, provider, client_record,
):
    headers = auth_header(client_record.user)
    first, second, third = first_openings(client, provider, headers, n=3)
    appointment_id = post(client, "/api/v1/appointments", booking(provider, client_record, first), headers).json()["id"]
    rival = ClientFactory()
    post(client, "/api/v1/appointments", booking(provider, rival, second), auth_header(rival.user))
    taken = post(client, f"/api/v1/appointments/{appointment_id}/reschedule", {"start": second}, headers)
    assert assert_error_shape(taken, 409)["error"] == "slot_taken"
    assert Appointment.objects.get(pk=appointment_id).start == dt.datetime.fromisoformat(first)
    moved = post(client, f"/api/v1/appointments/{appointment_id}/reschedule", {"start": third}, headers)
    # The first openings are within a day (2 hours' notice): giving up the hour now is late, as cancelling is.
    late = dt.datetime.fromisoformat(first) - timezone.now() < dt.timedelta(hours=24)
    assert moved.status_code == 200 and moved.json()["late_cancellation"] is late
    assert Appointment.objects.filter(client=client_record, status=Status.BOOKED).count() == 1


def test_no_show_only_after_the_start_and_only_by_provider_or_coordinator(client, provider, client_record):
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    appointment_id = post(client, "/api/v1/appointments", booking(provider, client_record, start), headers).json()["id"]
    assert_error_shape(client.post(f"/api/v1/appointments/{appointment_id}/no-show", **headers), 403)
    coordinator = auth_header(UserFactory(role=Role.COORDINATOR))
    assert_error_shape(client.post(f"/api/v1/appointments/{appointment_id}/no-show", **coordinator), 409)
    Appointment.objects.filter(pk=appointment_id).update(start=timezone.now() - dt.timedelta(minutes=20),
                                                         end=timezone.now() + dt.timedelta(minutes=40))
    marked = client.post(f"/api/v1/appointments/{appointment_id}/no-show", **coordinator)
    assert marked.json()["status"] == "no_show"


def test_clients_cannot_see_or_book_for_someone_else(client, provider, client_record):
    other = ClientFactory()
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    assert_error_shape(post(client, "/api/v1/appointments", booking(provider, other, start), headers), 404)
    assert_error_shape(client.get(f"/api/v1/clients/{other.pk}", **headers), 404)
    theirs = post(client, "/api/v1/appointments", booking(provider, other, start), auth_header(other.user)).json()
    assert_error_shape(client.get(f"/api/v1/appointments/{theirs['id']}", **headers), 404)
    assert_error_shape(client.post(f"/api/v1/appointments/{theirs['id']}/cancel", **headers), 404)
    stranger = auth_header(UserFactory(role=Role.PROVIDER))
    assert_error_shape(client.get(f"/api/v1/appointments/{theirs['id']}", **stranger), 404)
    assert client.get(f"/api/v1/appointments/{theirs['id']}", **auth_header(other.user)).status_code == 200


def test_coordinators_create_clients_whose_accounts_get_client_tokens(client):
    coordinator = auth_header(UserFactory(role=Role.COORDINATOR))
    body = {"email": "New.Client@example.test", "first_name": "Noor", "last_name": "Client",
            "date_of_birth": "1988-02-29", "state": "co", "zip": "80202", "timezone": "America/Denver"}
    created = post(client, "/api/v1/clients", body, coordinator)
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {"id": 0, "email": "new.client@example.test", "first_name": "Noor",
                                          "last_name": "Client", "date_of_birth": "1988-02-29", "state": "CO",
                                          "zip": "80202", "timezone": "America/Denver"}
    bad = post(client, "/api/v1/clients", body | {"email": "x@example.test", "state": "ZZ", "timezone": "Mars/Base",
                                                   "date_of_birth": "2999-01-01"}, coordinator)
    assert set(assert_error_shape(bad, 422)["fields"]) == {"state", "timezone", "date_of_birth"}
    assert_error_shape(post(client, "/api/v1/clients", body, coordinator), 409)
    assert_error_shape(post(client, "/api/v1/clients", body, auth_header(UserFactory(role=Role.CLIENT))), 403)


def test_the_48_hour_clock_records_the_wait_from_request_to_first_session(client, provider, client_record):
    request = care_request_open(client=client_record, now=timezone.now() - dt.timedelta(hours=3))
    headers = auth_header(client_record.user)
    start = first_openings(client, provider, headers)[0]
    post(client, "/api/v1/appointments", booking(provider, client_record, start), headers)
    request.refresh_from_db()
    expected = dt.datetime.fromisoformat(start) - request.requested_at
    assert request.first_start == dt.datetime.fromisoformat(start)
    assert request.wait_seconds == int(expected.total_seconds())
    assert CareRequest.objects.filter(first_appointment__isnull=True).count() == 0


@pytest.mark.parametrize("query", ["from=yesterday", "from=2027-01-01T00:00:00", "format=carrier_pigeon",
                                   "from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z",
                                   "from=2027-01-01T00:00:00Z&to=2027-06-01T00:00:00Z"])
def test_bad_openings_queries_are_422(client, provider, query):
    response = client.get(f"/api/v1/providers/{provider.pk}/openings?{query}", **auth_header(UserFactory()))
    assert_error_shape(response, 422)


def test_the_ics_file_has_the_session_in_the_clients_zone_with_a_stable_uid(client, provider):
    new_yorker = ClientFactory(state="NY", timezone="America/New_York")
    headers = auth_header(new_yorker.user)
    start = first_openings(client, provider, headers)[0]
    appointment_id = post(client, "/api/v1/appointments", booking(provider, new_yorker, start), headers).json()["id"]
    first = client.get(f"/api/v1/appointments/{appointment_id}/ics", **headers)
    second = client.get(f"/api/v1/appointments/{appointment_id}/ics", **headers)
    assert first["Content-Type"].startswith("text/calendar")
    text = first.content.decode()
    local = dt.datetime.fromisoformat(start).astimezone(dt.timezone(dt.timedelta(0))).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York"))
    assert f"DTSTART;TZID=America/New_York:{local:%Y%m%dT%H%M%S}" in text
    assert "BEGIN:VTIMEZONE" in text and "TZID:America/New_York" in text
    uid = next(line for line in text.splitlines() if line.startswith("UID:"))
    assert uid in second.content.decode()
