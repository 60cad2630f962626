""""In your own words": what a person writes for their therapist during the intake is stored
encrypted (never left in the session), shown only to the provider they book (each read in the
access log), is part of their own data export, and goes when they close their account."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from carematch.access import closing
from carematch.access.export import client_export_json
from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import PASSWORD, UserFactory
from carematch.lib.errors import Conflict, InvalidInput
from carematch.matching import intake
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import CareRequest, Format
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

NOTE = "I get panicky on video calls; please start slowly. Synthetic words 7c1e."


def booked_with_note(*, note=NOTE):
    """A client who wrote a note, then booked a first session with a provider: (client, provider)."""
    person = ClientFactory()
    asked = scheduling.care_request_open(client=person)
    scheduling.care_request_note_set(request_id=asked.pk, note=note)
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    now = timezone.now()
    start = provider_openings(provider=provider, start=now + dt.timedelta(hours=3), end=now + dt.timedelta(days=8))[0]
    scheduling.appointment_book(provider=provider, client=person, start=start, format=Format.TELEHEALTH,
                                by=person.user)
    return person, provider


def test_the_note_from_the_intake_is_stored_encrypted_and_never_kept_in_the_session(client):
    client.post("/find/safety/", {"in_danger": "no"})
    response = client.post("/find/help/", {"concerns": ["anxiety"], "note_for_therapist": NOTE})
    assert response.status_code == 302
    kept = CareRequest.objects.get()
    assert kept.note_for_therapist == NOTE
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT note_for_therapist FROM {CareRequest._meta.db_table}")  # noqa: S608
        (raw,) = cursor.fetchone()
    assert raw.startswith("enc1:") and NOTE not in raw and "panicky" not in raw
    session = client.session[intake.SESSION_KEY]
    assert "note_for_therapist" not in session and "panicky" not in repr(dict(client.session.items()))
    # Going back shows the person what they wrote, from the request, not the session.
    assert NOTE.split(";")[0] in client.get("/find/help/").content.decode()


def test_the_help_step_says_who_will_see_the_note_and_refuses_a_long_one(client):
    html = client.get("/find/help/").content.decode()
    assert "Anything you would like your therapist to know? (optional)" in html
    assert "Only the therapist you book will see it" in html
    client.post("/find/safety/", {"in_danger": "no"})
    page = client.post("/find/help/", {"concerns": ["anxiety"], "note_for_therapist": "x" * 1001})
    assert page.status_code == 200
    assert "at most 1000 characters" in page.context["form"].errors["note_for_therapist"][0]
    assert not CareRequest.objects.exclude(note_for_therapist="").exists()


def test_the_service_refuses_a_long_note_and_a_request_already_answered():
    person, _ = booked_with_note()
    answered = CareRequest.objects.get(client=person)
    with pytest.raises(Conflict):
        scheduling.care_request_note_set(request_id=answered.pk, note="later")
    fresh = scheduling.care_request_open(client=ClientFactory())
    with pytest.raises(InvalidInput) as refused:
        scheduling.care_request_note_set(request_id=fresh.pk, note="y" * 1001)
    assert "note_for_therapist" in refused.value.fields


def test_the_booked_provider_sees_the_note_and_each_read_is_logged(client):
    person, provider = booked_with_note()
    client.force_login(provider.user)
    html = client.get(f"/caseload/{person.pk}/").content.decode()
    assert "own words" in html and "please start slowly" in html
    read = AccessEvent.objects.filter(resource_type="note_for_therapist")
    assert read.count() == 1
    event = read.get()
    assert (event.client_id, event.actor_id, event.action) == (person.pk, provider.user.pk, "view")
    client.get(f"/caseload/{person.pk}/")
    assert read.count() == 2


@pytest.mark.parametrize("who", ["another provider of theirs", "a coordinator", "an admin", "another client",
                                 "the client"])
def test_nobody_but_the_booked_provider_sees_the_note(client, who):
    person, _ = booked_with_note()
    if who == "another provider of theirs":
        other = weekday_provider(user=UserFactory(role=Role.PROVIDER))
        now = timezone.now()
        start = provider_openings(provider=other, start=now + dt.timedelta(days=2), end=now + dt.timedelta(days=9))[0]
        scheduling.appointment_book(provider=other, client=person, start=start, format=Format.TELEHEALTH,
                                    by=person.user)
        viewer, url = other.user, f"/caseload/{person.pk}/"
    elif who == "a coordinator":
        viewer, url = UserFactory(role=Role.COORDINATOR), f"/caseload/{person.pk}/"
    elif who == "an admin":
        viewer, url = UserFactory(role=Role.ADMIN), f"/caseload/{person.pk}/"
    elif who == "another client":
        viewer, url = ClientFactory().user, f"/caseload/{person.pk}/"
    else:
        viewer, url = person.user, "/progress/"
    client.force_login(viewer)
    response = client.get(url)
    assert response.status_code in (200, 404)
    assert "please start slowly" not in response.content.decode()
    assert not AccessEvent.objects.filter(resource_type="note_for_therapist").exists()


def test_a_cancelled_first_session_takes_the_note_away_from_that_provider(client):
    person, provider = booked_with_note()
    first = CareRequest.objects.get(client=person).first_appointment
    scheduling.appointment_cancel(appointment=first, by=person.user)
    client.force_login(provider.user)
    assert "please start slowly" not in client.get(f"/caseload/{person.pk}/").content.decode()


def test_the_note_is_in_the_clients_own_export():
    person, _ = booked_with_note()
    exported = client_export_json(person)
    assert [row["note_for_therapist"] for row in exported["care_requests"]] == [NOTE]


def test_closing_the_account_erases_the_note():
    person, _ = booked_with_note()
    closing.account_close(user=person.user, password=PASSWORD, confirmation=closing.CONFIRMATION_PHRASE)
    assert CareRequest.objects.get(client=person).note_for_therapist == ""


def test_a_note_written_before_logging_in_goes_to_the_clients_older_open_request():
    person = ClientFactory()
    older = scheduling.care_request_open(client=person)
    anonymous = scheduling.care_request_open(client=None)
    scheduling.care_request_note_set(request_id=anonymous.pk, note=NOTE)
    kept = scheduling.care_request_attach_client(request_id=anonymous.pk, client=person)
    assert kept.pk == older.pk
    assert CareRequest.objects.get(pk=older.pk).note_for_therapist == NOTE
    assert CareRequest.objects.get(pk=anonymous.pk).note_for_therapist == ""
