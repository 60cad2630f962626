"""271 answers for tests, from the files in fixtures/ (synthetic people), and a local test
clearinghouse speaking CAQH CORE Connectivity over HTTP on 127.0.0.1."""

from __future__ import annotations

import email.parser
import email.policy
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def answer_271(name: str, *, trace: int | str) -> str:
    """The fixture `271_<name>.x12`, answering the inquiry traced `trace`."""
    text = (FIXTURES / f"271_{name}.x12").read_text(encoding="ascii")
    return "".join(text.split("\n")).replace("{trace}", str(trace))


def segments_of(text: str) -> list[list[str]]:
    return [segment.split("*") for segment in text.split("~") if segment]


def trace_of_270(text: str) -> str:
    return next(s[2] for s in segments_of(text) if s[0] == "TRN")


def _fields(content_type: str, body: bytes) -> dict[str, str]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    found: dict[str, str] = {}
    for part in message.iter_parts():  # type: ignore[attr-defined,unused-ignore]
        content = part.get_payload(decode=True)
        found[str(part.get_param("name", header="content-disposition"))] = bytes(content).decode()
    return found


def core_answer(fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = f"core-{uuid.uuid4().hex}"
    lines = []
    for name, value in fields.items():
        lines += [f"--{boundary}", f'Content-Disposition: form-data; name="{name}"', "", value]
    lines += [f"--{boundary}--", ""]
    return "\r\n".join(lines).encode(), f"multipart/form-data; boundary={boundary}"


class Clearinghouse:
    """What the test clearinghouse answers next (`mode`), and what it received."""

    def __init__(self) -> None:
        self.mode = "active_copay"
        self.received: list[dict[str, str]] = []
        self.url = ""


@contextmanager
def local_clearinghouse() -> Iterator[Clearinghouse]:
    house = Clearinghouse()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # the test's output holds no payloads
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            fields = _fields(self.headers.get("Content-Type", ""), body)
            house.received.append(fields)
            mode = house.mode
            if mode == "timeout":
                time.sleep(1.5)
            if mode == "malformed":
                payload, content_type = b"<html>Service temporarily confused</html>", "text/html"
            elif mode == "garbled_271":
                payload, content_type = core_answer({
                    "PayloadType": "X12_271_Response_005010X279A1", "ProcessingMode": "RealTime",
                    "PayloadID": fields.get("PayloadID", ""), "CORERuleVersion": "2.2.0", "ErrorCode": "Success",
                    "ErrorMessage": "", "Payload": "ISA*00*this is not an interchange~",
                })
            elif mode == "receiver_unavailable":
                payload, content_type = core_answer({
                    "PayloadType": "CoreEnvelopeError", "ProcessingMode": "RealTime",
                    "PayloadID": fields.get("PayloadID", ""), "CORERuleVersion": "2.2.0",
                    "ErrorCode": "Receiver Unavailable", "ErrorMessage": "The payer is down for maintenance",
                })
            else:
                trace = trace_of_270(fields["Payload"])
                payload, content_type = core_answer({
                    "PayloadType": "X12_271_Response_005010X279A1", "ProcessingMode": "RealTime",
                    "PayloadID": fields.get("PayloadID", ""), "TimeStamp": "2026-12-04T16:46:00Z",
                    "SenderID": fields.get("ReceiverID", ""), "ReceiverID": fields.get("SenderID", ""),
                    "CORERuleVersion": "2.2.0", "ErrorCode": "Success", "ErrorMessage": "",
                    "Payload": answer_271(mode, trace=trace),
                })
            try:
                self.send_response(200)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (the timeout case)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    house.url = f"http://127.0.0.1:{server.server_address[1]}/core/eligibility"
    try:
        yield house
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
