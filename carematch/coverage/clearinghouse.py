"""The clearinghouse this deployment talks to, read from settings when asked (so a changed
setting takes effect, and tests can change it): the X12 envelope, the practice as information
receiver, and the transport."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings

from carematch.lib.npi import npi_problem

from .x12.build import Envelope
from .x12.transport import CoreHttpTransport, FileTransport, Transport

_X12_ID = re.compile(r"^[A-Za-z0-9 ]{1,15}$")
_TRACE = re.compile(r"^[0-9A-Za-z]{10}$")


class NotConfigured(Exception):
    """Eligibility checks are off, or their settings are incomplete: names what is missing."""


@dataclass(frozen=True)
class Clearinghouse:
    transport: Transport
    submitter_name: str
    submitter_npi: str
    trace_originator: str
    payer_ids: dict[str, str]
    sender_qualifier: str
    sender_id: str
    receiver_qualifier: str
    receiver_id: str
    usage: str

    def envelope(self, control_number: int) -> Envelope:
        return Envelope(sender_qualifier=self.sender_qualifier, sender_id=self.sender_id,
                        receiver_qualifier=self.receiver_qualifier, receiver_id=self.receiver_id,
                        usage=self.usage, control_number=control_number)


def enabled() -> bool:
    return bool(getattr(settings, "X12_TRANSPORT", ""))


def configured() -> Clearinghouse:
    """The clearinghouse, or NotConfigured naming every setting that is missing or wrong."""
    kind = getattr(settings, "X12_TRANSPORT", "")
    if not kind:
        raise NotConfigured("CAREMATCH_X12_TRANSPORT is not set")
    problems = []
    for name in ("X12_SENDER_ID", "X12_RECEIVER_ID"):
        if not _X12_ID.match(getattr(settings, name, "")):
            problems.append(f"CAREMATCH_{name} must be 1 to 15 letters, digits or spaces")
    if not getattr(settings, "X12_SUBMITTER_NAME", ""):
        problems.append("CAREMATCH_X12_SUBMITTER_NAME is not set")
    if npi_problem(getattr(settings, "X12_SUBMITTER_NPI", "")):
        problems.append("CAREMATCH_X12_SUBMITTER_NPI is not a valid NPI")
    if not _TRACE.match(getattr(settings, "X12_TRACE_ORIGINATOR", "")):
        problems.append("CAREMATCH_X12_TRACE_ORIGINATOR must be 10 characters ('1' and the practice's EIN)")
    if getattr(settings, "X12_USAGE", "") not in ("P", "T"):
        problems.append("CAREMATCH_X12_USAGE must be P (production) or T (test)")
    if kind == "http" and not str(getattr(settings, "X12_URL", "")).startswith(("https://", "http://")):
        problems.append("CAREMATCH_X12_URL must be the clearinghouse's CORE address (https://...)")
    if problems:
        raise NotConfigured("; ".join(problems))
    transport: Transport
    if kind == "file":
        transport = FileTransport(outbox=settings.X12_OUTBOX, inbox=settings.X12_INBOX)
    else:
        transport = CoreHttpTransport(
            url=settings.X12_URL, sender_id=settings.X12_SENDER_ID, receiver_id=settings.X12_RECEIVER_ID,
            username=settings.X12_USERNAME, password=settings.X12_PASSWORD,
            connect_timeout=settings.X12_CONNECT_TIMEOUT, timeout=settings.X12_TIMEOUT,
        )
    return Clearinghouse(
        transport=transport, submitter_name=settings.X12_SUBMITTER_NAME, submitter_npi=settings.X12_SUBMITTER_NPI,
        trace_originator=settings.X12_TRACE_ORIGINATOR,
        payer_ids={str(k).strip().lower(): str(v).strip() for k, v in dict(settings.X12_PAYER_IDS).items()},
        sender_qualifier=settings.X12_SENDER_QUALIFIER, sender_id=settings.X12_SENDER_ID,
        receiver_qualifier=settings.X12_RECEIVER_QUALIFIER, receiver_id=settings.X12_RECEIVER_ID,
        usage=settings.X12_USAGE,
    )
