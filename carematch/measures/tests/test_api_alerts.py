"""GET /api/v1/alerts and POST /api/v1/alerts/{id}/acknowledge: a provider sees their
clients' safety alerts, coordinators every alert, and an alert closes only with a note."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from carematch.accounts.tests.factories import auth_header
from carematch.measures import services
from carematch.measures.models import Alert
from carematch.tests.helpers import assert_error_shape

from .factories import appointment, coordinator, in_care, phq9, record

pytestmark = pytest.mark.django_db

ENDED = dt.datetime(2027, 1, 4, 17, tzinfo=dt.UTC)


def acknowledge(api, alert, user, body):
    return api.post(f"/api/v1/alerts/{alert.pk}/acknowledge", json.dumps(body), content_type="application/json",
                    **auth_header(user))


@pytest.fixture
def two_caseloads():
    mine, provider = in_care()
    theirs, other = in_care()
    record(mine, "phq9", phq9(9, item9=1))
    record(theirs, "phq9", phq9(14, item9=2))
    return mine, provider, theirs, other


def test_a_provider_lists_only_their_own_clients_open_safety_alerts(client, two_caseloads):
    mine, provider, _, _ = two_caseloads
    response = client.get("/api/v1/alerts?status=open", **auth_header(provider.user))
    assert response.status_code == 200
    (alert,) = response.json()["alerts"]
    assert (alert["code"], alert["client_id"], alert["status"], alert["note"]) == (
        "suicidal_ideation", mine.pk, "open", "",
    )


def test_coordinators_see_every_alert_including_low_session_ratings(client, two_caseloads):
    mine, provider, _, _ = two_caseloads
    session = mine.appointments.get()
    services.session_rate(appointment=session, client=mine, score=3, now=ENDED + dt.timedelta(hours=1))
    codes = [a["code"] for a in client.get("/api/v1/alerts", **auth_header(coordinator())).json()["alerts"]]
    assert sorted(codes) == ["low_session_rating", "suicidal_ideation", "suicidal_ideation"]
    # A session rating is for coordinators: the provider does not see it.
    own = client.get("/api/v1/alerts", **auth_header(provider.user)).json()["alerts"]
    assert [a["code"] for a in own] == ["suicidal_ideation"]


def test_an_alert_is_acknowledged_only_with_a_note_and_only_once(client, two_caseloads):
    _, provider, _, _ = two_caseloads
    alert = Alert.objects.get(provider=provider)
    for body in ({"note": "   "}, {"note": ""}, {}):
        problem = assert_error_shape(acknowledge(client, alert, provider.user, body), 422)
        assert "note" in problem["fields"]
        assert Alert.objects.get(pk=alert.pk).is_open

    response = acknowledge(client, alert, provider.user, {"note": "Called the client; safety plan reviewed."})
    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["note"], body["acknowledged_by"]) == (
        "acknowledged", "Called the client; safety plan reviewed.", provider.user.email,
    )
    assert client.get("/api/v1/alerts?status=open", **auth_header(provider.user)).json()["alerts"] == []
    assert len(client.get("/api/v1/alerts?status=acknowledged", **auth_header(provider.user)).json()["alerts"]) == 1
    assert_error_shape(acknowledge(client, alert, provider.user, {"note": "again"}), 409, "already_acknowledged")


def test_another_providers_alert_is_404_and_clients_may_not_list_or_acknowledge_alerts(client, two_caseloads):
    mine, provider, _, other = two_caseloads
    alert = Alert.objects.get(provider=provider)
    assert_error_shape(acknowledge(client, alert, other.user, {"note": "not mine"}), 404)
    assert_error_shape(acknowledge(client, alert, mine.user, {"note": "me"}), 403)  # alerts are not for clients
    assert_error_shape(client.get("/api/v1/alerts", **auth_header(mine.user)), 403)
    assert Alert.objects.get(pk=alert.pk).is_open


def test_an_unknown_status_filter_is_a_422_naming_it(client, two_caseloads):
    _, provider, _, _ = two_caseloads
    problem = assert_error_shape(client.get("/api/v1/alerts?status=closed", **auth_header(provider.user)), 422)
    assert "status" in problem["fields"]


def test_a_client_rates_a_session_once_it_has_ended_by_the_api(client):
    person, provider = in_care()  # a session still to come
    later = person.appointments.get()
    session = appointment(provider, person, start=timezone.now() - dt.timedelta(hours=3))

    def post(appt, body, user):
        return client.post(f"/api/v1/appointments/{appt.pk}/session-rating", json.dumps(body),
                           content_type="application/json", **auth_header(user))

    assert_error_shape(post(later, {"score": 8}, person.user), 422, "not_ratable")
    assert_error_shape(post(session, {"score": 11}, person.user), 422)
    assert_error_shape(post(session, {"score": 8}, provider.user), 403)
    response = post(session, {"score": 8}, person.user)
    assert response.status_code == 201 and response.json()["score"] == 8
    assert_error_shape(post(session, {"score": 2}, person.user), 409, "already_rated")
    assert not Alert.objects.exists()  # 8 is above 6
