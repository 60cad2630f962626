"""carematch in Spanish, on the client's journey: the language switch on every page, the
crisis lines first and in Spanish, the intake (its questions, errors and the language
preference it starts with), the crisis check of the intake's note in every language with a
phrase list, and the reasons of a match in Spanish."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import translation

from carematch.lib.language import speaking
from carematch.matching import intake
from carematch.matching.engine.reasons import shared_sentence, split_reasons, write_facts
from carematch.matching.engine.types import MatchRequest
from carematch.messaging import safety
from carematch.scheduling.models import CareRequest

pytestmark = pytest.mark.django_db

ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
STEPS_BEFORE_PREFERENCES = [
    ("safety", {"in_danger": "no"}), ("help", {"concerns": ["anxiety"]}),
    ("meeting", {"format": "telehealth", "max_distance_miles": "25"}), ("place", {"state": "CO", "zip": ""}),
    ("about", {"date_of_birth": "1990-01-01"}),
]


def walk(client, steps, **headers):
    for slug, data in steps:
        response = client.post(f"/find/{slug}/", data, **headers)
        assert response.status_code == 302, (slug, response.context and response.context["form"].errors)


def main_of(html: str) -> str:
    return html[html.index("<main"):]


def test_a_spanish_browser_gets_the_home_page_in_spanish_with_the_crisis_lines_first(client):
    html = client.get("/", **ES).content.decode()
    assert '<html lang="es">' in html
    assert "Encuentre un terapeuta adecuado para usted, y véalo en un plazo de 48 horas." in html
    banner = html[html.index('<aside class="crisis"'):html.index("</aside>")]
    assert 'aria-label="Ayuda en una crisis"' in banner
    assert 'href="tel:988"' in banner and "marque 2 para hablar en español" in banner
    assert 'href="sms:988?&amp;body=AYUDA"' in banner and "AYUDA al 988" in banner
    assert 'href="tel:911"' in banner
    # Before anything else a person reads: the first thing after the skip link.
    assert html.index("marque 2") < html.index('<header class="site-header"') < html.index("<main")


def test_english_pages_are_unchanged_and_offer_spanish_by_its_own_name(client):
    html = client.get("/find/?x=1").content.decode()
    assert '<html lang="en">' in html
    assert "If you are in crisis, call or text <a href=\"tel:988\">988</a> (Suicide &amp; Crisis Lifeline)" in html
    switch = re.search(r'<form method="post" action="/language/"[^>]*>(.*?)</form>', html, re.S).group(1)
    assert 'name="csrfmiddlewaretoken"' in switch
    assert '<input type="hidden" name="next" value="/find/?x=1">' in switch
    assert '<input type="hidden" name="language" value="es">' in switch
    assert '<button type="submit" class="link-button" lang="es">Español</button>' in switch


def test_the_switch_goes_to_spanish_and_back_on_the_same_page_without_javascript(client):
    response = client.post("/language/", {"language": "es", "next": "/find/?x=1"})
    assert response.status_code == 302 and response["Location"] == "/find/?x=1"
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "es"
    html = client.get("/find/?x=1").content.decode()
    assert '<html lang="es">' in html and "Primero, su seguridad" in html
    assert '<button type="submit" class="link-button" lang="en">English</button>' in html
    client.post("/language/", {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/").content.decode()


def test_every_intake_step_asks_in_spanish_and_says_what_is_missing_in_spanish(client):
    first = client.get("/find/", **ES).content.decode()
    assert "Paso 1 de 8" in first
    assert "¿Está en peligro ahora mismo" in first
    assert main_of(first).index("¿Está en peligro") > 0
    assert "Por favor, elija sí o no." in client.post("/find/safety/", {}, **ES).content.decode()
    help_step = client.post("/find/help/", {}, **ES).content.decode()
    assert "Hay un problema" in help_step and "Elija al menos una" in help_step
    assert ">Ansiedad<" in help_step or "<span>Ansiedad</span>" in help_step
    assert "Terapia cognitivo-conductual (TCC)" in help_step
    walk(client, [("meeting", {"format": "in_person", "max_distance_miles": "25"})], **ES)
    place = client.post("/find/place/", {"state": "CO", "zip": "00000"}, **ES).content.decode()
    assert "no es un código postal de EE. UU. que conozcamos" in place
    other = client.post("/find/place/", {"state": "NY", "zip": "80202"}, **ES).content.decode()
    assert "El código postal 80202 está en Colorado; usted eligió New York. Revise el código postal" in other
    future = client.post("/find/about/", {"date_of_birth": "2999-01-01"}, **ES).content.decode()
    assert "Esa fecha está en el futuro." in future


def test_a_spanish_page_starts_the_language_preference_at_spanish(client):
    walk(client, STEPS_BEFORE_PREFERENCES, **ES)
    page = client.get("/find/preferences/", **ES)
    assert page.context["form"].initial["languages"] == ["es"]
    html = page.content.decode()
    ticked = re.search(r'<input type="checkbox" name="languages" value="es"[^>]*>', html).group(0)
    assert "checked" in ticked and "<span>Español</span>" in html
    assert client.post("/find/preferences/", {"languages": ["es"]}, **ES).status_code == 302
    answers = client.session[intake.SESSION_KEY]
    assert answers["languages"] == ["es"]
    assert intake.match_request(answers, now=dt.datetime(2027, 1, 4, tzinfo=dt.UTC)).languages == ("es",)


def test_an_english_page_still_starts_it_at_english_and_the_persons_choice_is_kept(client):
    walk(client, STEPS_BEFORE_PREFERENCES)
    assert client.get("/find/preferences/").context["form"].initial["languages"] == ["en"]
    walk(client, [("preferences", {"languages": ["en", "vi"]})], **ES)
    assert client.get("/find/preferences/", **ES).context["form"].initial["languages"] == ["en", "vi"]
    assert intake.default_languages("es") == ["es"] and intake.default_languages("en") == ["en"]
    assert intake.default_languages(None) == ["en"]


def test_words_of_danger_in_the_intake_note_show_how_to_reach_help_first_once(client):
    walk(client, [("safety", {"in_danger": "no"})], **ES)
    response = client.post("/find/help/", {"concerns": ["anxiety"], "note_for_therapist": "Some days I want to die."},
                           **ES)
    assert response["Location"] == "/find/help-now/"
    html = client.get("/find/help-now/", **ES).content.decode()
    main = main_of(html)
    assert main.index("Llame al 988 y marque 2") < main.index("Envíe AYUDA al 741741") < main.index("Llame al 911")
    assert main.index("Llame al 911") < main.index("Continuar para encontrar un terapeuta")
    assert CareRequest.objects.get().crisis
    # Once shown, the person goes on where they were.
    again = client.post("/find/help/", {"concerns": ["anxiety"], "note_for_therapist": "Some days I want to die."},
                        **ES)
    assert again["Location"] == "/find/meeting/"


def test_the_intake_note_is_checked_against_every_language_list(client, monkeypatch, tmp_path):
    # A Spanish list is read like the English one: every file in the phrases folder counts.
    (tmp_path / "en.txt").write_text((safety.PHRASES_DIR / "en.txt").read_text(encoding="utf-8"), encoding="utf-8")
    spanish = safety.PHRASES_DIR / "es.txt"
    if spanish.exists():
        (tmp_path / "es.txt").write_text(spanish.read_text(encoding="utf-8"), encoding="utf-8")
    with (tmp_path / "es.txt").open("a", encoding="utf-8") as lists:
        lists.write("\nfrase de prueba de crisis\n")
    real = safety.phrase_lists.__wrapped__
    monkeypatch.setattr(safety, "phrase_lists", lambda: real(tmp_path))
    walk(client, [("safety", {"in_danger": "no"})], **ES)
    response = client.post("/find/help/", {"concerns": ["anxiety"],
                                           "note_for_therapist": "Hoy tengo una FRASE de prueba de crisis."}, **ES)
    assert response["Location"] == "/find/help-now/"
    calm = client.post("/find/help/", {"concerns": ["anxiety"], "note_for_therapist": "Duermo mal."})
    assert calm["Location"] == "/find/meeting/"


def test_a_note_without_words_of_danger_goes_straight_on(client):
    walk(client, [("safety", {"in_danger": "no"})])
    response = client.post("/find/help/", {"concerns": ["sleep"], "note_for_therapist": "I sleep badly."})
    assert response["Location"] == "/find/meeting/"
    assert client.get("/find/help-now/")["Location"] == "/find/safety/"


def _facts(languages=("es",)):
    request = MatchRequest(
        state="CO", zip=None, age=30, concerns=("anxiety",), approaches=("cbt",), format="telehealth",
        max_distance_miles=25.0, languages=languages, provider_gender="female", insurance=None,
        self_pay_max=150, earliest=dt.datetime(2026, 12, 1, tzinfo=dt.UTC), within_hours=48, limit=5,
        times_of_day=("evening",), client_timezone="America/Denver",
    )
    return write_facts(
        request=request, treated=("anxiety",), specialises=("anxiety",), done_well=(), offered=("cbt",),
        self_pay_rate=120, speaks=("es",), gender="female", formats=("telehealth",), miles=None,
        times={"evening": 2}, first_start=dt.datetime(2026, 12, 4, 0, 0, tzinfo=dt.UTC),
    )


def test_the_reasons_of_a_match_are_sentences_in_spanish():
    with speaking("es"):
        texts = [fact.text for fact in _facts()]
        shared = shared_sentence(split_reasons([_facts(), _facts()]).shared)
    assert "Se especializa en ansiedad" in texts
    assert "Ofrece TCC, que usted pidió" in texts
    assert "Tiene 2 horarios disponibles por la noche en un plazo de 48 horas" in texts
    assert "Habla español" in texts
    assert "Mujer, como usted prefirió" in texts
    assert "Pago propio: $120 por sesión, dentro de sus $150" in texts
    assert "Con licencia en Colorado" in texts
    assert any(text.startswith("Puede atenderle el jue 3 dic, 5:00 p. m. MST") for text in texts)
    assert shared.startswith("Todos estos terapeutas ") and " y " in shared
    with translation.override("en"):
        english = [fact.text for fact in _facts()]
    assert "Specialises in anxiety" in english and "Speaks Spanish" in english
