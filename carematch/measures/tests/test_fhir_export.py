"""A client's record as a FHIR R4 Bundle: Questionnaire and QuestionnaireResponse, an
Observation for each total and for PHQ-9 item 9, and their goals and plan; valid by the
fhir.resources R4B models, with codes checked here (the models do not check them)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from fhir.resources.R4B.bundle import Bundle

from carematch.care import services as care
from carematch.measures.fhir import client_bundle_data, client_export_json

from .factories import gad7, in_care, phq9, record

pytestmark = pytest.mark.django_db

LOINC = "http://loinc.org"
PHQ9_ITEMS = ["44250-9", "44255-8", "44259-0", "44254-1", "44251-7", "44258-2", "44252-5", "44253-3", "44260-8"]
GAD7_ITEMS = ["69725-0", "68509-9", "69733-4", "69734-2", "69735-9", "69689-8", "69736-7"]
ANSWERS = ["LA6568-5", "LA6569-3", "LA6570-1", "LA6571-9"]


@pytest.fixture
def record_with_care():
    person, _ = in_care(first_name="Lee", last_name="Park")
    first = timezone.now() - dt.timedelta(days=28)
    record(person, "phq9", phq9(17, item9=2), now=first, difficulty=2)
    record(person, "gad7", gad7(12), now=first)
    record(person, "phq9", phq9(8), now=first + dt.timedelta(days=14))
    care.goal_create(client=person, by=person.user, text="Sleep through most nights", measure="questionnaire",
                     instrument="phq9", target=10, target_date=timezone.localdate() + dt.timedelta(days=60))
    care.activity_add(client=person, by=person.user, kind="exercise", text="a walk after lunch", times=3,
                      period="week")
    return person


def by_type(data):
    found = {}
    for entry in data["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_the_bundle_is_valid_r4_and_holds_every_questionnaire_score_goal_and_plan(record_with_care):
    text, counts = client_export_json(record_with_care)
    assert Bundle.model_validate_json(text).type == "collection"
    found = by_type(json.loads(text))
    assert {kind: len(items) for kind, items in found.items()} == counts == {
        "Patient": 1, "Questionnaire": 2, "QuestionnaireResponse": 3, "Observation": 5, "Goal": 1, "CarePlan": 1,
    }
    full_urls = [entry["fullUrl"] for entry in client_bundle_data(record_with_care)["entry"]]
    assert len(set(full_urls)) == len(full_urls) and all(u.startswith("urn:uuid:") for u in full_urls)


def test_questionnaires_carry_the_loinc_panel_items_and_answers(record_with_care):
    questionnaires = {q["id"]: q for q in by_type(client_bundle_data(record_with_care))["Questionnaire"]}
    phq, gad = questionnaires["phq9"], questionnaires["gad7"]
    assert phq["code"][0]["system"] == LOINC and phq["code"][0]["code"] == "44249-1"
    assert gad["code"][0]["code"] == "69737-5"
    assert [i["code"][0]["code"] for i in phq["item"] if i["type"] == "choice"] == [*PHQ9_ITEMS, "69722-7"]
    assert [i["code"][0]["code"] for i in gad["item"] if i["type"] == "choice"] == [*GAD7_ITEMS, "69726-8"]
    first = phq["item"][1]
    assert [o["valueCoding"]["code"] for o in first["answerOption"]] == ANSWERS
    assert [o["extension"][0]["valueDecimal"] for o in first["answerOption"]] == [0, 1, 2, 3]
    assert "No permission required to reproduce" in phq["copyright"]


def test_observations_carry_the_totals_and_item9_with_their_loinc_codes(record_with_care):
    found = by_type(client_bundle_data(record_with_care))
    observations = found["Observation"]
    codes = [(o["code"]["coding"][0]["system"], o["code"]["coding"][0]["code"]) for o in observations]
    assert sorted(codes) == sorted([
        (LOINC, "44261-6"), (LOINC, "44260-8"), (LOINC, "70274-6"), (LOINC, "44261-6"), (LOINC, "44260-8"),
    ])
    totals = sorted((o["code"]["coding"][0]["code"], o["valueInteger"], o["interpretation"][0]["text"])
                    for o in observations if "valueInteger" in o)
    assert totals == [("44261-6", 8, "Mild"), ("44261-6", 17, "Moderately severe"), ("70274-6", 12, "Moderate")]
    item9 = sorted(o["valueCodeableConcept"]["coding"][0]["code"] for o in observations
                   if o["code"]["coding"][0]["code"] == "44260-8")
    assert item9 == ["LA6568-5", "LA6570-1"]  # not at all; more than half the days
    assert all(o["category"][0]["coding"][0]["code"] == "survey" for o in observations)
    urls = {e["fullUrl"] for e in client_bundle_data(record_with_care)["entry"]}  # references resolve inside
    assert all(o["derivedFrom"][0]["reference"] in urls and o["subject"]["reference"] in urls for o in observations)


def test_responses_answer_each_item_with_its_loinc_answer(record_with_care):
    responses = by_type(client_bundle_data(record_with_care))["QuestionnaireResponse"]
    first = next(r for r in responses if r["questionnaire"].endswith("/phq9"))
    assert [i["linkId"] for i in first["item"]] == [*PHQ9_ITEMS, "69722-7"]
    assert [i["answer"][0]["valueCoding"]["code"] for i in first["item"][:9]] == [
        ANSWERS[v] for v in phq9(17, item9=2)
    ]
    assert first["item"][9]["answer"][0]["valueCoding"]["code"] == "LA6575-0"  # very difficult
    assert all(r["status"] == "completed" for r in responses)


def test_the_goal_and_the_plan_come_from_the_care_record(record_with_care):
    found = by_type(client_bundle_data(record_with_care))
    (goal,) = found["Goal"]
    assert goal["description"]["text"] == "Sleep through most nights"
    target = goal["target"][0]
    assert target["measure"]["coding"][0]["code"] == "44261-6"
    assert (target["detailQuantity"]["comparator"], target["detailQuantity"]["value"]) == ("<", 10)
    assert goal["achievementStatus"]["coding"][0]["code"] in {"in-progress", "achieved"}
    (plan,) = found["CarePlan"]
    (activity,) = plan["activity"]
    assert activity["detail"]["description"] == "Exercise: a walk after lunch"
    assert activity["detail"]["scheduledTiming"]["repeat"] == {"frequency": 3, "period": 1, "periodUnit": "wk"}


def test_a_client_with_nothing_recorded_exports_just_their_patient_record():
    person, _ = in_care()
    text, _ = client_export_json(person)
    found = by_type(Bundle.model_validate_json(text).model_dump(mode="json"))
    assert list(found) == ["Patient"]


def test_the_command_writes_the_bundle_and_refuses_an_unknown_client(record_with_care, tmp_path):
    out = tmp_path / "record.json"
    call_command("export_client_fhir", "--client", str(record_with_care.pk), "--out", str(out))
    data = json.loads(out.read_text())
    Bundle.model_validate(data)
    assert out.stat().st_mode & 0o777 == 0o600  # health information: readable by its owner only
    assert len(data["entry"]) == 13
    with pytest.raises(CommandError, match="no client with id"):
        call_command("export_client_fhir", "--client", "999999", "--out", str(out))
    with pytest.raises(CommandError, match="no such folder"):
        call_command("export_client_fhir", "--client", str(record_with_care.pk), "--out", str(tmp_path / "x" / "y"))
