"""The 270 eligibility inquiry for mental health, for the subscriber and for two kinds of
dependent, is a valid 005010X279A1 interchange: pyx12 validates it against the guide."""

from __future__ import annotations

import datetime as dt

import pytest

from carematch.coverage.x12.build import Envelope, Inquiry, Person, build_270
from carematch.coverage.x12.validate import X12Invalid, validated

from .x12_fixtures import segments_of

NOW = dt.datetime(2026, 12, 4, 16, 45, tzinfo=dt.UTC)
ENVELOPE = Envelope("ZZ", "CAREMATCH", "ZZ", "CLEARHOUSE", "T", 4217)
SUBSCRIBER = Person("Rivera", "Sam", dt.date(1985, 3, 2))
PATIENT = Person("Rivera", "Alex", dt.date(2012, 5, 6))


def inquiry(relationship: str, **changes: object) -> Inquiry:
    values: dict[str, object] = {
        "payer_name": "Aetna", "payer_id": "60054", "provider_name": "Example Practice",
        "provider_npi": "1234567893", "trace_originator": "1123456789", "member_id": "W123456789",
        "subscriber": SUBSCRIBER, "relationship": relationship,
        "patient": None if relationship == "self" else PATIENT, "service_date": dt.date(2026, 12, 8),
    }
    return Inquiry(**(values | changes))  # type: ignore[arg-type]


def test_the_subscriber_as_patient_asks_for_mental_health_in_the_subscriber_loop() -> None:
    text = build_270(inquiry("self"), ENVELOPE, now=NOW)
    found = validated(text, transaction="270")
    loops = {(f.loop, f.id) for f in found}
    assert ("2110C", "EQ") in loops and ("2100C", "NM1") in loops
    assert not any(f.loop.endswith("D") for f in found)
    segments = segments_of(text)
    assert ["EQ", "MH"] in segments
    assert ["NM1", "IL", "1", "RIVERA", "SAM", "", "", "", "MI", "W123456789"] in segments
    assert ["ST", "270", "0001", "005010X279A1"] in segments
    assert segments[0][13] == "000004217"  # ISA13, the control number answers are matched by
    assert ["HL", "3", "2", "22", "0"] in segments


@pytest.mark.parametrize(("relationship", "code"), [("child", "19"), ("spouse", "01"), ("other", "34")])
def test_a_dependent_is_asked_about_below_the_subscriber_with_their_relationship(relationship: str,
                                                                                  code: str) -> None:
    text = build_270(inquiry(relationship), ENVELOPE, now=NOW)
    found = validated(text, transaction="270")
    loops = {(f.loop, f.id) for f in found}
    assert ("2110D", "EQ") in loops and ("2100D", "NM1") in loops and ("2110C", "EQ") not in loops
    segments = segments_of(text)
    assert ["HL", "3", "2", "22", "1"] in segments and ["HL", "4", "3", "23", "0"] in segments
    assert ["INS", "N", code] in segments
    assert ["NM1", "03", "1", "RIVERA", "ALEX"] in segments
    assert ["DMG", "D8", "20120506"] in segments


def test_separators_a_person_types_never_break_the_interchange() -> None:
    tricky = Person("O'Brien*~Smith:^", "Zoë", dt.date(1985, 3, 2))
    text = build_270(inquiry("self", subscriber=tricky, member_id="w12-34 5"), ENVELOPE, now=NOW)
    validated(text, transaction="270")
    name = next(s for s in segments_of(text) if s[0] == "NM1" and s[1] == "IL")
    assert name[3] == "O'BRIEN SMITH" and name[9] == "W12-345"


def test_pyx12_refuses_a_270_that_breaks_the_guide() -> None:
    text = build_270(inquiry("self"), ENVELOPE, now=NOW)
    with pytest.raises(X12Invalid):
        validated(text.replace("EQ*MH~", "EQ*NOT-A-SERVICE~"), transaction="270")
    with pytest.raises(X12Invalid):
        validated(text.replace("HL*3*2*22*0~", ""), transaction="270")
    with pytest.raises(X12Invalid):
        validated("this is not X12 at all", transaction="270")
