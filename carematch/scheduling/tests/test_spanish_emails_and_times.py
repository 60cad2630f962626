"""The journey in Spanish outside a page: times in Spanish forms (across a daylight saving
change), and the appointment emails and calendar text in the recipient's account language,
whatever language the sender's page or task is in."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import translation
from icalendar import Calendar

from carematch.lib.crisis import CRISIS_LINE, crisis_line, crisis_resources
from carematch.lib.language import speaking
from carematch.lib.timezones import clock_label, day_label, moment_label, when_label, zone
from carematch.scheduling import emails, services
from carematch.scheduling.reminders import reminder_promise

from .test_emails import BOOKED_ON, MONDAY_9_DENVER, book, people

UTC = dt.UTC
THU_3_DEC_5PM_DENVER = dt.datetime(2026, 12, 4, 0, 0, tzinfo=UTC)  # Thu 3 Dec 2026, 17:00 MST


def test_a_moment_reads_the_same_in_english_and_in_spanish_forms_in_spanish():
    moment = THU_3_DEC_5PM_DENVER.astimezone(zone("America/Denver"))
    today = dt.date(2026, 12, 1)
    with translation.override("en"):
        assert moment_label(moment, today=today) == "Thu 3 Dec, 5:00 PM MST"
        assert moment_label(moment, today=dt.date(2025, 1, 1)) == "Thu 3 Dec 2026, 5:00 PM MST"
    with translation.override("es"):
        assert moment_label(moment, today=today) == "jue 3 dic, 5:00 p. m. MST"
        assert moment_label(moment, today=dt.date(2025, 1, 1)) == "jue 3 dic 2026, 5:00 p. m. MST"
        assert clock_label(moment.replace(hour=9)) == "9:00 a. m. MST"


def test_spanish_times_follow_the_clock_across_the_daylight_saving_change():
    # 14 March 2027: the US clocks go forward; the same UTC hour reads an hour later after it.
    before = dt.datetime(2027, 3, 13, 16, 0, tzinfo=UTC)
    after = dt.datetime(2027, 3, 15, 16, 0, tzinfo=UTC)
    with translation.override("es"):
        assert when_label(before, "America/Denver", today=dt.date(2027, 3, 1)) == "sáb 13 mar, 9:00 a. m. MST"
        assert when_label(after, "America/Denver", today=dt.date(2027, 3, 1)) == "lun 15 mar, 10:00 a. m. MDT"
        assert day_label(after.astimezone(zone("America/New_York")), today=dt.date(2027, 3, 1)) == "lun 15 mar"
    with translation.override("en"):
        assert when_label(after, "America/Denver", today=dt.date(2027, 3, 1)) == "Mon 15 Mar, 10:00 AM MDT"


def test_the_crisis_line_in_spanish_says_press_2_and_ayuda_and_english_is_unchanged():
    with translation.override("en"):
        assert crisis_line() == CRISIS_LINE
        assert crisis_resources()[0]["how"] == "Call or text 988"
    with translation.override("es"):
        line = crisis_line()
        assert "988" in line and "marque 2" in line and "AYUDA" in line and "911" in line
        resources = crisis_resources()
        assert [r["contact"] for r in resources] == ["tel:988", "sms:741741", "tel:911"]
        assert "marque 2" in resources[0]["how"] and "AYUDA" in resources[0]["how"]


def test_reminders_are_promised_in_the_readers_language():
    start = MONDAY_9_DENVER
    with translation.override("es"):
        said = reminder_promise(start=start, due=start - dt.timedelta(hours=24))
    assert said == "Se lo recordaremos el día anterior y una hora antes."


@pytest.mark.django_db
@pytest.mark.time_machine(BOOKED_ON, tick=True)
def test_each_party_gets_the_journey_emails_in_their_own_account_language(django_capture_on_commit_callbacks):
    provider, client = people()
    client.user.language = "es"
    client.user.save(update_fields=["language"])
    appointment = book(provider, client)
    with translation.override("en"):  # whatever the sender speaks, each reader gets their own
        messages = {m.to[0]: m for m in emails.appointment_messages(kind="booked", appointment=appointment)}
    to_client, to_provider = messages["sam@example.test"], messages["robin@example.test"]
    assert to_client.subject == "Su sesión está reservada"
    assert "Hola, Sam:" in to_client.body
    assert "Su sesión con Robin Birch, LPC está reservada." in to_client.body
    assert "Cuándo:  lun 15 mar, 11:00 a. m. EDT" in to_client.body
    assert to_client.body.rstrip().endswith(crisis_line_in("es"))
    assert "marque 2" in to_client.body and "AYUDA" in to_client.body
    assert to_provider.subject == "New session booked"
    assert to_provider.body.rstrip().endswith(CRISIS_LINE)
    event = next(c for c in Calendar.from_ical(to_client.attachments[0][1]).walk() if c.name == "VEVENT")
    assert str(event["summary"]).startswith("Sesión de terapia con Robin Birch, LPC, lun 15 mar")
    assert "reservada a través de carematch" in str(event["description"])

    for kind, subject, words in (
        ("reminder", "Recordatorio: se acerca su sesión", "Un recordatorio: se acerca su sesión con Robin Birch, LPC."),
        ("rescheduled", "Su sesión tiene una nueva hora", "Su sesión con Robin Birch, LPC tiene una nueva hora."),
    ):
        found = emails.render_email(kind=kind, appointment=appointment, recipient=emails.recipients(appointment)[0])
        assert found[0] == subject and words in found[1], kind

    with django_capture_on_commit_callbacks(execute=True):
        services.appointment_cancel(appointment=appointment, by=provider.user, now=BOOKED_ON)
    appointment.refresh_from_db()
    cancelled = emails.render_email(kind="cancelled", appointment=appointment,
                                    recipient=emails.recipients(appointment)[0])
    assert cancelled[0] == "Su sesión está cancelada"
    assert "Su profesional canceló su sesión con Robin Birch, LPC del lun 15 mar, 11:00 a. m. EDT." in cancelled[1]


@pytest.mark.django_db
@pytest.mark.time_machine(BOOKED_ON, tick=True)
def test_the_no_show_note_comes_in_spanish_to_a_spanish_account():
    provider, client = people()
    client.user.language = "es"
    client.user.save(update_fields=["language"])
    appointment = book(provider, client)
    mail.outbox.clear()
    assert emails.no_show_note_send(appointment=appointment)
    (note,) = mail.outbox
    assert note.subject == "Hoy le extrañamos"
    assert "Le extrañamos en su sesión con Robin Birch" in note.body
    assert "marque 2" in note.body


def crisis_line_in(language: str) -> str:
    with speaking(language):
        return crisis_line()
