"""A client's download holds everything carematch keeps about them, and no secret."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.db import models
from django.test.utils import isolate_apps
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from carematch.access import export
from carematch.accounts import services as accounts
from carematch.accounts.models import ApiToken, Client, MfaDevice
from carematch.measures import links
from carematch.scheduling.models import CalendarFeed
from carematch.scheduling.services import calendar_feed_issue

from . import data_records as r

pytestmark = pytest.mark.django_db


# --- Completeness ---------------------------------------------------------------------------------


def test_every_model_holding_client_records_is_exported_or_excluded_with_a_reason():
    found = {model._meta.label_lower for model in export.client_models()}
    # The walk reaches records directly on the client, through appointments, through goals and
    # plans, and the access log that names its client by a plain id.
    assert {"scheduling.appointment", "measures.assessment", "care.goalversion", "care.checkin",
            "scheduling.idempotencyrecord", "access.accessevent", "care.providernoteversion"} <= found
    assert export.unreviewed_models() == []
    assert all(reason.strip() for reason in export.NOT_EXPORTED.values())


@isolate_apps("carematch.access")
def test_a_new_model_about_clients_is_reported_until_the_export_covers_it():
    class SecondOpinion(models.Model):  # directly on the client
        client = models.ForeignKey(Client, on_delete=models.PROTECT)

        class Meta:
            app_label = "access"

    class SessionRecording(models.Model):  # through an appointment
        appointment = models.ForeignKey("scheduling.Appointment", on_delete=models.CASCADE)

        class Meta:
            app_label = "access"

    SessionRecording._meta.get_field("appointment").remote_field.model = apps.get_model("scheduling", "Appointment")
    candidates = [*apps.get_models(), SecondOpinion, SessionRecording]
    assert export.unreviewed_models(candidates) == ["access.secondopinion", "access.sessionrecording"]


def test_every_exported_kind_of_record_appears_in_the_download(settings):
    settings.EXPORT_PROVIDER_NOTES = True  # providers' notes are left out unless the deployment includes them
    record = r.full_record()
    data = export.client_export_json(record.client, now=r.NOW)
    for label, key in export.SECTIONS.items():
        assert data[key], f"{label} is listed as exported but the download has none of them"
    parents = dict(export.SECTIONS)
    for label, (parent, key) in export.NESTED.items():
        assert any(entry[key] for entry in data[parents[parent]]), f"{label} is missing under {parent}"


# --- What the JSON holds --------------------------------------------------------------------------


def test_the_json_export_holds_the_account_profile_and_care_records():
    record = r.full_record()
    client = record.client
    data = export.client_export_json(client, now=r.NOW)

    assert data["format"]["generated_at"] == "2027-01-10T17:00:00+00:00"
    assert data["account"]["email"] == client.user.email
    assert data["account"]["preferred_name"] == "Sammy"
    assert data["account"]["role"] == "client"
    assert data["account"]["two_step_verification"] is False
    assert (data["client"]["first_name"], data["client"]["date_of_birth"]) == (client.first_name, "1990-05-17")

    [care_request] = data["care_requests"]
    assert care_request["crisis"] is True
    closed, still_open = data["crisis_requests"]
    assert (closed["name"], closed["phone"], closed["email"], closed["message"], closed["status"]) == (
        r.CONTACT_NAME, r.CONTACT_PHONE, r.CONTACT_EMAIL, r.CRISIS_MESSAGE, "closed")
    assert closed["care_request_id"] == care_request["id"]
    [attempt] = closed["attempts"]
    assert (attempt["outcome"], attempt["note"], attempt["by"]["role"]) == ("reached", r.CRISIS_NOTE, "coordinator")
    assert (still_open["phone"], still_open["status"], still_open["attempts"]) == (r.OPEN_CONTACT_PHONE, "open", [])
    assert data["waitlist_entries"][0]["request"] == {"concerns": ["insomnia"], "state": "CO"}

    by_id = {a["id"]: a for a in data["appointments"]}
    future = by_id[record.future.pk]
    assert future["provider"] == {"id": record.provider.pk,
                                  "name": f"{record.provider.first_name} {record.provider.last_name}"}
    assert future["start"] == "2027-01-20T16:00:00+00:00"
    assert (future["start_local"], future["time_zone"]) == ("2027-01-20T09:00:00-07:00", "America/Denver")
    cancelled = by_id[record.cancelled.pk]
    assert (cancelled["status"], cancelled["status_label"], cancelled["cancelled_by_role"]) == (
        "cancelled", "Cancelled", "provider")
    assert cancelled["cancelled_by"]["role"] == "provider"
    assert by_id[record.hold.pk]["status"] == "held"

    [request] = [q for q in data["questionnaire_requests"] if q["id"] == record.open_request.pk]
    assert request["instruments"] == ["phq9", "gad7"] and "salt" not in request and "digest" not in request

    [assessment] = data["assessments"]
    assert (assessment["total"], assessment["severity"], assessment["answers"][8]) == (12, "moderate", 1)
    [alert] = data["alerts"]
    assert (alert["kind"], alert["note"]) == ("suicidal_ideation", r.ALERT_NOTE)
    assert alert["acknowledged_by"] == {"role": "coordinator", "name": "Casey"}
    assert data["session_ratings"][0]["score"] == 9

    [goal] = data["goals"]
    assert [v["text"] for v in goal["versions"]] == [r.GOAL_FIRST, r.GOAL_REVISED]
    assert [x["rating"] for x in goal["ratings"]] == [5]
    [activity] = data["plan_activities"]
    assert [c["note"] for c in activity["check_ins"]] == [r.CHECK_IN_NOTE]
    [entry] = data["journal_entries"]
    assert entry["body"] == r.JOURNAL_TEXT

    looked = [e for e in data["access_log"] if e["action"] == "view"]
    assert looked[0]["who"] == {"role": "provider",
                                "name": f"{record.provider.first_name} {record.provider.last_name}"}
    assert looked[0]["what"] == "care_record"


def test_removed_entries_are_not_in_the_download(settings):
    settings.EXPORT_PROVIDER_NOTES = True
    record = r.full_record()
    text = json.dumps(export.client_export_json(record.client, now=r.NOW))
    assert r.REMOVED_CHECK_IN_NOTE not in text
    assert r.REMOVED_NOTE_BODY not in text
    assert r.CHECK_IN_NOTE in text and r.NOTE_BODY in text


def test_another_clients_records_are_not_in_the_download():
    mine = r.full_record()
    theirs = r.full_record(first_name="Otherperson")
    text = json.dumps(export.client_export_json(mine.client, now=r.NOW))
    assert "Otherperson" not in text
    assert theirs.client.user.email not in text
    ids = {a["id"] for a in export.client_export_json(mine.client, now=r.NOW)["appointments"]}
    assert ids == {mine.past.pk, mine.future.pk, mine.cancelled.pk, mine.hold.pk}


# --- No secrets -----------------------------------------------------------------------------------


def _keys(value):
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def test_the_download_holds_no_password_token_salt_digest_or_authenticator_secret():
    record = r.full_record()
    user = record.client.user
    _, raw_token = accounts.api_token_issue(user=user, name="my phone")
    _, raw_feed = calendar_feed_issue(user=user)
    device = accounts.mfa_device_start(user=user)
    MfaDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
    accounts._recovery_codes_issue(user=user, now=timezone.now())
    request = record.open_request

    data = export.client_export_json(record.client, now=r.NOW)
    text = json.dumps(data)

    assert data["account"]["two_step_verification"] is True
    assert data["account"]["api_tokens"][0]["name"] == "my phone"
    secrets = [
        user.password, raw_token, raw_token[:11], ApiToken.objects.get(user=user).digest, raw_feed, raw_feed[:11],
        CalendarFeed.objects.get(user=user).digest, request.salt, request.digest, links.token_for_salt(request.salt),
        device.secret, r.IDEMPOTENCY_KEY,
    ]
    for secret in secrets:
        assert secret not in text
    for digest in user.recovery_codes.values_list("digest", flat=True):
        assert digest not in text
    # The list of the person's API tokens (names and dates) is the one key allowed to say "token".
    assert not [key for key in _keys(data) if export.is_secret_field(key) and key != "api_tokens"]
    assert set(data["account"]["api_tokens"][0]) == {"name", "created_at", "last_used_at", "revoked_at"}


# --- FHIR -----------------------------------------------------------------------------------------


def test_the_fhir_export_is_a_valid_bundle_with_the_patient_questionnaires_goals_and_appointments():
    record = r.full_record()
    bundle = export.client_export_fhir(record.client, now=r.NOW)
    again = Bundle.model_validate_json(bundle.model_dump_json())
    kinds = [entry.resource.get_resource_type() for entry in again.entry]
    assert kinds[0] == "Patient"
    assert {"Questionnaire", "QuestionnaireResponse", "Observation", "Goal", "CarePlan", "Appointment"} <= set(kinds)
    patient_url = again.entry[0].fullUrl
    appointments = {e.resource.id: e.resource for e in again.entry if e.resource.get_resource_type() == "Appointment"}
    # The hold is not an appointment; the three sessions are, each with its FHIR status.
    assert {key: a.status for key, a in appointments.items()} == {
        f"appointment-{record.past.pk}": "fulfilled", f"appointment-{record.future.pk}": "booked",
        f"appointment-{record.cancelled.pk}": "cancelled",
    }
    future = appointments[f"appointment-{record.future.pk}"]
    assert future.participant[0].actor.reference == patient_url
    assert future.participant[1].actor.identifier.value == record.provider.npi
    assert str(future.start.isoformat()).startswith("2027-01-20T16:00:00")
    assert len({e.fullUrl for e in again.entry}) == len(again.entry)
