"""The crisis phrase check: whole words and phrases after folding case, accents and
punctuation, never parts of words. Both directions: what must match, and everyday sentences
(some holding a phrase's letters inside other words) that must not."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from carematch.messaging import safety

MUST_MATCH = [
    "I want to kill myself",
    "Honestly I've been thinking about KILLING MYSELF.",
    "i dont want to live anymore",
    "I don't want to live any more",
    "I don\u2019t want to be alive",
    "Sometimes I think everyone would be better off without me...",
    "I have been having suicidal thoughts again",
    "thinking about suicide",
    "I cut myself last night",
    "I started self-harming again",
    "self harm",
    "I wish I was dead",
    "I just want to die",
    "I want to end my life",
    "I can't go on like this",
    "There is no reason to live",
    "planning to take my own life",
    "I want to hurt myself",
    "thinking of an overdose",
    "Kill. Myself.",
    "I want to   end \n it   all",
]

MUST_NOT_MATCH = [
    "My therapist helped me a lot last week",
    "I think the new therapist is kind",
    "I learned a new skill in the breathing exercise",
    "Skills group was useful; skillful even",
    "Running five minutes late, sorry!",
    "Can we move Thursday to Friday?",
    "I tried the breathing exercise and it helped",
    "The kids were killing it at the swim meet",
    "That joke killed me",
    "I am dying to tell you about my week",
    "My cat hurt her paw but she is fine",
    "I cut my hair myself",
    "The diet plan says no more soda",
    "Self-care went well this week",
    "I'm going to live with my sister for a month",
    "Endless meetings at work, but I'm managing",
    "We watched a film about a bridge",
    "",
]


@pytest.mark.parametrize("text", MUST_MATCH)
def test_a_crisis_phrase_is_found_whatever_the_case_and_punctuation(text):
    assert safety.mentions_crisis(text), text


@pytest.mark.parametrize("text", MUST_NOT_MATCH)
def test_everyday_words_are_not_taken_for_a_crisis_phrase(text):
    assert not safety.mentions_crisis(text), (text, safety.matched_phrases(text))


def test_words_are_whole_words_never_parts_of_words():
    assert safety.matched_phrases("the rapist", ["therapist"]) == []
    assert safety.matched_phrases("my therapist", ["the rapist"]) == []
    assert safety.matched_phrases("a new skill", ["kill"]) == []
    assert safety.matched_phrases("Kill!", ["kill"]) == ["kill"]


PHRASES = [phrase for listed in safety.phrase_lists().values() for phrase in listed]


@given(phrase=st.sampled_from(PHRASES), before=st.text(string.ascii_lowercase, min_size=1, max_size=3),
       after=st.text(string.ascii_lowercase, min_size=1, max_size=3))
def test_a_phrase_glued_inside_longer_words_never_matches(phrase, before, after):
    glued = before + phrase + after
    assert phrase not in safety.matched_phrases(glued)


@given(phrase=st.sampled_from(PHRASES), around=st.sampled_from([". ", "! ", ", ", "\n", " (", "\u2014"]))
def test_every_listed_phrase_matches_itself_in_a_sentence(phrase, around):
    text = f"Today{around}{phrase.upper()}{around}that is how I feel"
    assert phrase in safety.matched_phrases(text)


def test_the_english_list_is_read_and_another_language_is_one_more_file(tmp_path: Path):
    assert "en" in safety.phrase_lists()
    assert "kill myself" in safety.phrase_lists()["en"]
    (tmp_path / "en.txt").write_text("# English\nkill myself\n", encoding="utf-8")
    (tmp_path / "es.txt").write_text("# Español\nquiero morir  # a comment\nno quiero vivir más\n", encoding="utf-8")
    lists = safety.phrase_lists(tmp_path)
    assert lists == {"en": ("kill myself",), "es": ("quiero morir", "no quiero vivir mas")}
    spanish = lists["es"]
    assert safety.matched_phrases("Ya no quiero vivir MAS.", spanish) == ["no quiero vivir mas"]
    assert safety.matched_phrases("No quiero vivir más", spanish) == ["no quiero vivir mas"]
    assert safety.matched_phrases("quiero morirme de risa", spanish) == []


# --- Spanish (phrases/es.txt) ------------------------------------------------------------------

MUST_MATCH_ES = [
    "Ya no puedo más, quiero morir",
    "me quiero MATAR!",
    "A veces pienso en quitarme la vida",
    "no quiero vivir así",
    "He pensado en suicidarme",
    "tengo ganas de hacerme daño",
    "tengo ganas de hacerme dano",  # typed without ñ
    "Me quiero morir.",
    "estarían mejor sin mí",
    "volví a cortarme",
    "tengo pensamientos suicidas",
    "Quisiera estar muerta",
]

MUST_NOT_MATCH_ES = [
    "Me muero de risa con mi hermana",
    "Mañana llego tarde a la cita, perdón",
    "El ejercicio de respiración me ayudó mucho",
    "Quiero vivir más cerca de mi familia",
    "Me corté el pelo",
    "Ayer maté el tiempo leyendo",
    "la matrícula del carro",
]


@pytest.mark.parametrize("text", MUST_MATCH_ES)
def test_a_spanish_crisis_phrase_is_found_with_or_without_accents(text):
    assert safety.mentions_crisis(text), text


@pytest.mark.parametrize("text", MUST_NOT_MATCH_ES)
def test_everyday_spanish_is_not_taken_for_a_crisis_phrase(text):
    assert not safety.mentions_crisis(text), (text, safety.matched_phrases(text))


def test_the_spanish_list_ships_with_the_phrases_about_suicide_and_self_harm():
    spanish = safety.phrase_lists()["es"]
    for phrase in ("quiero morir", "me quiero matar", "suicidarme", "hacerme dano", "no quiero vivir",
                   "quitarme la vida"):
        assert phrase in spanish, phrase
