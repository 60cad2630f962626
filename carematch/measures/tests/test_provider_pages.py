"""Providers' and coordinators' pages: the alerts page (each alert acknowledged with a
required note), the questionnaire schedule, sending a questionnaire now, and the outcome
estimates; and the alert notices, which name no client."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from carematch.measures.models import Alert, Assessment, Cadence, QuestionnaireRequest, QuestionnaireSchedule
from carematch.measures.outcomes import MIN_CLIENTS
from carematch.measures.selectors import provider_effects

from .factories import ClientFactory, appointment, coordinator, in_care, phq9, provider_user, record, run_due_tasks

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(django_capture_on_commit_callbacks):
    """A client of a provider who answered PHQ-9 item 9 with "several days"."""
    person, provider = in_care(first_name="Ada", last_name="Quince")
    with django_capture_on_commit_callbacks(execute=True):
        record(person, "phq9", phq9(13, item9=1))
    return person, provider


def test_the_provider_sees_their_clients_open_safety_alert_and_must_write_a_note_to_close_it(client, flagged):
    person, provider = flagged
    other, _ = in_care(first_name="Bea", last_name="Other")
    record(other, "phq9", phq9(5, item9=2))
    client.force_login(provider.user)
    page = client.get("/provider/alerts/").content.decode()
    assert "Ada Quince" in page and "Bea Other" not in page
    assert "PHQ-9 question 9 (thoughts of being better off dead or of self-harm) answered “several days”" in page
    alert = Alert.objects.get(client=person)
    assert f'for="id_alert-{alert.pk}-note">What did you do?</label>' in page

    empty = client.post(f"/provider/alerts/{alert.pk}/acknowledge/", {f"alert-{alert.pk}-note": "  "})
    assert empty.status_code == 400
    assert f'id="id_alert-{alert.pk}-note_error">Write a note saying what you did.' in empty.content.decode()
    assert Alert.objects.get(pk=alert.pk).is_open

    done = client.post(f"/provider/alerts/{alert.pk}/acknowledge/",
                       {f"alert-{alert.pk}-note": "Called Ada; she is safe and has her safety plan."}, follow=True)
    page = done.content.decode()
    assert "The alert is acknowledged." in page and "No open alerts." in page
    assert "Called Ada; she is safe and has her safety plan." in page  # under "acknowledged in the last 14 days"
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.is_open) == (provider.user, False)


def test_coordinators_see_every_alert_and_clients_or_other_providers_cannot_act_on_one(client, flagged):
    person, _ = flagged
    alert = Alert.objects.get()
    client.force_login(coordinator())
    assert "Ada Quince" in client.get("/staff/alerts/").content.decode()
    moved = client.get("/provider/alerts/")  # the old address of coordinators' alerts
    assert moved.status_code == 302 and moved["Location"] == "/staff/alerts/"
    acknowledged = client.post(f"/staff/alerts/{alert.pk}/acknowledge/", {f"alert-{alert.pk}-note": ""})
    assert acknowledged.status_code == 400 and Alert.objects.get().is_open  # a note is needed, on the staff page
    client.force_login(provider_user().user)
    assert "Ada Quince" not in client.get("/provider/alerts/").content.decode()
    assert client.post(f"/provider/alerts/{alert.pk}/acknowledge/", {f"alert-{alert.pk}-note": "x"}).status_code == 404
    client.force_login(person.user)
    assert client.get("/provider/alerts/").status_code == 403  # a page for other roles
    assert Alert.objects.get().is_open


def test_the_alert_notice_reaches_the_provider_and_coordinators_and_names_no_client(flagged):
    _, provider = flagged
    staff = coordinator(email="coord@example.test")
    mail.outbox.clear()
    assert Alert.objects.count() == 1  # its notice was queued when it was recorded
    run_due_tasks()
    assert sorted(m.to[0] for m in mail.outbox) == sorted([provider.user.email, staff.email])
    for message in mail.outbox:
        # each is sent to the page that person can open: coordinators' alerts live under /staff/
        page = "/staff/alerts/" if message.to[0] == staff.email else "/provider/alerts/"
        assert page in message.body
        assert "Ada" not in message.body and "Quince" not in message.body and "13" not in message.body


def test_a_provider_chooses_when_clients_are_asked(client):
    _, provider = in_care()
    client.force_login(provider.user)
    page = client.get("/provider/questionnaires/").content.decode()
    assert "<legend>When should your clients be asked the PHQ-9 and GAD-7?</legend>" in page
    assert 'value="every_session" id="id_cadence_0" required checked' in page
    response = client.post("/provider/questionnaires/schedule/", {"cadence": "every_two_weeks"}, follow=True)
    assert "Saved: your clients are asked every 2 weeks." in response.content.decode()
    assert QuestionnaireSchedule.objects.get(provider=provider).cadence == Cadence.EVERY_TWO_WEEKS
    bad = client.post("/provider/questionnaires/schedule/", {"cadence": "hourly"})
    assert bad.status_code == 400 and "Select a valid choice." in bad.content.decode()
    assert QuestionnaireSchedule.objects.get(provider=provider).cadence == Cadence.EVERY_TWO_WEEKS


def test_a_provider_sends_one_of_their_clients_a_questionnaire_now(client):
    person, provider = in_care(first_name="Cal", last_name="Moss")
    stranger = ClientFactory(first_name="Dee")
    client.force_login(provider.user)
    page = client.get("/provider/questionnaires/").content.decode()
    assert "Cal Moss" in page and "Dee" not in page
    from carematch.access.models import AccessEvent

    shown = AccessEvent.objects.filter(resource_type="client_list", actor_id=provider.user.pk)
    assert [event.client_id for event in shown] == [person.pk]  # the names shown are recorded, not others
    refused = client.post("/provider/questionnaires/send/", {"client": stranger.pk, "instruments": ["phq9"]})
    assert refused.status_code == 400 and "Choose one of your clients." in refused.content.decode()
    none = client.post("/provider/questionnaires/send/", {"client": person.pk})
    assert "Choose at least one questionnaire." in none.content.decode()
    assert not QuestionnaireRequest.objects.exists()
    sent = client.post("/provider/questionnaires/send/", {"client": person.pk, "instruments": ["gad7"]}, follow=True)
    assert "Sent: Cal Moss will get an email with a private link." in sent.content.decode()
    request = QuestionnaireRequest.objects.get()
    assert (request.client, request.provider, request.instruments, request.reason) == (
        person, provider, ["gad7"], "on_demand",
    )


def test_provider_pages_are_not_for_clients_or_coordinators(client):
    person, _ = in_care()
    for user in (person.user, coordinator()):
        client.force_login(user)
        assert client.get("/provider/questionnaires/").status_code == 403
    client.logout()
    assert client.get("/provider/questionnaires/").status_code == 302


def test_coordinators_see_each_providers_estimate_with_its_clients_and_interval(client):
    strong = provider_user(first_name="Sky", last_name="Strong")
    weak = provider_user(first_name="Wes", last_name="Weak")
    start = timezone.now() - dt.timedelta(days=60)
    for provider, drop, n in ((strong, 10, MIN_CLIENTS + 1), (weak, 1, 3)):
        for i in range(n):
            person = ClientFactory()
            appointment(provider, person, start=start + dt.timedelta(hours=i))
            for days, total in ((0, 18 + i % 3), (42, 18 + i % 3 - drop)):
                Assessment.objects.create(
                    client=person, provider=provider, instrument="phq9", answers=phq9(total), total=total,
                    severity="moderate", completed_at=start + dt.timedelta(days=days),
                )
    effects = provider_effects()
    assert set(effects) == {strong.pk}  # only estimates backed by at least MIN_CLIENTS clients
    estimate, n, sd = effects[strong.pk]["depression"]
    assert n == MIN_CLIENTS + 1 and estimate > 0 and sd > 0

    client.force_login(coordinator())
    page = client.get("/staff/outcomes/").content.decode()
    assert "Sky Strong" in page and "Wes Weak" in page
    assert "Not yet (fewer than 5 clients)" in page and "Depression (PHQ-9)" in page and " to " in page
    client.force_login(strong.user)
    assert client.get("/staff/outcomes/").status_code == 403  # not staff: refused
