"""A client answers a questionnaire on one page (from a private link or their account) and
sees their result in plain words; with PHQ-9 item 9 above 0, crisis resources come first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.measures import links, services
from carematch.measures.models import Alert, Assessment, QuestionnaireRequest
from carematch.tests.helpers import error_summary, inline_scripts

from .factories import ClientFactory, appointment, coordinator, gad7, in_care, phq9, provider_user, record

pytestmark = pytest.mark.django_db


def send(person, provider, instruments=("phq9",)):
    return services.questionnaire_send_now(client=person, instruments=list(instruments), by=provider.user,
                                           provider=provider)


def link(request):
    return links.questionnaire_path(request.salt)


def answers(code, values, difficulty=None):
    data = {f"{code}_{i}": v for i, v in enumerate(values, start=1)}
    if difficulty is not None:
        data[f"{code}_difficulty"] = difficulty
    return data


def test_every_question_is_a_fieldset_with_four_labelled_answers_and_the_difficulty_question(client):
    person, provider = in_care()
    page = client.get(link(send(person, provider))).content.decode()
    assert page.count("<fieldset") == 10
    assert ('<legend lang="en">9. Thoughts that you would be better off dead or of hurting yourself in some way'
            "</legend>") in page
    assert page.count('type="radio"') == 40
    for label in ("Not at all", "Several days", "More than half the days", "Nearly every day", "Extremely difficult"):
        assert f"<span>{label}</span>" in page
    assert "No permission required to reproduce" in page
    assert 'style="' not in page and not inline_scripts(page)


def test_a_missing_answer_is_marked_on_its_question_and_nothing_is_stored(client):
    person, provider = in_care()
    path = link(send(person, provider))
    partial = answers("phq9", phq9(9))
    del partial["phq9_4"]
    response = client.post(path, partial)
    assert response.status_code == 200
    page = response.content.decode()
    summary = error_summary(page)
    assert "There is a problem" in summary and summary.count("<li>") == 1
    assert '<a href="#id_phq9_4_0">' in summary and "Choose an answer for question 4." in summary
    assert 'id="id_phq9_4_error">Choose an answer for question 4.' in page
    assert 'aria-describedby="id_phq9_4_error"' in page
    assert page.count('aria-invalid="true"') == 4  # each answer of question 4
    nothing = client.post(path, {}).content.decode()
    assert error_summary(nothing).count("<li>") == 9
    assert not Assessment.objects.exists()
    assert QuestionnaireRequest.objects.get().completed_at is None


def test_item9_above_zero_shows_crisis_resources_first_and_says_the_provider_was_told(client):
    person, provider = in_care()
    path = link(send(person, provider))
    response = client.post(path, answers("phq9", phq9(16, item9=1), difficulty=2), follow=True)
    page = response.content.decode()
    main = page[page.index('<main id="main"'):]
    assert main.index("You deserve support right now") < main.index("Your score is")
    assert 'href="tel:988"' in main and 'href="sms:741741?&amp;body=HOME"' in main and 'href="tel:911"' in main
    assert "We have let your provider know, and a carematch coordinator" in main
    assert "moderately severe symptoms of depression" in main
    assert 'href="/progress/"' in main
    alert = Alert.objects.get()
    assert (alert.kind, alert.provider, alert.client) == ("suicidal_ideation", provider, person)


def test_the_result_says_how_the_score_has_changed_since_the_first(client):
    person, provider = in_care()
    record(person, "phq9", phq9(19), now=timezone.now() - dt.timedelta(days=30))
    client.post(link(send(person, provider)), answers("phq9", phq9(8)))
    page = client.get("/questionnaires/result/").content.decode()
    assert "That is 11 points lower than your first PHQ-9 (19)." in page
    assert "That is a reliable improvement" in page
    assert "Your score is now half or less of what it was when you started." in page
    assert "You deserve support right now" not in page


def test_a_signed_in_client_answers_from_their_account(client):
    person, provider = in_care()
    request = send(person, provider, ("phq9", "gad7"))
    client.force_login(person.user)
    listing = client.get("/questionnaires/").content.decode()
    assert f'href="/questionnaires/{request.pk}/"' in listing and "PHQ-9 and GAD-7" in listing
    response = client.post(f"/questionnaires/{request.pk}/", answers("phq9", phq9(3)) | answers("gad7", gad7(11)))
    assert response.status_code == 302
    assert sorted(Assessment.objects.values_list("instrument", "total", "entered_by")) == [
        ("gad7", 11, person.user.pk), ("phq9", 3, person.user.pk),
    ]
    assert client.get(f"/questionnaires/{request.pk}/").status_code == 410


def test_another_clients_request_is_not_found_from_an_account_and_staff_have_no_client_page(client):
    person, provider = in_care()
    request = send(person, provider)
    client.force_login(ClientFactory().user)
    assert client.get(f"/questionnaires/{request.pk}/").status_code == 404
    client.force_login(coordinator())
    assert client.get("/questionnaires/").status_code == 403  # a page for clients


def test_an_expired_or_unknown_link_says_so_calmly(client):
    person, provider = in_care()
    request = send(person, provider)
    an_hour_ago = timezone.now() - dt.timedelta(hours=1)
    QuestionnaireRequest.objects.filter(pk=request.pk).update(created_at=an_hour_ago - dt.timedelta(days=7),
                                                              expires_at=an_hour_ago)
    expired = client.get(link(request))
    assert expired.status_code == 410 and b"This link has expired" in expired.content
    unknown = client.get("/questionnaires/link/q_" + "A" * 43 + "/")
    assert unknown.status_code == 404 and b"This link does not work" in unknown.content
    assert client.post("/questionnaires/link/q_" + "A" * 43 + "/", answers("phq9", phq9(1))).status_code == 404
    assert not Assessment.objects.exists()


def test_a_session_is_rated_after_it_ended_and_a_low_rating_alerts_the_coordinators_only(client):
    person, provider = in_care()
    past = appointment(provider, person, start=timezone.now() - dt.timedelta(hours=2))
    client.force_login(person.user)
    assert f'/questionnaires/sessions/{past.pk}/' in client.get("/questionnaires/").content.decode()
    page = client.get(f"/questionnaires/sessions/{past.pk}/").content.decode()
    assert "<legend>How well did this session work for you?</legend>" in page and page.count('type="radio"') == 11
    blank = client.post(f"/questionnaires/sessions/{past.pk}/", {})
    assert "Choose a number from 0 to 10." in blank.content.decode()
    assert client.post(f"/questionnaires/sessions/{past.pk}/", {"score": "5"}).status_code == 302
    alert = Alert.objects.get()
    assert (alert.kind, alert.session_rating.score, alert.provider) == ("low_session_rating", 5, provider)
    assert b"already told us" in client.get(f"/questionnaires/sessions/{past.pk}/").content
    upcoming = appointment(provider, person, start=timezone.now() + dt.timedelta(days=2))
    assert b"once the session has ended" in client.get(f"/questionnaires/sessions/{upcoming.pk}/").content
    client.force_login(provider_user().user)
    assert client.get(f"/questionnaires/sessions/{past.pk}/").status_code == 403  # a page for clients
    client.force_login(ClientFactory().user)
    assert client.get(f"/questionnaires/sessions/{past.pk}/").status_code == 404  # another client's session


def test_a_client_who_has_not_booked_yet_is_told_what_will_be_there_in_their_language(client):
    """The account page links every client to their questionnaires: before a first booking
    (no care record yet) the page says what will be there, not 'not found'."""
    from carematch.accounts.models import Role
    from carematch.accounts.tests.factories import UserFactory

    client.force_login(UserFactory(role=Role.CLIENT))
    page = client.get("/questionnaires/")
    assert page.status_code == 200
    words = page.content.decode()
    assert "will be here once you have booked a first session" in words and 'href="/find/"' in words
    spanish = client.get("/questionnaires/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "aparecerán aquí cuando haya reservado una primera sesión" in spanish
    assert not QuestionnaireRequest.objects.exists() and not Assessment.objects.exists()
