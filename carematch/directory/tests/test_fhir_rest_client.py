"""`import_fhir --url BASE` against a FHIR server started here on 127.0.0.1, serving HL7's
Plan-Net examples as a paged PractitionerRole search: next pages followed, `_include`s read,
a network's payer read by id, a page that fails once asked again, and an answer that is not
FHIR refused with a clear message and nothing written."""

from __future__ import annotations

import io
import json
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import CommandError, call_command

from carematch.directory.models import Network, Provider

pytestmark = pytest.mark.django_db

EXAMPLES = json.loads((Path(__file__).parent / "data" / "fhir_plannet_hl7_examples.json").read_text())
BY_KEY = {f"{e['resource']['resourceType']}/{e['resource']['id']}": e["resource"] for e in EXAMPLES["entry"]}
# One role a page, with what the role's _includes bring; the payer Organization is in no page.
PAGES = [
    ["PractitionerRole/HansSoloRole1", "Practitioner/HansSolo", "HealthcareService/HansSoloService",
     "Location/HansSoloClinic", "Organization/AcmeofCTStdNet"],
    ["PractitionerRole/CounselorRole1", "Practitioner/Counselor", "HealthcareService/VirtualCounselService",
     "Organization/AcmeofCTStdNet"],
    ["PractitionerRole/JoeSmithRole3", "Practitioner/JoeSmith", "Organization/AcmeofCTStdNet"],
]


class Directory(BaseHTTPRequestHandler):
    """A FHIR server's directory; `server.second_page` says how page 2 answers: "fails once"
    (503, then the page), "html" (an HTML error page with 200) or "down" (always 503)."""

    def log_message(self, *args):  # quiet
        pass

    def do_GET(self):
        server = self.server
        url = urlsplit(self.path)
        server.asked[url.path + ("?page=" + parse_qs(url.query).get("page", ["1"])[0]
                                 if url.path.endswith("/PractitionerRole") else "")] += 1
        if url.path == "/fhir/PractitionerRole":
            query = parse_qs(url.query)
            page = int(query.get("page", ["1"])[0])
            if page == 1:
                assert set(query["_include"]) >= {"PractitionerRole:practitioner", "PractitionerRole:location",
                                                  "PractitionerRole:service", "PractitionerRole:network"}
            if page == 2 and server.second_page == "down":
                return self.answer(503, "application/fhir+json", {"resourceType": "OperationOutcome"})
            if page == 2 and server.second_page == "fails once" and server.asked["/fhir/PractitionerRole?page=2"] == 1:
                return self.answer(503, "text/plain", "busy")
            if page == 2 and server.second_page == "html":
                return self.answer(200, "text/html", "<html><body><h1>Service unavailable</h1></body></html>")
            bundle = {"resourceType": "Bundle", "type": "searchset", "total": len(PAGES), "link": [
                {"relation": "self", "url": f"{server.base}/PractitionerRole?page={page}"}], "entry": [
                {"fullUrl": f"{server.base}/{key}", "resource": BY_KEY[key],
                 "search": {"mode": "match" if n == 0 else "include"}} for n, key in enumerate(PAGES[page - 1])]}
            if page < len(PAGES):
                bundle["link"].append({"relation": "next", "url": f"{server.base}/PractitionerRole?page={page + 1}"})
            return self.answer(200, "application/fhir+json; charset=utf-8", bundle)
        key = url.path.removeprefix("/fhir/")
        if key in BY_KEY:
            return self.answer(200, "application/fhir+json", BY_KEY[key])
        return self.answer(404, "application/fhir+json", {"resourceType": "OperationOutcome", "issue": [
            {"severity": "error", "code": "not-found", "diagnostics": f"{key} is not here"}]})

    def answer(self, status, kind, body):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def fhir_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Directory)
    server.base = f"http://127.0.0.1:{server.server_address[1]}/fhir"
    server.asked = Counter()
    server.second_page = "fails once"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def run_import(*args):
    stdout, stderr = io.StringIO(), io.StringIO()
    error = None
    try:
        call_command("import_fhir", *args, stdout=stdout, stderr=stderr)
    except CommandError as exc:
        error = exc
    return stdout.getvalue().strip().splitlines(), stderr.getvalue().splitlines(), error


def test_a_paged_directory_is_read_whole_with_a_failed_page_asked_again(fhir_server):
    printed, problems, error = run_import("--url", fhir_server.base, "--backoff", "0")

    assert (problems, error) == ([], None)
    assert printed[-1] == "created 3, updated 0, unchanged 0, rejected 0, incomplete 3"
    assert fhir_server.asked["/fhir/PractitionerRole?page=2"] == 2  # failed once, asked again
    assert fhir_server.asked["/fhir/PractitionerRole?page=3"] == 1
    assert fhir_server.asked["/fhir/Organization/Acme"] == 1  # the network's payer, read by id
    assert set(Provider.objects.values_list("npi", "published")) == {
        ("1941339107", False), ("1941339115", False), ("1941339123", False)}
    (network,) = Network.objects.all()
    assert network.payer_name == "Acme of CT"
    assert Provider.objects.get(npi="1941339115").locations.get().postal_code == "00014-1234"


def test_an_answer_that_is_not_fhir_is_named_and_nothing_is_written(fhir_server):
    fhir_server.second_page = "html"

    _, _, error = run_import("--url", fhir_server.base, "--backoff", "0")

    assert str(error) == (f"{fhir_server.base}/PractitionerRole?page=2: answered text/html, not FHIR JSON "
                          "(application/fhir+json); is this the base address of a FHIR server?. Nothing was written")
    assert fhir_server.asked["/fhir/PractitionerRole?page=2"] == 1  # not FHIR is not asked again
    assert not Provider.objects.exists() and not Network.objects.exists()


def test_a_page_that_keeps_failing_stops_the_import_after_the_retries_and_nothing_is_written(fhir_server):
    fhir_server.second_page = "down"

    _, _, error = run_import("--url", fhir_server.base, "--retries", "2", "--backoff", "0")

    assert str(error) == f"{fhir_server.base}/PractitionerRole?page=2: answered 503, 3 times. Nothing was written"
    assert fhir_server.asked["/fhir/PractitionerRole?page=2"] == 3
    assert not Provider.objects.exists()


def test_a_base_that_is_not_a_fhir_server_address_or_is_missing_gets_a_clear_answer(fhir_server):
    assert str(run_import("--url", "ftp://example.org/fhir")[2]) == (
        "'ftp://example.org/fhir' is not the address of a FHIR server (http:// or https://). Nothing was written")
    assert str(run_import()[2]) == "give either PATH (a Bundle file) or --url BASE (a FHIR server), not both or neither"
    _, _, error = run_import("--url", fhir_server.base.replace("/fhir", "/nothing"), "--retries", "0")
    assert str(error).startswith(f"{fhir_server.base.replace('/fhir', '/nothing')}/PractitionerRole?")
    assert str(error).endswith("answered 404: /nothing/PractitionerRole is not here. Nothing was written")
