"""The FHIR REST client of `import_fhir --url BASE`: reads a Plan-Net directory from a
payer's FHIR server into one Bundle, for the same import as a file.

It searches PractitionerRole with the `_include`s Plan-Net defines (the practitioner, the
locations, the services, the networks and the endpoints of each role), follows each
searchset's `next` link, then reads by id what the roles' resources refer to and no page
included: the payer Organization of each network (`partOf`) and the Locations of
services. A page that fails (a network error, a timeout, 429 or a 5xx answer) is asked
again, a bounded number of times, with a doubling wait; an answer that is not FHIR (another
content type, not a Bundle, an HTML error page) fails at once with a clear message. Any
failure raises FhirClientError and nothing is returned, so nothing is written.

A `next` link is followed only on the server it started from: a directory cannot send the
importer to another host.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

SEARCH = "PractitionerRole"
INCLUDES = ("PractitionerRole:practitioner", "PractitionerRole:location", "PractitionerRole:service",
            "PractitionerRole:network", "PractitionerRole:endpoint")
PAGE_SIZE = 100
MAX_PAGES = 10_000
FHIR_TYPES = ("application/fhir+json", "application/json", "application/json+fhir")
_RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class FhirClientError(Exception):
    """The directory could not be read: what went wrong, and at which address."""


@dataclass
class DirectoryReader:
    base: str
    retries: int = 3
    backoff: float = 1.0
    timeout: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    transport: httpx.BaseTransport | None = None
    pages: int = 0
    retried: int = 0
    _entries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise FhirClientError(f"{self.base!r} is not the address of a FHIR server (http:// or https://)")
        self.base = self.base.rstrip("/")
        self._origin = (parts.scheme, parts.netloc)

    def read(self) -> dict[str, Any]:
        """The whole directory as one collection Bundle."""
        headers = {"Accept": "application/fhir+json", "User-Agent": "carematch import_fhir"}
        with httpx.Client(timeout=self.timeout, headers=headers, transport=self.transport,
                          follow_redirects=False) as client:
            url: str | None = httpx.URL(f"{self.base}/{SEARCH}", params=[
                *(("_include", include) for include in INCLUDES), ("_count", str(PAGE_SIZE))]).__str__()
            while url is not None:
                self.pages += 1
                if self.pages > MAX_PAGES:
                    raise FhirClientError(f"{self.base} gave more than {MAX_PAGES} pages; stopped")
                bundle = self._get(client, url, want="Bundle")
                for entry in _objects(bundle.get("entry")):
                    self._keep(entry.get("resource"), entry.get("fullUrl"))
                url = self._next(bundle, url)
            for kind, ident in sorted(self._unresolved()):
                self._keep(self._get(client, f"{self.base}/{kind}/{ident}", want=kind), None)
        return {"resourceType": "Bundle", "type": "collection",
                "entry": [{"fullUrl": key, "resource": resource} for key, resource in self._entries.items()]}

    def _keep(self, resource: Any, full_url: Any) -> None:
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            return
        ident = resource.get("id")
        key = f"{self.base}/{resource['resourceType']}/{ident}" if isinstance(ident, str) and ident else \
            (full_url if isinstance(full_url, str) and full_url else f"urn:entry:{len(self._entries)}")
        self._entries.setdefault(key, resource)

    def _have(self, kind: str, ident: str) -> bool:
        return f"{self.base}/{kind}/{ident}" in self._entries

    def _unresolved(self) -> set[tuple[str, str]]:
        """Payers of networks and Locations of services that no page included."""
        wanted: set[tuple[str, str]] = set()
        for resource in list(self._entries.values()):
            kind = resource.get("resourceType")
            references: Iterable[Any] = ()
            if kind == "Organization":
                references = [resource.get("partOf")]
            elif kind == "HealthcareService":
                references = _objects(resource.get("location"))
            for reference in references:
                target = _relative(reference, self.base)
                if target and not self._have(*target):
                    wanted.add(target)
        return wanted

    def _next(self, bundle: dict[str, Any], current: str) -> str | None:
        for link in _objects(bundle.get("link")):
            if link.get("relation") == "next" and isinstance(link.get("url"), str) and link["url"]:
                target = str(httpx.URL(current).join(link["url"]))
                parts = urlsplit(target)
                if (parts.scheme, parts.netloc) != self._origin:
                    raise FhirClientError(f"{current}: the next page is on another server ({parts.netloc}); "
                                          "carematch follows next links only on the server it was given")
                if target == current:
                    raise FhirClientError(f"{current}: the next page is the same page")
                return target
        return None

    def _get(self, client: httpx.Client, url: str, *, want: str) -> dict[str, Any]:
        attempt = 0
        while True:
            try:
                answer = client.get(url)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                problem = f"no answer ({type(exc).__name__})"
            else:
                if answer.status_code not in _RETRY_STATUSES:
                    return _fhir(answer, url, want=want)
                problem = f"answered {answer.status_code}"
            if attempt >= self.retries:
                raise FhirClientError(f"{url}: {problem}, {attempt + 1} times")
            self.sleep(self.backoff * 2 ** attempt)
            attempt += 1
            self.retried += 1


def _fhir(answer: httpx.Response, url: str, *, want: str) -> dict[str, Any]:
    kind = answer.headers.get("content-type", "").split(";")[0].strip().lower()
    if answer.status_code >= 400:
        detail = _outcome_text(answer) if kind in FHIR_TYPES else ""
        raise FhirClientError(f"{url}: answered {answer.status_code}{': ' + detail if detail else ''}")
    if answer.status_code != 200:
        raise FhirClientError(f"{url}: answered {answer.status_code}, not 200 with FHIR JSON")
    if kind not in FHIR_TYPES:
        shown = kind or "no content type"
        raise FhirClientError(f"{url}: answered {shown}, not FHIR JSON (application/fhir+json); is this the base "
                              "address of a FHIR server?")
    try:
        data = json.loads(answer.content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise FhirClientError(f"{url}: the answer is not JSON, though it says {kind}") from None
    if not isinstance(data, dict) or data.get("resourceType") != want:
        found = data.get("resourceType") if isinstance(data, dict) else type(data).__name__
        raise FhirClientError(f"{url}: answered a {found!s:.40}, not a {want}")
    return data


def _outcome_text(answer: httpx.Response) -> str:
    try:
        data = json.loads(answer.content)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return ""
    if not isinstance(data, dict) or data.get("resourceType") != "OperationOutcome":
        return ""
    texts = [str(issue.get("diagnostics") or (issue.get("details") or {}).get("text") or "")
             for issue in _objects(data.get("issue"))]
    return "; ".join(text for text in texts if text)[:300]


def _objects(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _relative(reference: Any, base: str) -> tuple[str, str] | None:
    """`Type/id` of a reference to this server, or None."""
    if not isinstance(reference, dict) or not isinstance(reference.get("reference"), str):
        return None
    target = reference["reference"]
    if target.startswith(base + "/"):
        target = target[len(base) + 1:]
    parts = target.split("/_history/")[0].split("/")
    if len(parts) != 2 or not all(parts) or "://" in target:
        return None
    return parts[0], parts[1]


def directory_read(
    base: str, *, retries: int, backoff: float, timeout: float, sleep: Callable[[float], None] = time.sleep,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, Any]:
    """The Plan-Net directory at `base` as one collection Bundle (see the module)."""
    return DirectoryReader(base, retries=retries, backoff=backoff, timeout=timeout, sleep=sleep,
                           transport=transport).read()
