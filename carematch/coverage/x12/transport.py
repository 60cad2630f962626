"""How 270s reach a clearinghouse and 271s come back, chosen by CAREMATCH_X12_TRANSPORT.

- `file`: the batch way. Each 270 is written to the outbox as `270_<control number>.x12`; the
  clearinghouse's own software carries the folders. A 271 is taken from the inbox when it is
  named `271_<control number>.x12`, or when it echoes the control number as its trace (TRN02).
- `http`: CAQH CORE Connectivity (Phase II/III rule), real time: an HTTP POST of a MIME
  multipart form (PayloadType X12_270_Request_005010X279A1, ProcessingMode RealTime, PayloadID,
  TimeStamp, SenderID, ReceiverID, CORERuleVersion, Payload), answered by a form whose Payload
  holds the 271.

A failure is a TransportFailed with a sentence for the person; nothing here logs a payload."""

from __future__ import annotations

import datetime as dt
import email.parser
import email.policy
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import httpx

CORE_RULE_VERSION = "2.2.0"
PAYLOAD_TYPE_270 = "X12_270_Request_005010X279A1"
PAYLOAD_TYPE_271 = "X12_271_Response_005010X279A1"


class TransportFailed(Exception):
    def __init__(self, sentence: str, *, retryable: bool, why: str) -> None:
        super().__init__(why)
        self.sentence = sentence
        self.retryable = retryable
        self.why = why  # for the log: never a payload


UNREACHABLE = ("We could not reach your insurer's eligibility service just now. Nothing is wrong with your "
               "details.")
GARBLED = ("Your insurer's eligibility service sent an answer we could not read. A coordinator will check "
           "your coverage with your insurer.")


class Transport(Protocol):
    @property
    def name(self) -> str:
        """file or http: recorded on each check, to collect a batch transport's answers."""

    def send(self, *, text: str, control_number: int) -> str | None:
        """Send one 270; the 271 when it comes back at once, None when it comes later."""

    def collect(self, *, control_number: int) -> str | None:
        """The 271 for `control_number` if it has arrived (batch transports)."""


@dataclass(frozen=True)
class FileTransport:
    outbox: Path
    inbox: Path
    name: str = "file"

    def send(self, *, text: str, control_number: int) -> str | None:
        try:
            self.outbox.mkdir(parents=True, exist_ok=True)
            final = self.outbox / f"270_{control_number:09d}.x12"
            partial = self.outbox / f".270_{control_number:09d}.x12.part"
            partial.write_text(text, encoding="ascii")
            os.replace(partial, final)  # the clearinghouse never picks up half a file
        except OSError as exc:
            raise TransportFailed(UNREACHABLE, retryable=True, why=f"outbox not writable ({type(exc).__name__})") \
                from None
        return None

    def collect(self, *, control_number: int) -> str | None:
        named = self.inbox / f"271_{control_number:09d}.x12"
        try:
            if named.is_file():
                return named.read_text(encoding="ascii", errors="replace")
            if not self.inbox.is_dir():
                return None
            for path in sorted(self.inbox.iterdir()):
                if path.is_file() and not path.name.startswith("."):
                    text = path.read_text(encoding="ascii", errors="replace")
                    if _traces(text) & {str(control_number)}:
                        return text
        except OSError as exc:
            raise TransportFailed(UNREACHABLE, retryable=True, why=f"inbox not readable ({type(exc).__name__})") \
                from None
        return None


def _traces(text: str) -> set[str]:
    """The trace numbers (TRN02 of TRN*2) an interchange echoes, using the separators its ISA
    declares (ISA is fixed width: the element separator is its fourth character, the segment
    terminator the character after ISA16)."""
    if not text.startswith("ISA") or len(text) < 106:
        return set()
    element, terminator = text[3], text[105]
    found = set()
    for segment in text.split(terminator):
        parts = segment.strip().split(element)
        if len(parts) > 2 and parts[0] == "TRN" and parts[1] == "2":
            found.add(parts[2])
    return found


@dataclass(frozen=True)
class CoreHttpTransport:
    url: str
    sender_id: str
    receiver_id: str
    username: str
    password: str
    connect_timeout: float
    timeout: float
    name: str = "http"

    def send(self, *, text: str, control_number: int) -> str | None:
        fields = {
            "PayloadType": PAYLOAD_TYPE_270,
            "ProcessingMode": "RealTime",
            "PayloadID": str(uuid.uuid4()),
            "TimeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "SenderID": self.sender_id,
            "ReceiverID": self.receiver_id,
            "CORERuleVersion": CORE_RULE_VERSION,
        }
        if self.username:
            fields |= {"UserName": self.username, "Password": self.password}
        # Every field a part of a multipart/form-data body, as the CORE rule requires.
        files = {name: (None, value) for name, value in (fields | {"Payload": text}).items()}
        timeout = httpx.Timeout(self.timeout, connect=self.connect_timeout)
        try:
            response = httpx.post(self.url, files=files, timeout=timeout)
        except httpx.TimeoutException:
            raise TransportFailed(UNREACHABLE, retryable=True, why="timed out") from None
        except httpx.HTTPError as exc:
            raise TransportFailed(UNREACHABLE, retryable=True, why=f"not reached ({type(exc).__name__})") from None
        if response.status_code >= 500 or response.status_code in (408, 429):
            raise TransportFailed(UNREACHABLE, retryable=True, why=f"HTTP {response.status_code}")
        if response.status_code != 200:
            raise TransportFailed(GARBLED, retryable=False, why=f"HTTP {response.status_code}")
        answer = _form_fields(response.headers.get("content-type", ""), response.content)
        error_code = answer.get("ErrorCode", "Success")
        if error_code != "Success":
            retryable = error_code in {"Receiver Unavailable", "Receiver Timeout", "Sender Timeout"} or \
                "Unavailable" in error_code or "Timeout" in error_code
            raise TransportFailed(UNREACHABLE if retryable else GARBLED, retryable=retryable,
                                  why=f"CORE ErrorCode {_safe(error_code)}")
        payload = answer.get("Payload", "")
        if answer.get("PayloadType") != PAYLOAD_TYPE_271 or not payload.strip():
            raise TransportFailed(GARBLED, retryable=False, why="no 271 payload in the answer")
        return payload.strip()

    def collect(self, *, control_number: int) -> str | None:
        return None


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9 _-]", "", text)[:60]


def _form_fields(content_type: str, body: bytes) -> dict[str, str]:
    """The fields of a multipart/form-data body (the CORE answer), {} when it is not one."""
    if not content_type.lower().startswith("multipart/"):
        return {}
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", errors="replace")
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    fields: dict[str, str] = {}
    if not message.is_multipart():
        return {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        if isinstance(content, bytes):
            fields[name] = content.decode("utf-8", errors="replace")
    return fields
