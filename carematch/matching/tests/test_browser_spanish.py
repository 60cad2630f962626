"""carematch in Spanish, in a real browser whose language is Spanish (locale es-US,
Accept-Language es): from the home page through the intake to a booking (signing up on
the way), the booking's emails in Spanish, then a PHQ-9 with item 9 above 0 from the
confirmation's link, with the crisis lines first and in Spanish. Every page declares
lang="es" and axe-core finds no serious violation on it. Then the language switch, used
from the keyboard on a phone-sized screen, goes back to English."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from carematch.accounts.models import User
from carematch.directory.tests.factories import LicenseFactory, ProviderFactory, WindowFactory
from carematch.measures.instruments import PHQ9
from carematch.measures.models import Alert
from carematch.measures.tests.factories import run_due_tasks
from carematch.scheduling.models import Appointment, Status
from carematch.tests.axe import assert_no_serious_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONFIRM_LINK = re.compile(r"http://127\.0\.0\.1:8000(/accounts/signup/confirm/\S+/)")
QUESTIONNAIRE_LINK = re.compile(r"http://127\.0\.0\.1:8000(/questionnaires/link/q_[A-Za-z0-9_-]{43}/)")


@pytest.fixture
def spanish_page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url,
                                   locale="es-US", extra_http_headers={"Accept-Language": "es-US,es;q=0.9"})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def spanish_phone(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                   has_touch=True, base_url=live_server.url, locale="es-US",
                                   extra_http_headers={"Accept-Language": "es-US,es;q=0.9"})
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


def in_spanish(page, name: str) -> None:
    """The page declares Spanish, shows the Spanish crisis lines before anything else, and
    passes axe-core."""
    expect(page.locator("html")).to_have_attribute("lang", "es")
    banner = page.get_by_role("complementary", name="Ayuda en una crisis")
    expect(banner).to_contain_text("marque 2 para hablar en español")
    expect(banner).to_contain_text("AYUDA al 988")
    first = page.evaluate("""() => {
        const crisis = document.querySelector('aside.crisis');
        const others = [...document.querySelectorAll('header, main, footer')];
        return others.every(el => crisis.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
    }""")
    assert first, f"the crisis lines are not first on {name}"
    assert_no_serious_axe_violations(page, name)


def spanish_speaking_therapist():
    provider = ProviderFactory(first_name="Lucía", last_name="Reyes", concerns=["anxiety"], languages=["es", "en"],
                               formats=["telehealth"], min_notice_hours=0, timezone="America/Denver")
    LicenseFactory(provider=provider, state="CO", expires=dt.date(2099, 1, 1))
    for day in range(7):
        WindowFactory(provider=provider, weekday=day, start=dt.time(0), end=dt.time(23))
    return provider


def test_a_spanish_speaker_finds_books_and_answers_a_phq9_in_spanish(spanish_page):
    page = spanish_page
    spanish_speaking_therapist()
    ProviderFactory(first_name="Ed", last_name="Only", concerns=["anxiety"], languages=["en"],
                    formats=["telehealth"], min_notice_hours=0)

    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Encuentre un terapeuta adecuado para usted, y véalo en un plazo de 48 horas.")
    in_spanish(page, "the home page")
    page.get_by_role("main").get_by_role("link", name="Encontrar un terapeuta").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Primero, su seguridad")
    in_spanish(page, "the safety step")
    page.get_by_label("No", exact=True).check()
    page.get_by_role("button", name="Continuar").click()

    in_spanish(page, "the help step")
    page.get_by_label("Ansiedad").check()
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("En línea (por video)").check()
    in_spanish(page, "the meeting step")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("¿En qué estado estará durante las sesiones?").select_option("CO")
    page.get_by_label("Su código postal (opcional)").fill("80202")
    in_spanish(page, "the place step")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Su fecha de nacimiento").fill("1990-05-17")
    page.get_by_role("button", name="Continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Idioma y preferencias")
    expect(page.get_by_label("Español")).to_be_checked()  # a Spanish page starts at Spanish
    expect(page.get_by_label("Inglés")).not_to_be_checked()
    in_spanish(page, "the preferences step")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("¿Cómo va a pagar?").select_option("self_pay")
    in_spanish(page, "the payment step")
    page.get_by_role("button", name="Continuar").click()
    in_spanish(page, "the times step")
    page.get_by_role("button", name="Ver quién es adecuado para usted").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Terapeutas que pueden atenderle pronto")
    expect(page.get_by_role("heading", name="Lucía Reyes", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name="Ed Only", exact=True)).to_have_count(0)  # speaks no Spanish
    expect(page.locator(".match-card .reasons, .shared-line").first).to_contain_text("español")
    expect(page.locator("a.opening-link time").first).to_have_text(re.compile(r"^[a-zé]{3} \d+ [a-z]{3}, "
                                                                              r"\d+:\d\d [ap]\. m\. M[SD]T$"))
    in_spanish(page, "the results")
    page.locator("a.opening-link").first.click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Reservar una primera sesión con Lucía Reyes")
    in_spanish(page, "the booking page")
    page.get_by_role("button", name="Apartar esta hora y continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Termine de reservar su sesión")
    in_spanish(page, "the hold page")
    page.get_by_label("Correo electrónico", exact=True).fill("ana@example.test")
    page.get_by_label("Elija una contraseña").fill("un-paseo-largo-y-tranquilo")
    page.get_by_label("Repita la contraseña").fill("un-paseo-largo-y-tranquilo")
    page.get_by_label("Nombre", exact=True).fill("Ana")
    page.get_by_label("Apellido").fill("Lopez")
    page.get_by_role("button", name="Reservar esta sesión").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.goto(CONFIRM_LINK.search(mail.outbox[-1].body).group(1))
    expect(page.locator("html")).to_have_attribute("lang", "es")
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Termine de reservar su sesión")
    page.get_by_role("button", name="Reservar esta sesión").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Su reserva está hecha")
    expect(page.get_by_role("link", name="Agregar a su calendario (.ics)")).to_be_visible()
    in_spanish(page, "the session page")
    appointment = Appointment.objects.get()
    assert appointment.status == Status.BOOKED
    assert User.objects.get(email="ana@example.test").language == "es"

    mail.outbox.clear()
    run_due_tasks()
    to_ana = [m for m in mail.outbox if m.to == ["ana@example.test"]]
    booked = next(m for m in to_ana if m.subject == "Su sesión está reservada")
    assert booked.body.startswith("Hola, Ana:")
    assert "Su sesión con Lucía Reyes" in booked.body and "Cuándo:" in booked.body
    assert "marque 2" in booked.body and "AYUDA" in booked.body
    assert re.search(r"\d+:\d\d [ap]\. m\. M[SD]T", booked.body)
    link = QUESTIONNAIRE_LINK.search(booked.body)
    assert link, booked.body

    page.goto(link.group(1))
    expect(page.get_by_role("heading", level=1)).to_have_text("Cómo se ha sentido")
    expect(page.get_by_text("Estos cuestionarios están en inglés.")).to_be_visible()
    in_spanish(page, "the questionnaire")
    for item, value in zip(PHQ9.items, [2, 2, 1, 2, 1, 2, 1, 0, 1], strict=True):
        group = page.get_by_role("group", name=f"{item.number}. {item.text}")
        group.get_by_label(["Not at all", "Several days", "More than half the days", "Nearly every day"][value],
                           exact=True).check()
    # Any other question on the page (the difficulty question, a GAD-7 asked with it): the gentlest answer.
    for group in page.locator("fieldset").all():
        if not group.locator("input:checked").count():
            difficulty = "difficult" in group.locator("legend").inner_text()
            group.get_by_label("Somewhat difficult" if difficulty else "Not at all", exact=True).check()
    page.get_by_role("button", name="Enviar mis respuestas").click()

    headings = page.locator("main h1, main h2, main h3")
    expect(headings.first).to_have_text("Usted merece apoyo ahora mismo")
    expect(page.get_by_role("link", name="Llame al 988 y marque 2")).to_be_visible()
    expect(page.get_by_role("link", name="envíe AYUDA al 988")).to_have_attribute("href", "sms:988?&body=AYUDA")
    expect(page.get_by_role("link", name="Llame al 911")).to_be_visible()
    expect(page.get_by_text("Su puntuación es 12 de 27.")).to_be_visible()
    in_spanish(page, "the questionnaire result")
    assert Alert.objects.get().kind == "suicidal_ideation"


def test_the_switch_goes_back_to_english_from_the_keyboard_at_phone_width(spanish_phone):
    page = spanish_phone
    page.goto("/find/?paso=1")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    switch = page.get_by_role("button", name="English")
    expect(switch).to_have_attribute("lang", "en")
    box = switch.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 24
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    in_spanish(page, "the safety step at phone width")
    for _ in range(60):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "English":
            break
    else:
        pytest.fail("the language switch is not reachable with the Tab key")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/find/\?paso=1$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("First, your safety")
    expect(page.get_by_role("complementary", name="Help in a crisis")).to_contain_text(
        "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911.")
    expect(page.get_by_role("button", name="Español")).to_have_attribute("lang", "es")
    assert_no_serious_axe_violations(page, "the safety step in English at phone width")
