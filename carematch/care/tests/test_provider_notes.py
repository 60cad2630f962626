"""Provider notes: written and revised by a provider who has seen the client, never
overwritten, seen only by their author and admins, removed softly, and every access logged."""

from __future__ import annotations

import json

import pytest
from django.db import connection

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.care import services
from carematch.care.models import PROVIDER_NOTE_MAX, ProviderNote, ProviderNoteVersion
from carematch.lib import crypto
from carematch.lib.errors import Forbidden
from carematch.scheduling.models import Status
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, appointment, provider_of, provider_user

pytestmark = pytest.mark.django_db

FIRST = "Discussed sleep routine; client agreed to a fixed wake time"
SECOND = "Discussed sleep routine; client agreed to a fixed wake time of 7:00"


def post(client, url, body, headers):
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def test_a_provider_writes_revises_and_reads_a_note_with_its_history_over_the_api(client):
    me = ClientFactory()
    provider = provider_of(me)
    headers = auth_header(provider.user)
    created = post(client, f"/api/v1/clients/{me.pk}/notes", {"body": FIRST}, headers)
    assert created.status_code == 201, created.content
    note_id = created.json()["id"]
    assert created.json()["current"]["body"] == FIRST and created.json()["history"] == []

    revised = post(client, f"/api/v1/notes/{note_id}/revise", {"body": SECOND}, headers)
    assert revised.status_code == 200, revised.content
    body = revised.json()
    assert body["current"]["version"] == 2 and body["current"]["body"] == SECOND
    assert [v["body"] for v in body["history"]] == [FIRST]

    listed = client.get(f"/api/v1/clients/{me.pk}/notes", **headers).json()
    assert [n["id"] for n in listed] == [note_id] and listed[0]["current"]["body"] == SECOND
    # Both versions are stored, encrypted; neither was overwritten.
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM care_providernoteversion WHERE note_id = %s ORDER BY number", [note_id])
        stored = [row[0] for row in cursor.fetchall()]
    assert len(stored) == 2 and all(s.startswith(crypto.PREFIX) and "sleep" not in s for s in stored)


def test_a_note_can_name_one_of_the_providers_sessions_with_the_client_only(client):
    me = ClientFactory()
    provider = provider_of(me)
    mine = provider.appointments.get()
    other_session = appointment(provider_user(), me)
    headers = auth_header(provider.user)
    ok = post(client, f"/api/v1/clients/{me.pk}/notes", {"body": FIRST, "appointment_id": mine.pk}, headers)
    assert ok.status_code == 201 and ok.json()["appointment_id"] == mine.pk
    refused = post(client, f"/api/v1/clients/{me.pk}/notes", {"body": FIRST, "appointment_id": other_session.pk},
                   headers)
    assert assert_error_shape(refused, 422)["fields"] == {"appointment_id": "not a session of yours with this client"}


@pytest.mark.parametrize(("body", "problem"), [
    ("", "is required"), ("   ", "is required"),
    ("x" * (PROVIDER_NOTE_MAX + 1), f"must be at most {PROVIDER_NOTE_MAX}"),
])
def test_empty_or_too_long_notes_are_422_naming_the_body_and_nothing_is_written(client, body, problem):
    me = ClientFactory()
    provider = provider_of(me)
    response = post(client, f"/api/v1/clients/{me.pk}/notes", {"body": body}, auth_header(provider.user))
    assert assert_error_shape(response, 422, "invalid_input")["fields"]["body"].startswith(problem)
    assert not ProviderNote.objects.exists()


def test_a_revision_that_changes_nothing_is_422_and_adds_no_version(client):
    me = ClientFactory()
    provider = provider_of(me)
    note = services.provider_note_create(client=me, by=provider.user, body=FIRST)
    response = post(client, f"/api/v1/notes/{note.pk}/revise", {"body": FIRST}, auth_header(provider.user))
    assert "body" in assert_error_shape(response, 422)["fields"]
    assert ProviderNoteVersion.objects.filter(note=note).count() == 1


def test_only_the_author_and_admins_see_notes(client):
    me = ClientFactory()
    author = provider_of(me)
    colleague = provider_of(me)  # also sees this client, but not the author's notes
    note = services.provider_note_create(client=me, by=author.user, body=FIRST)
    admin = UserFactory(role=Role.ADMIN)
    coordinator = UserFactory(role=Role.COORDINATOR)
    stranger = provider_user()

    assert [n["id"] for n in client.get(f"/api/v1/clients/{me.pk}/notes", **auth_header(admin)).json()] == [note.pk]
    assert client.get(f"/api/v1/clients/{me.pk}/notes", **auth_header(colleague.user)).json() == []
    for outsider in (coordinator, stranger.user, me.user):
        assert_error_shape(client.get(f"/api/v1/clients/{me.pk}/notes", **auth_header(outsider)), 404)
    for outsider in (colleague.user, coordinator, stranger.user, me.user):
        response = post(client, f"/api/v1/notes/{note.pk}/revise", {"body": SECOND}, auth_header(outsider))
        assert_error_shape(response, 404)
    # Admins read notes but never write or change them.
    assert_error_shape(post(client, f"/api/v1/notes/{note.pk}/revise", {"body": SECOND}, auth_header(admin)), 403)
    assert_error_shape(post(client, f"/api/v1/clients/{me.pk}/notes", {"body": FIRST}, auth_header(admin)), 403)
    assert ProviderNoteVersion.objects.filter(note=note).count() == 1


