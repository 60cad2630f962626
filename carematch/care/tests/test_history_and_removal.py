"""Clinical rows keep their history: the database refuses an UPDATE that would overwrite a
recorded value (on SQLite and PostgreSQL alike), and a client's removal of a check-in is soft."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from carematch.accounts.tests.factories import auth_header
from carematch.care import selectors, services
from carematch.care.models import Activity, CheckIn, GoalRating, GoalVersion, ProviderNote, ProviderNoteVersion
from carematch.lib.history import REENCRYPTION_TABLE
from carematch.measures import services as measures_services
from carematch.measures.models import Alert, Assessment
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, assessment, goal, provider_of, self_rating_goal

pytestmark = pytest.mark.django_db

GUARDED = [
    "care_goal", "care_goalversion", "care_goalrating", "care_activity", "care_checkin", "care_providernote",
    "care_providernoteversion", "measures_assessment", "measures_sessionrating", "measures_alert",
]


def refused(queryset, **values):
    with pytest.raises(IntegrityError, match="keeps clinical history"), transaction.atomic():
        queryset.update(**values)


def test_every_clinical_table_has_its_history_guard():
    """A later migration that remakes one of these tables on SQLite drops its trigger: this says so."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        names = {row[0] for row in cursor.fetchall()}
    assert {f"{table}_history_guard" for table in GUARDED} <= names


def test_goal_versions_ratings_and_assessments_cannot_be_rewritten():
    client = ClientFactory()
    provider = provider_of(client)
    version = goal(client).versions.get()
    rating_goal = self_rating_goal(client)
    rating = services.goal_rating_record(goal=rating_goal, by=client.user, rating=5)
    scored = assessment(client, "phq9", 12, timezone.now())
    refused(GoalVersion.objects.filter(pk=version.pk), text="A different goal")
    refused(GoalVersion.objects.filter(pk=version.pk), target=5)
    refused(GoalRating.objects.filter(pk=rating.pk), rating=9)
    refused(Assessment.objects.filter(pk=scored.pk), total=3)
    refused(Assessment.objects.filter(pk=scored.pk), answers=[0] * 9)
    # Clearing a person reference (their account purged) is the one change allowed.
    GoalVersion.objects.filter(pk=version.pk).update(created_by=None)
    assert GoalVersion.objects.get(pk=version.pk).created_by is None
    refused(Assessment.objects.filter(pk=scored.pk), provider=provider)  # nobody -> someone is a rewrite too


def test_a_reference_to_a_person_may_be_cleared_but_not_pointed_elsewhere():
    client = ClientFactory()
    other = ClientFactory()
    version = goal(client).versions.get()
    refused(GoalVersion.objects.filter(pk=version.pk), created_by=other.user)
    GoalVersion.objects.filter(pk=version.pk).update(created_by=None)
    assert GoalVersion.objects.get(pk=version.pk).created_by is None


def test_an_alert_is_acknowledged_once_and_its_note_is_then_fixed():
    client = ClientFactory()
    provider = provider_of(client)
    alert = Alert.objects.create(kind="suicidal_ideation", client=client, provider=provider,
                                 created_at=timezone.now())
    measures_services.alert_acknowledge(alert=alert, by=provider.user, note="Called, safe, plan reviewed")
    refused(Alert.objects.filter(pk=alert.pk), note="Something else")
    refused(Alert.objects.filter(pk=alert.pk), acknowledged_at=timezone.now())
    refused(Alert.objects.filter(pk=alert.pk), kind="low_session_rating")
    assert Alert.objects.get(pk=alert.pk).note == "Called, safe, plan reviewed"


def test_activities_end_once_and_keep_their_words():
    client = ClientFactory()
    activity = services.activity_add(client=client, by=client.user, kind="own", text="Call my brother", times=1,
                                     period="week")
    refused(Activity.objects.filter(pk=activity.pk), text="Something else")
    refused(Activity.objects.filter(pk=activity.pk), times=3)
    services.activity_end(activity=activity, by=client.user)
    refused(Activity.objects.filter(pk=activity.pk), ended_at=timezone.now())


