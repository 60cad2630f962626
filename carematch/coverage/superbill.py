"""A superbill: the itemised statement a client who paid their therapist themselves sends to
their insurer to be paid back for out-of-network care. Plain data in, a PDF out (fpdf2);
no database here. What an insurer's claim form asks for: the practice and the provider
(name, NPI, licence, tax id), the client, and per session the date, the place of service,
the CPT code, the diagnosis codes (ICD-10-CM), the fee and what was paid."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from fpdf import FPDF

# CPT codes of psychotherapy (AMA): the diagnostic evaluation of a first session, then
# psychotherapy by its length: 90834 for 38-52 minutes, 90837 for 53 minutes or more.
CPT_FIRST_SESSION = "90791"
CPT_45_MINUTES = "90834"
CPT_60_MINUTES = "90837"
# CMS place-of-service codes: 10 telehealth in the patient's home, 11 office.
POS_TELEHEALTH_HOME = "10"
POS_OFFICE = "11"
POS_NAMES = {"02": "Telehealth (not in the patient's home)", POS_TELEHEALTH_HOME: "Telehealth in the patient's home",
             POS_OFFICE: "Office"}

# ICD-10-CM: a letter (U is reserved), a digit, a letter or digit, then optionally a dot and
# one to four letters or digits (e.g. F41.1, F32.A, F43.10, Z63.0).
ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?$")


def icd10cm_problem(code: str) -> str | None:
    """Why `code` is not written as an ICD-10-CM code, or None."""
    if not ICD10CM.match(code):
        return "Enter an ICD-10-CM code such as F41.1: a letter, two characters, then a dot and up to four more."
    return None


def normalised_icd10cm(code: str) -> str:
    """Upper case, and the dot after the third character that codes are printed with."""
    text = "".join(code.split()).upper()
    if len(text) > 3 and "." not in text:
        text = f"{text[:3]}.{text[3:]}"
    return text


def cpt_for(*, first: bool, minutes: int) -> str:
    if first:
        return CPT_FIRST_SESSION
    return CPT_60_MINUTES if minutes >= 53 else CPT_45_MINUTES


def pos_for(format: str) -> str:
    return POS_OFFICE if format == "in_person" else POS_TELEHEALTH_HOME


@dataclass(frozen=True)
class Line:
    date_of_service: dt.date
    place_of_service: str
    cpt: str
    fee_usd: Decimal
    paid_usd: Decimal


@dataclass(frozen=True)
class Superbill:
    practice_name: str
    practice_address: str
    provider_name: str
    provider_credentials: str
    provider_npi: str
    provider_licence: str  # e.g. "LPC 12345 (CO)"
    provider_tax_id: str
    client_name: str
    client_birth_date: dt.date
    period_start: dt.date
    period_end: dt.date
    diagnoses: tuple[str, ...]
    lines: tuple[Line, ...]
    issued_on: dt.date

    @property
    def total_fee(self) -> Decimal:
        return sum((line.fee_usd for line in self.lines), Decimal(0))

    @property
    def total_paid(self) -> Decimal:
        return sum((line.paid_usd for line in self.lines), Decimal(0))


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _latin1(text: str) -> str:
    # The core PDF fonts are Latin-1: anything else is shown as '?' rather than failing.
    return text.encode("latin-1", errors="replace").decode("latin-1")


def render_pdf(bill: Superbill) -> bytes:
    pdf = FPDF(format="letter")
    pdf.set_title("Superbill")
    pdf.set_author(_latin1(bill.practice_name))
    pdf.set_creator("carematch")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    def heading(text: str, size: int = 12) -> None:
        pdf.set_font("Helvetica", "B", size)
        pdf.cell(width, 8, _latin1(text), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def row(label: str, value: str) -> None:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(48, 6, _latin1(label), new_x="RIGHT", new_y="TOP")
        pdf.set_font("Helvetica", "", 10)
        pdf.multi_cell(width - 48, 6, _latin1(value), new_x="LMARGIN", new_y="NEXT")

    heading("Superbill (statement for insurance reimbursement)", 15)
    row("Statement date", bill.issued_on.isoformat())
    row("Dates of service", f"{bill.period_start.isoformat()} to {bill.period_end.isoformat()}")
    pdf.ln(3)
    heading("Practice and provider")
    row("Practice", bill.practice_name)
    row("Address", bill.practice_address)
    row("Provider", f"{bill.provider_name}{', ' + bill.provider_credentials if bill.provider_credentials else ''}")
    row("NPI", bill.provider_npi)
    row("Licence", bill.provider_licence)
    row("Tax ID", bill.provider_tax_id)
    pdf.ln(3)
    heading("Client (patient)")
    row("Name", bill.client_name)
    row("Date of birth", bill.client_birth_date.isoformat())
    pdf.ln(3)
    heading("Diagnoses (ICD-10-CM)")
    for number, code in enumerate(bill.diagnoses, start=1):
        row(f"Diagnosis {number}", code)
    pdf.ln(3)
    heading("Services")
    columns = (("Date of service", 32), ("Place of service", 58), ("CPT", 20), ("Diagnosis pointer", 30),
               ("Fee", 28), ("Paid", 28))
    pointer = "".join(chr(ord("A") + i) for i in range(min(len(bill.diagnoses), 4)))
    pdf.set_font("Helvetica", "B", 9)
    for title, w in columns:
        pdf.cell(w, 7, title, border=1, new_x="RIGHT", new_y="TOP")
    pdf.ln(7)
    pdf.set_font("Helvetica", "", 9)
    for line in bill.lines:
        values = (line.date_of_service.isoformat(), f"{line.place_of_service} {POS_NAMES[line.place_of_service]}",
                  line.cpt, pointer, _money(line.fee_usd), _money(line.paid_usd))
        for (_, w), value in zip(columns, values, strict=True):
            pdf.cell(w, 7, _latin1(value), border=1, new_x="RIGHT", new_y="TOP")
        pdf.ln(7)
    pdf.set_font("Helvetica", "B", 9)
    pdf.cell(sum(w for _, w in columns[:4]), 7, "Total", border=1, new_x="RIGHT", new_y="TOP")
    pdf.cell(columns[4][1], 7, _money(bill.total_fee), border=1, new_x="RIGHT", new_y="TOP")
    pdf.cell(columns[5][1], 7, _money(bill.total_paid), border=1, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(width, 5, _latin1(
        "The client paid the fees above in full to the provider. Diagnosis pointers refer to the diagnoses listed "
        "above (A is the first). Send this statement to your insurer with its claim form to ask to be paid back "
        "for out-of-network care; what they pay back depends on your plan."
    ), new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())
