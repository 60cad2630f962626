"""Providers' private notes are not in a client's download unless the deployment includes
them (CAREMATCH_EXPORT_PROVIDER_NOTES=1): psychotherapy notes kept apart from the record are
outside a client's right of access (45 CFR 164.524(a)(1)(i)). The download and the data page
say so, and how to ask for them."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.management import call_command
from fhir.resources.R4B.bundle import Bundle

from carematch.access import export
from carematch.accounts.tests.factories import auth_header
from carematch.care import services as care
from carematch.care.models import ProviderNote

from . import data_records as r

pytestmark = pytest.mark.django_db

REVISED_NOTE_BODY = "Discussed sleep routine; client will try a wind-down hour and a fixed wake time"
LEFT_OUT = "Your providers' private notes are not in this download"


@pytest.fixture
def record():
    """The full record, with its one shown note revised once: two versions, both private."""
    record = r.full_record()
    note = ProviderNote.shown.get(client=record.client)
    care.provider_note_revise(note=note, by=record.provider.user, body=REVISED_NOTE_BODY)
    return record


def note_texts(text: str) -> list[str]:
    """Any note text found in `text`, as written or base64-encoded (as FHIR attachments carry it)."""
    found = []
    for body in (r.NOTE_BODY, REVISED_NOTE_BODY, r.REMOVED_NOTE_BODY):
        if body in text or base64.b64encode(body.encode()).decode() in text:
            found.append(body)
    return found


def downloads(client, record) -> dict[str, str]:
    """The four ways a client downloads their record: the page and the API, JSON and FHIR."""
    headers = auth_header(record.client.user)
    client.force_login(record.client.user)
    answers = {
        "page json": client.get("/account/data/export.json"),
        "page fhir": client.get("/account/data/export.fhir.json"),
        "api json": client.get("/api/v1/me/export?format=json", **headers),
        "api fhir": client.get("/api/v1/me/export?format=fhir", **headers),
    }
    assert {how: answer.status_code for how, answer in answers.items()} == dict.fromkeys(answers, 200)
    return {how: answer.content.decode() for how, answer in answers.items()}


def test_by_default_no_download_holds_a_providers_note(client, record):
    for how, text in downloads(client, record).items():
        assert note_texts(text) == [], how
        if how.endswith("fhir"):
            bundle = Bundle.model_validate_json(text)
            assert "DocumentReference" not in {entry.resource.get_resource_type() for entry in bundle.entry}, how
        else:
            data = json.loads(text)
            assert "provider_notes" not in data, how
            assert data["format"]["left_out"] == [{"records": "provider_notes", "why": export.WITHHELD[
                "care.providernote"][1]}]
            assert any(line.startswith(LEFT_OUT) for line in data["format"]["notes"]), how


def test_by_default_the_data_page_says_notes_are_not_in_the_download_and_how_to_ask(client, record):
    client.force_login(record.client.user)
    text = client.get("/account/data/").content.decode()
    assert "Your providers' notes are not in the download." in text
    assert "ask your provider or the practice that runs this service" in text
    assert "everything listed above, except your providers' notes" in text


def test_with_the_setting_the_json_download_holds_every_note_with_its_versions(client, record, settings):
    settings.EXPORT_PROVIDER_NOTES = True
    texts = downloads(client, record)
    for how in ("page json", "api json"):
        data = json.loads(texts[how])
        [note] = data["provider_notes"]
        assert [v["body"] for v in note["versions"]] == [r.NOTE_BODY, REVISED_NOTE_BODY]
        assert note["author"]["role"] == "provider"
        assert data["format"]["left_out"] == []
        assert r.REMOVED_NOTE_BODY not in texts[how]  # removed by its author: never in a download


def test_with_the_setting_the_fhir_download_holds_a_document_reference_a_version(client, record, settings):
    settings.EXPORT_PROVIDER_NOTES = True
    note = ProviderNote.shown.get(client=record.client)
    for how in ("page fhir", "api fhir"):
        bundle = Bundle.model_validate_json(texts := downloads(client, record)[how])
        references = {e.resource.id: (e.fullUrl, e.resource) for e in bundle.entry
                      if e.resource.get_resource_type() == "DocumentReference"}
        first_url, first = references[f"provider-note-{note.pk}-1"]
        _, second = references[f"provider-note-{note.pk}-2"]
        assert len(references) == 2, how
        assert (first.status, second.status, second.docStatus) == ("superseded", "current", "amended")
        assert second.content[0].attachment.data == REVISED_NOTE_BODY.encode()  # the model decodes base64
        assert second.relatesTo[0].code == "replaces" and second.relatesTo[0].target.reference == first_url
        assert second.subject.reference == bundle.entry[0].fullUrl
        assert r.REMOVED_NOTE_BODY not in note_texts(texts)


def test_with_the_setting_the_data_page_no_longer_says_notes_are_left_out(client, record, settings):
    settings.EXPORT_PROVIDER_NOTES = True
    client.force_login(record.client.user)
    text = client.get("/account/data/").content.decode()
    assert "notes are not in the download" not in text and "except your providers' notes" not in text
    assert "plan and sessions, and your providers' notes" in text


def test_the_client_fhir_command_never_holds_a_providers_note(record, tmp_path, settings):
    settings.EXPORT_PROVIDER_NOTES = True  # the command's Bundle has no notes whatever the setting
    out = tmp_path / "record.json"
    call_command("export_client_fhir", "--client", str(record.client.pk), "--out", str(out),
                 stdout=(tmp_path / "said.txt").open("w"))
    assert note_texts(out.read_text()) == []
