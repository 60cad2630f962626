"""A free 15-minute call on the results, the compare page and the booking pages: shown with
its soonest times when the provider offers one, and booked in one step."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from django.core import mail
from django.test import override_settings

from carematch.scheduling.models import Appointment, Status

from .test_results_page import cards_of, text, therapist, with_answers

pytestmark = pytest.mark.django_db


def call_links(block: str) -> list[str]:
    return [html_lib.unescape(href) for href in re.findall(r'href="([^"]*kind=consultation[^"]*)"', block)]


def test_a_card_shows_a_free_call_with_its_soonest_times_only_when_the_provider_offers_one(client):
    therapist("Robin", offers_consultations=True, consultation_formats=["phone", "telehealth"])
    therapist("Kai")
    with_answers(client)
    cards = cards_of(client.get("/find/results/").content.decode())
    robin, kai = cards["Robin Example"], cards["Kai Example"]
    assert "Free 15-minute call" in text(robin) and "by phone or by video" in text(robin)
    assert len(call_links(robin)) == 3
    assert "Free 15-minute call" not in text(kai) and call_links(kai) == []


def test_the_compare_page_says_who_offers_a_free_call(client):
    robin = therapist("Robin", offers_consultations=True, consultation_formats=["phone"])
    kai = therapist("Kai")
    with_answers(client)
    page = client.get(f"/find/compare/?p={robin.pk}&p={kai.pk}").content.decode()
    row = re.search(r'<th scope="row">Free 15-minute call</th>(.*?)</tr>', page, re.S).group(1)
    assert "By phone" in row and "Not offered" in row and len(call_links(row)) == 3


def test_a_person_books_a_free_call_from_the_results_in_one_step_and_the_session_page_says_so(client):
    robin = therapist("Robin", offers_consultations=True, consultation_formats=["phone"])
    with_answers(client)
    link = call_links(cards_of(client.get("/find/results/").content.decode())["Robin Example"])[0]
    page = client.get(link)
    assert page.status_code == 200
    body = text(page.content.decode())
    assert "Book a free 15-minute call with Robin Example" in body and "for 15 minutes" in body
    assert "How you will meet: By phone" in body
    start = re.search(r'name="start" value="([^"]+)"', page.content.decode()).group(1)
    held = client.post(link, {"start": html_lib.unescape(start), "kind": "consultation", "format": "phone"})
    assert held.status_code == 302, text(held.content.decode())[:500]
    hold = Appointment.objects.get()
    assert (hold.kind, hold.format, hold.status, hold.minutes) == ("consultation", "phone", Status.HELD, 15)
    finish = client.get(held["Location"]).content.decode()
    assert "Finish booking your free 15-minute consultation" in text(finish)
    finish_url = held["Location"]
    sent = client.post(finish_url, {"email": "ada@example.test", "password1": "walking-by-the-river",
                                    "password2": "walking-by-the-river", "first_name": "Ada", "last_name": "Doe"})
    assert "Check your email" in text(sent.content.decode())
    confirm = re.search(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)", mail.outbox[-1].body).group(1)
    assert client.post(confirm)["Location"] == finish_url
    booked = client.post(finish_url)
    assert booked.status_code == 302 and "/sessions/" in booked["Location"]
    appointment = Appointment.objects.get()
    assert (appointment.kind, appointment.status, appointment.format) == ("consultation", Status.BOOKED, "phone")
    session_page = text(client.get(booked["Location"]).content.decode())
    assert "Free 15-minute consultation by phone" in session_page and "15 minutes" in session_page
    assert robin.pk == Appointment.objects.get().provider_id


def test_a_signed_in_client_books_a_free_call_and_the_email_says_so(client, django_capture_on_commit_callbacks):
    from carematch.scheduling.tests.factories import ClientFactory

    robin = therapist("Robin", offers_consultations=True, consultation_formats=["phone", "telehealth"])
    person = ClientFactory()
    client.force_login(person.user)
    with_answers(client)
    link = call_links(cards_of(client.get("/find/results/").content.decode())["Robin Example"])[0]
    start = re.search(r'name="start" value="([^"]+)"', client.get(link).content.decode()).group(1)
    held = client.post(link, {"start": html_lib.unescape(start), "kind": "consultation", "format": "telehealth"})
    assert held.status_code == 302
    immediate = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with override_settings(TASKS=immediate), django_capture_on_commit_callbacks(execute=True):
        booked = client.post(held["Location"])
    assert booked.status_code == 302 and "/sessions/" in booked["Location"]
    appointment = Appointment.objects.get(provider=robin)
    assert (appointment.kind, appointment.status, appointment.client_id) == ("consultation", Status.BOOKED, person.pk)
    page = text(client.get(booked["Location"]).content.decode())
    assert "Your free 15-minute consultation" in client.get(booked["Location"]).content.decode()
    assert "Free 15-minute consultation by video" in page and "Length 15 minutes" in page
    subjects = [message.subject for message in mail.outbox]
    assert "Your free 15-minute consultation is booked" in subjects
    body = next(m.body for m in mail.outbox if m.subject == "Your free 15-minute consultation is booked")
    assert "Free 15-minute consultation (no charge)" in body


def test_a_link_with_an_unknown_kind_books_nothing_and_says_so(client):
    robin = therapist("Robin", offers_consultations=True, consultation_formats=["phone"])
    response = client.get(f"/book/{robin.pk}/?start=2030-01-07T16:00:00%2B00:00&kind=coffee")
    assert response.status_code == 400
    assert "does not name a time we can book" in text(response.content.decode())
