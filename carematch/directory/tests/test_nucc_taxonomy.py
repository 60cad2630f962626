"""NUCC's taxonomy as shipped: NUCC's own display names and version, the behavioural-health set, and the
export carrying NUCC's display for each provider's specialty."""

from __future__ import annotations

import csv

import pytest
from django.utils import timezone

from carematch.directory.fhir import providers_to_bundle
from carematch.directory.tests.factories import ProviderFactory
from carematch.lib import nucc, vocab


def test_nucc_names_forensic_and_family_psychologists_by_their_own_codes() -> None:
    assert nucc.display("103TF0200X") == "Forensic Psychologist"
    assert nucc.display("103TF0000X") == "Family Psychologist"
    assert nucc.display("103TH0100X") == "Health Service Psychologist"
    assert nucc.display("2084P0800X") == "Psychiatry Physician"
    assert nucc.display("363LP0808X") == "Psychiatric/Mental Health Nurse Practitioner"


def test_the_whole_behavioural_health_grouping_is_shipped_with_its_version() -> None:
    grouping = [entry for entry in nucc.codes().values()
                if entry.grouping == "Behavioral Health & Social Service Providers"]
    assert len(grouping) == 40
    assert nucc.VERSION == "25.1"
    header = "".join(line for line in nucc.DATA_FILE.read_text(encoding="utf-8").splitlines() if line.startswith("#"))
    assert "version 25.1" in header and "nucc_taxonomy_251.csv" in header


def test_deactivated_codes_keep_their_name_but_are_not_behavioural() -> None:
    assert nucc.is_deactivated("103TE1000X")
    assert not nucc.is_behavioural("103TE1000X")
    assert nucc.display("103TE1000X").startswith("Deactivated - ")
    assert nucc.is_behavioural("101YP2500X")
    assert not nucc.is_behavioural("207Q00000X")  # family medicine is not behavioural health
    assert nucc.display("207Q00000X") == ""


def test_vocab_taxonomy_is_nucc_active_set_and_keeps_every_code_carematch_used() -> None:
    used_before = {"101Y00000X", "101YA0400X", "101YM0800X", "101YP1600X", "101YP2500X", "101YS0200X",
                   "102L00000X", "103G00000X", "103T00000X", "103TA0400X", "103TC0700X", "103TC2200X",
                   "103TC1900X", "103TF0200X", "103TH0100X", "1041C0700X", "1041S0200X", "104100000X",
                   "106H00000X", "363LP0808X", "364SP0808X", "2084P0800X", "2084P0804X", "2084P0805X"}
    assert used_before <= set(vocab.TAXONOMY)
    assert dict(vocab.TAXONOMY) == {code: e.display_name for code, e in nucc.codes().items() if e.active}


def test_data_file_rows_are_well_formed() -> None:
    with nucc.DATA_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(line for line in handle if not line.startswith("#")))
    assert len({row["code"] for row in rows}) == len(rows)
    for row in rows:
        assert len(row["code"]) == 10 and row["code"].endswith("X")
        assert row["display_name"] == row["display_name"].strip() != ""
        assert row["status"] in {"active", "deactivated"}
        assert (row["status"] == "deactivated") == row["display_name"].startswith("Deactivated - ")


@pytest.mark.django_db
def test_export_names_a_specialty_by_nucc_display() -> None:
    provider = ProviderFactory(taxonomy="103TF0200X")
    bundle = providers_to_bundle([provider], openings_by_provider={}, generated_at=timezone.now())
    displays = {
        coding.display
        for entry in bundle.entry if entry.resource.get_resource_type() == "PractitionerRole"
        for specialty in entry.resource.specialty for coding in specialty.coding
    }
    assert displays == {"Forensic Psychologist"}
