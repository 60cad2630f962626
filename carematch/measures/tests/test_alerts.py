"""The safety alert is never suppressed, reaches coordinators even when the client has no
provider yet, and is what the care app's pages read through open_alerts_for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.accounts.tests.factories import auth_header
from carematch.measures.models import Alert
from carematch.measures.selectors import assessments_for, open_alerts_for

from .factories import ClientFactory, in_care, phq9, record

pytestmark = pytest.mark.django_db


def test_every_item9_answer_opens_its_own_alert_even_while_one_is_open():
    person, provider = in_care()
    record(person, "phq9", phq9(10, item9=1))
    record(person, "phq9", phq9(11, item9=1))
    assert Alert.objects.filter(client=person, acknowledged_at__isnull=True).count() == 2
    assert len(open_alerts_for(provider=provider)) == 2


def test_a_client_without_a_provider_still_alerts_the_coordinators(client):
    person = ClientFactory()
    response = client.post(f"/api/v1/clients/{person.pk}/assessments", {"instrument": "phq9",
                           "answers": phq9(3, item9=3)}, content_type="application/json", **auth_header(person.user))
    assert response.status_code == 201 and response.json()["alerts"][0]["code"] == "suicidal_ideation"
    (alert,) = open_alerts_for()
    assert (alert.client, alert.provider) == (person, None)


def test_open_alerts_for_a_provider_or_a_client_are_only_theirs():
    mine, provider = in_care()
    theirs, _ = in_care()
    record(mine, "phq9", phq9(4, item9=1))
    record(theirs, "phq9", phq9(4, item9=1))
    assert [a.client for a in open_alerts_for(provider=provider)] == [mine]
    assert [a.client for a in open_alerts_for(client=theirs)] == [theirs]
    assert len(open_alerts_for()) == 2


def test_assessments_for_gives_the_history_in_time_order_with_change_flags():
    person, _ = in_care()
    start = timezone.now() - dt.timedelta(days=30)
    for days, total in ((0, 20), (10, 16), (20, 9)):
        record(person, "phq9", phq9(total), now=start + dt.timedelta(days=days))
    history = assessments_for(client=person, instrument="phq9")
    assert [(h.total, h.change, h.flags) for h in history] == [
        (20, None, ()), (16, -4, ()), (9, -11, ("reliable_improvement", "response")),
    ]
    assert history[0].is_baseline and not history[1].is_baseline
    assert assessments_for(client=person, instrument="gad7") == []