def test_note_versions_and_check_ins_cannot_be_rewritten_and_removal_happens_once():
    client = ClientFactory()
    provider = provider_of(client)
    note = services.provider_note_create(client=client, by=provider.user, body="Session one")
    refused(ProviderNoteVersion.objects.filter(note=note), body="Rewritten")
    activity = services.activity_add(client=client, by=client.user, kind="exercise", times=1, period="day")
    check_in = services.check_in_record(activity=activity, by=client.user, mood=5, note="Short walk")
    refused(CheckIn.objects.filter(pk=check_in.pk), mood=9)
    refused(CheckIn.objects.filter(pk=check_in.pk), note="Long walk")
    services.check_in_remove(check_in=check_in, by=client.user)
    refused(CheckIn.objects.filter(pk=check_in.pk), deleted_at=None)
    services.provider_note_remove(note=note, by=provider.user)
    refused(ProviderNote.objects.filter(pk=note.pk), deleted_at=None)


def test_the_reencryption_marker_is_never_left_behind():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {REENCRYPTION_TABLE}")  # noqa: S608 - a fixed name
        assert cursor.fetchone()[0] == 0


def test_retention_defaults_to_seven_years():
    assert settings.RECORD_RETENTION_DAYS == 2557


# --- A client removes a check-in -----------------------------------------------------------------


def _check_in(client_record, note="Felt lighter afterwards"):
    activity = services.activity_add(client=client_record, by=client_record.user, kind="exercise", times=1,
                                     period="day")
    return services.check_in_record(activity=activity, by=client_record.user, mood=6, note=note)


def test_a_client_removes_a_check_in_over_the_api_and_it_is_hidden_but_kept(client):
    me = ClientFactory()
    check_in = _check_in(me)
    headers = auth_header(me.user)
    response = client.post(f"/api/v1/check-ins/{check_in.pk}/remove", "{}", content_type="application/json",
                           **headers)
    assert response.status_code == 200 and response.json()["id"] == check_in.pk
    plan = client.get(f"/api/v1/clients/{me.pk}/plan/activities", **headers).json()
    assert plan[0]["check_ins"] == []
    kept = CheckIn.objects.get(pk=check_in.pk)
    assert kept.deleted_by_id == me.user.pk and kept.note == "Felt lighter afterwards"
    again = client.post(f"/api/v1/check-ins/{check_in.pk}/remove", "{}", content_type="application/json", **headers)
    assert_error_shape(again, 404)


def test_only_the_client_removes_their_check_ins(client):
    me = ClientFactory()
    provider = provider_of(me)
    check_in = _check_in(me)
    by_provider = client.post(f"/api/v1/check-ins/{check_in.pk}/remove", "{}", content_type="application/json",
                              **auth_header(provider.user))
    assert_error_shape(by_provider, 403)
    by_stranger = client.post(f"/api/v1/check-ins/{check_in.pk}/remove", "{}", content_type="application/json",
                              **auth_header(ClientFactory().user))
    assert_error_shape(by_stranger, 404)
    assert CheckIn.objects.get(pk=check_in.pk).deleted_at is None


def test_a_client_removes_a_check_in_from_their_progress_page(client):
    me = ClientFactory()
    check_in = _check_in(me, note="Walked by the river")
    client.force_login(me.user)
    page = client.get("/progress/").content.decode()
    assert "Walked by the river" in page and f"/progress/plan/check-ins/{check_in.pk}/remove/" in page
    assert client.post(f"/progress/plan/check-ins/{check_in.pk}/remove/").status_code == 302
    assert "Walked by the river" not in client.get("/progress/").content.decode()
    assert CheckIn.objects.filter(pk=check_in.pk, deleted_at__isnull=False).exists()


def test_a_removed_check_in_is_left_out_of_the_count_of_this_period():
    me = ClientFactory()
    kept = _check_in(me)
    removed = services.check_in_record(activity=kept.activity, by=me.user, mood=2)
    assert selectors.activity_view(activity=kept.activity).done_this_period == 2
    services.check_in_remove(check_in=removed, by=me.user)
    view = selectors.activity_view(activity=kept.activity)
    assert view.done_this_period == 1 and view.check_ins == [kept]
