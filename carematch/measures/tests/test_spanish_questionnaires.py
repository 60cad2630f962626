"""The questionnaires with the page in Spanish: the PHQ-9 and GAD-7 keep their published
English words (marked as English, with a plain note in Spanish saying so); everything around
them is Spanish; scoring, bands and the item-9 alert are the same in both languages, and the
crisis lines come first, in Spanish."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone, translation

from carematch.measures import emails, scoring
from carematch.measures.models import Alert, Assessment
from carematch.measures.views import _change_words

from .factories import in_care, phq9, record
from .test_questionnaire_pages import answers, link, send

pytestmark = pytest.mark.django_db
ES = {"HTTP_ACCEPT_LANGUAGE": "es"}
NOTE = "Estos cuestionarios están en inglés."


def test_on_a_spanish_page_the_items_stay_in_english_marked_as_such_under_a_spanish_note(client):
    person, provider = in_care()
    page = client.get(link(send(person, provider, ("phq9", "gad7"))), **ES).content.decode()
    assert '<html lang="es">' in page
    main = page[page.index("<main"):]
    assert main.index(NOTE) < main.index("Little interest or pleasure in doing things")
    assert "Cómo se ha sentido" in main and "Enviar mis respuestas" in main
    assert '<legend lang="en">1. Little interest or pleasure in doing things</legend>' in main
    assert main.count('<div class="choices" lang="en">') == 9 + 1 + 7 + 1  # items and difficulty questions
    assert '<p class="stem" lang="en">Over the last 2 weeks' in main
    english = client.get(link(send(person, provider))).content.decode()
    assert NOTE not in english and "These questionnaires are in English" not in english


def test_a_missing_answer_is_said_in_spanish_next_to_the_english_question(client):
    person, provider = in_care()
    partial = answers("phq9", phq9(9))
    del partial["phq9_4"]
    page = client.post(link(send(person, provider)), partial, **ES).content.decode()
    assert "Hay un problema" in page and "Elija una respuesta para la pregunta 4." in page
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("language", ["en", "es"])
def test_scores_bands_and_the_item9_alert_do_not_depend_on_the_language(client, language):
    person, provider = in_care()
    response = client.post(link(send(person, provider)), answers("phq9", phq9(16, item9=1), difficulty=2),
                           follow=True, HTTP_ACCEPT_LANGUAGE=language)
    assessment = Assessment.objects.get()
    assert (assessment.total, assessment.severity) == (16, "moderately_severe")
    assert scoring.severity_for("phq9", 16) == "moderately_severe"
    alert = Alert.objects.get()
    assert (alert.kind, alert.provider, alert.client) == ("suicidal_ideation", provider, person)
    main = response.content.decode()
    main = main[main.index('<main id="main"'):]
    if language == "es":
        assert main.index("Usted merece apoyo ahora mismo") < main.index("Su puntuación es")
        assert main.index("Llame al 988 y marque 2") < main.index("Su puntuación es")
        assert 'href="sms:988?&amp;body=AYUDA"' in main and 'href="tel:911"' in main
        assert "Le avisamos a su profesional y a un coordinador de carematch" in main
        assert "síntomas moderadamente graves de depresión" in main
        assert "Su puntuación es <strong>16 de 27</strong>." in main
    else:
        assert main.index("You deserve support right now") < main.index("Your score is")
        assert "moderately severe symptoms of depression" in main


def test_the_change_since_the_first_is_said_in_spanish(client):
    person, provider = in_care()
    record(person, "phq9", phq9(19), now=timezone.now() - dt.timedelta(days=30))
    client.post(link(send(person, provider)), answers("phq9", phq9(8)), **ES)
    page = client.get("/questionnaires/result/", **ES).content.decode()
    assert "Son 11 puntos menos que su primer PHQ-9 (19)." in page
    assert "Es una mejora confiable" in page
    with translation.override("es"):
        assert _change_words(1, "GAD-7", 5) == "Es 1 punto más que su primer GAD-7 (5)."


def test_the_questionnaire_email_comes_in_the_clients_account_language():
    person, provider = in_care()
    person.user.language = "es"
    person.user.save(update_fields=["language"])
    request = send(person, provider)
    mail.outbox.clear()
    with translation.override("en"):
        assert emails.questionnaire_email_send(request=request, reminder=False) == 1
    (message,) = mail.outbox
    assert message.subject == "Un cuestionario breve de carematch"
    assert message.body.startswith(f"Hola, {person.first_name}:")
    assert "Los cuestionarios están en inglés" in message.body
    assert "marque 2" in message.body and "AYUDA" in message.body