def test_a_provider_with_only_a_hold_may_not_write_notes():
    me = ClientFactory()
    holder = provider_of(me, status=Status.HELD)
    with pytest.raises(Forbidden):
        services.provider_note_create(client=me, by=holder.user, body=FIRST)


def test_removing_a_note_hides_it_everywhere_but_keeps_every_version(client):
    me = ClientFactory()
    provider = provider_of(me)
    headers = auth_header(provider.user)
    note = services.provider_note_create(client=me, by=provider.user, body=FIRST)
    services.provider_note_revise(note=note, by=provider.user, body=SECOND)
    removed = post(client, f"/api/v1/notes/{note.pk}/remove", {}, headers)
    assert removed.status_code == 200 and removed.json()["id"] == note.pk
    assert client.get(f"/api/v1/clients/{me.pk}/notes", **headers).json() == []
    assert_error_shape(post(client, f"/api/v1/notes/{note.pk}/revise", {"body": "again"}, headers), 404)
    assert_error_shape(post(client, f"/api/v1/notes/{note.pk}/remove", {}, headers), 404)
    admin = UserFactory(role=Role.ADMIN)
    assert client.get(f"/api/v1/clients/{me.pk}/notes", **auth_header(admin)).json() == []
    kept = ProviderNote.objects.get(pk=note.pk)
    assert kept.deleted_at is not None and kept.deleted_by_id == provider.user.pk
    assert [v.body for v in kept.versions.order_by("number")] == [FIRST, SECOND]


def test_views_writes_and_refusals_of_notes_are_in_the_access_log_without_their_text(client):
    me = ClientFactory()
    provider = provider_of(me)
    headers = auth_header(provider.user)
    note_id = post(client, f"/api/v1/clients/{me.pk}/notes", {"body": FIRST}, headers).json()["id"]
    post(client, f"/api/v1/notes/{note_id}/revise", {"body": SECOND}, headers)
    client.get(f"/api/v1/clients/{me.pk}/notes", **headers)
    post(client, f"/api/v1/notes/{note_id}/revise", {"body": "x"}, auth_header(provider_user().user))
    events = AccessEvent.objects.filter(resource_type="provider_note", resource_id=str(note_id))
    assert {(e.action, e.outcome) for e in events} == {
        ("create", "allowed"), ("update", "allowed"), ("view", "allowed"), ("update", "denied"),
    }
    assert all(e.client_id == me.pk for e in events)
    for event in AccessEvent.objects.all():
        assert "sleep" not in " ".join(str(v) for v in vars(event).values())


def test_the_notes_page_writes_revises_and_removes_with_labelled_fields(client):
    me = ClientFactory(first_name="Robin")
    provider = provider_of(me)
    client.force_login(provider.user)
    url = f"/caseload/{me.pk}/notes/"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert '<label for="id_body"' in html and "<script" not in html.split("<main", 1)[-1] and "style=" not in html
    response = client.post(url, {"body": FIRST, "appointment_id": ""})
    assert response.status_code == 302
    note = ProviderNote.objects.get()
    assert FIRST in client.get(url).content.decode()

    revise_url = f"/caseload/{me.pk}/notes/{note.pk}/revise/"
    assert FIRST in client.get(revise_url).content.decode()
    assert client.post(revise_url, {"body": SECOND}).status_code == 302
    shown = client.get(url).content.decode()
    assert SECOND in shown and "Earlier versions" in shown and FIRST in shown

    empty = client.post(url, {"body": ""})
    assert empty.status_code == 200 and "This field is required" in empty.content.decode()

    assert client.post(f"/caseload/{me.pk}/notes/{note.pk}/remove/").status_code == 302
    assert SECOND not in client.get(url).content.decode()
    assert ProviderNote.objects.get().deleted_at is not None


def test_the_notes_page_is_not_found_for_the_client_coordinators_and_other_providers(client):
    me = ClientFactory()
    provider = provider_of(me)
    services.provider_note_create(client=me, by=provider.user, body=FIRST)
    client.force_login(me.user)
    assert client.get("/progress/notes/").status_code == 404
    assert FIRST not in client.get("/progress/").content.decode()
    for outsider in (UserFactory(role=Role.COORDINATOR), provider_user().user):
        client.force_login(outsider)
        assert client.get(f"/caseload/{me.pk}/notes/").status_code == 404
    colleague = provider_of(me)
    client.force_login(colleague.user)
    page = client.get(f"/caseload/{me.pk}/notes/")
    assert page.status_code == 200 and FIRST not in page.content.decode()
