"""The intake: safety first, one topic a step, answers kept when going back and forth."""

from __future__ import annotations

import re

import pytest

from carematch.scheduling.models import CareRequest, CrisisRequest

pytestmark = pytest.mark.django_db

CRISIS = "If you are in crisis, call or text"


def walk(client, steps):
    """Answer steps in order; returns the last response."""
    response = None
    for slug, data in steps:
        response = client.post(f"/find/{slug}/", data)
        assert response.status_code == 302, (slug, response.context and response.context["form"].errors)
    return response


def test_the_first_question_is_about_safety_and_the_progress_is_shown(client):
    html = client.get("/find/").content.decode()
    assert "Step 1 of 8" in html
    assert "Are you in danger right now" in html
    assert html.index(CRISIS) < html.index("Are you in danger right now")


def test_someone_in_danger_sees_how_to_reach_help_first_and_is_flagged_for_a_coordinator(client):
    response = client.post("/find/safety/", {"in_danger": "yes"})
    assert response["Location"] == "/find/help-now/"
    html = client.get("/find/help-now/").content.decode()
    main = html[html.index("<main"):]
    assert main.index("Call 988") < main.index("Text HOME to 741741") < main.index("Call 911")
    assert main.index("Call 911") < main.index("Continue to find a therapist")
    flagged = CareRequest.objects.get()
    assert flagged.crisis and flagged.client is None
    client.get("/find/help-now/")
    assert CareRequest.objects.count() == 1  # one flag per intake, not per page view

    sent = client.post("/find/help-now/", {"name": "Ash", "phone": "(303) 555-0142", "email": "", "state": "CO"},
                       follow=True)
    assert "We have your request" in sent.content.decode()
    asked = CrisisRequest.objects.get()
    assert (asked.name, asked.phone, asked.state, asked.care_request_id) == ("Ash", "+13035550142", "CO", flagged.pk)


def test_asking_to_be_contacted_needs_a_way_to_reach_you(client):
    client.post("/find/safety/", {"in_danger": "yes"})
    page = client.post("/find/help-now/", {"name": "Ash", "phone": "", "email": "", "state": "CO"})
    assert "Give a phone number (or an email address)" in page.content.decode()
    bad = client.post("/find/help-now/", {"phone": "12", "email": "", "state": "CO"})
    assert "Not a phone number we can call." in bad.content.decode()
    assert not CrisisRequest.objects.exists()


def test_matching_is_offered_after_help_never_instead(client):
    client.post("/find/safety/", {"in_danger": "yes"})
    html = client.get("/find/help-now/").content.decode()
    assert 'href="/find/help/"' in html
    assert client.get("/find/help/").status_code == 200


def test_answers_survive_going_back_and_forward(client):
    walk(client, [("safety", {"in_danger": "no"}), ("help", {"concerns": ["anxiety", "grief"]}),
                  ("meeting", {"format": "in_person", "max_distance_miles": "10"})])
    back = client.get("/find/help/").content.decode()
    boxes = {re.search(r'value="(\w+)"', tag).group(1): "checked" in tag
             for tag in re.findall(r'<input type="checkbox" name="concerns"[^>]*>', back)}
    assert {slug for slug, ticked in boxes.items() if ticked} == {"anxiety", "grief"}
    meeting = client.get("/find/meeting/")
    assert meeting.context["form"].initial == {"format": "in_person", "max_distance_miles": "10"}


def test_each_step_names_what_is_missing(client):
    assert "Please choose yes or no." in client.post("/find/safety/", {}).content.decode()
    assert "Choose at least one" in client.post("/find/help/", {}).content.decode()
    walk(client, [("meeting", {"format": "in_person", "max_distance_miles": "25"})])
    place = client.post("/find/place/", {"state": "CO", "zip": ""}).content.decode()
    assert "We need your ZIP code to find therapists you can meet in person." in place
    unknown_zip = client.post("/find/place/", {"state": "CO", "zip": "00000"}).content.decode()
    assert "is not a US ZIP code we know" in unknown_zip
    future = client.post("/find/about/", {"date_of_birth": "2999-01-01"}).content.decode()
    assert "That date is in the future." in future


def test_online_only_does_not_ask_for_a_zip(client):
    walk(client, [("meeting", {"format": "telehealth", "max_distance_miles": "25"})])
    assert client.post("/find/place/", {"state": "WY", "zip": ""}).status_code == 302


def test_results_send_back_to_the_first_unanswered_step(client):
    walk(client, [("safety", {"in_danger": "no"}), ("help", {"concerns": ["anxiety"]})])
    assert client.get("/find/results/")["Location"] == "/find/meeting/"


def test_an_unknown_step_is_404(client):
    assert client.get("/find/nonsense/").status_code == 404


def test_answers_that_no_longer_fit_the_rules_are_asked_again_not_a_failure(client):
    session = client.session
    session["carematch_intake"] = {
        "in_danger": "no", "concerns": ["no_longer_a_concern"], "format": "telehealth", "max_distance_miles": "25",
        "state": "CO", "zip": "", "date_of_birth": "1990-01-01", "languages": ["en"], "payment": "self_pay",
    }
    session.save()
    response = client.get("/find/results/", follow=True)
    assert response.redirect_chain[-1][0] == "/find/help/"
    assert "Please check your answers." in response.content.decode()
