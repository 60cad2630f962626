"""The 270 eligibility inquiry (005010X279A1) for service type MH (mental health).

Three cases, by who the patient is: the subscriber themselves (2000C carries the inquiry), or
a dependent, a child, a spouse or another person covered by the subscriber's plan (2000D
carries it, below the subscriber). The segments are written here; pyx12 validates the whole
interchange before it leaves (validate.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .maps import GUIDE
from .validate import validated

SERVICE_TYPE_MENTAL_HEALTH = "MH"
SEGMENT, ELEMENT, COMPONENT, REPETITION = "~", "*", ":", "^"
# INS02 of the dependent (2100D) in 005010X279A1: the patient's relationship to the subscriber.
DEPENDENT_RELATIONSHIP_CODES = {"spouse": "01", "child": "19", "other": "34"}

_NOT_BASIC = re.compile(r"[^A-Z0-9 &'(),./;?=%+@!#-]")


def clean(text: str, *, limit: int) -> str:
    """Upper-case X12 text without the separators (names may hold any character a person types)."""
    cleaned = _NOT_BASIC.sub(" ", text.upper())
    return " ".join(cleaned.split())[:limit].strip()


@dataclass(frozen=True)
class Person:
    last_name: str
    first_name: str
    birth_date: dt.date | None


@dataclass(frozen=True)
class Envelope:
    """ISA/GS: who sends, who receives, and the interchange's control number."""

    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    usage: str  # "P" production or "T" test (ISA15)
    control_number: int  # ISA13 and GS06, 1..999999999


@dataclass(frozen=True)
class Inquiry:
    payer_name: str
    payer_id: str  # the payer's electronic id at the clearinghouse (2100A NM109, qualifier PI)
    provider_name: str  # the information receiver: the practice (2100B)
    provider_npi: str
    trace_originator: str  # TRN03: "1" + the practice's EIN (or "9" + an id the clearinghouse gave)
    member_id: str
    subscriber: Person
    relationship: str  # "self", "spouse", "child" or "other"
    patient: Person | None  # the dependent, when relationship is not "self"
    service_date: dt.date


def _segment(*elements: str) -> str:
    while len(elements) > 1 and elements[-1] == "":
        elements = elements[:-1]
    return ELEMENT.join(elements) + SEGMENT


def _person(qualifier: str, person: Person, member_id: str = "") -> list[str]:
    name = _segment("NM1", qualifier, "1", clean(person.last_name, limit=60), clean(person.first_name, limit=35),
                    "", "", "", "MI" if member_id else "", member_id)
    segments = [name]
    if person.birth_date is not None:
        segments.append(_segment("DMG", "D8", person.birth_date.strftime("%Y%m%d")))
    return segments


def build_270(inquiry: Inquiry, envelope: Envelope, *, now: dt.datetime) -> str:
    """The whole interchange (ISA to IEA) as text, validated by pyx12; ValueError for input that
    cannot make a valid 270 (the caller checks the coverage first, so this is a defect)."""
    if inquiry.relationship != "self" and inquiry.patient is None:
        raise ValueError("a dependent's inquiry needs the patient")
    if not 0 < envelope.control_number < 1_000_000_000:
        raise ValueError("the control number must be 1 to 999999999")
    control = f"{envelope.control_number:09d}"
    trace = str(envelope.control_number)
    member_id = clean(inquiry.member_id, limit=80).replace(" ", "")
    on = inquiry.service_date.strftime("%Y%m%d")
    dependent = inquiry.relationship != "self"
    body = [
        _segment("ST", "270", "0001", GUIDE),
        _segment("BHT", "0022", "13", trace, now.strftime("%Y%m%d"), now.strftime("%H%M")),
        _segment("HL", "1", "", "20", "1"),
        _segment("NM1", "PR", "2", clean(inquiry.payer_name, limit=60), "", "", "", "", "PI",
                 clean(inquiry.payer_id, limit=80)),
        _segment("HL", "2", "1", "21", "1"),
        _segment("NM1", "1P", "2", clean(inquiry.provider_name, limit=60), "", "", "", "", "XX", inquiry.provider_npi),
        _segment("HL", "3", "2", "22", "1" if dependent else "0"),
        _segment("TRN", "1", trace, inquiry.trace_originator),
        *_person("IL", inquiry.subscriber, member_id),
    ]
    inquiry_lines = [_segment("DTP", "291", "D8", on), _segment("EQ", SERVICE_TYPE_MENTAL_HEALTH)]
    if dependent and inquiry.patient is not None:
        body += [
            _segment("HL", "4", "3", "23", "0"),
            _segment("TRN", "1", trace, inquiry.trace_originator),
            *_person("03", inquiry.patient),
            _segment("INS", "N", DEPENDENT_RELATIONSHIP_CODES[inquiry.relationship]),
            *inquiry_lines,
        ]
    else:
        body += inquiry_lines
    body.append(_segment("SE", str(len(body) + 1), "0001"))
    isa = ELEMENT.join([
        "ISA", "00", " " * 10, "00", " " * 10,
        envelope.sender_qualifier.ljust(2), envelope.sender_id.ljust(15)[:15],
        envelope.receiver_qualifier.ljust(2), envelope.receiver_id.ljust(15)[:15],
        now.strftime("%y%m%d"), now.strftime("%H%M"), REPETITION, "00501", control, "0", envelope.usage, COMPONENT,
    ]) + SEGMENT
    gs = _segment("GS", "HS", envelope.sender_id.strip(), envelope.receiver_id.strip(), now.strftime("%Y%m%d"),
                  now.strftime("%H%M"), trace, "X", GUIDE)
    text = isa + gs + "".join(body) + _segment("GE", "1", trace) + _segment("IEA", "1", control)
    validated(text, transaction="270")
    return text
