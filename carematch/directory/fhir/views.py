"""The public, read-only FHIR R4 directory under /fhir/ (Da Vinci PDex Plan-Net): no log-in, limited
per address, answering application/fhir+json. Input and output only: publish.py answers."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

from carematch.accounts import throttle
from carematch.replica import replica_reads

from . import publish
from .responses import fhir_response, operation_outcome
from .search import FHIR_ID, RESOURCE_TYPES, SearchError, parse_search

View = Callable[..., HttpResponse]


def fhir_endpoint(view: View) -> View:
    """GET and HEAD only, counted against the caller's address, errors as OperationOutcomes."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            response = operation_outcome(405, code="not-supported",
                                         diagnostics="This directory is read-only: GET only.")
            response["Allow"] = "GET, HEAD"
            return response
        retry_after = throttle.fhir_request_retry_after(address=throttle.client_address(request))
        if retry_after is not None:
            response = operation_outcome(429, code="throttled",
                                         diagnostics=f"Too many requests. Try again in {retry_after} seconds.")
            response["Retry-After"] = str(retry_after)
            return response
        try:
            with replica_reads():  # the public directory may be a moment behind
                return view(request, *args, **kwargs)
        except SearchError as exc:
            return operation_outcome(400, code="invalid", diagnostics=exc.detail, expression=exc.param)
        except publish.NotFound as exc:
            return operation_outcome(404, code="not-found", diagnostics=str(exc))

    return wrapped


def _known_type(resource_type: str) -> None:
    if resource_type not in RESOURCE_TYPES:
        raise publish.NotFound(f"'{resource_type}' is not a resource type of this directory "
                               f"(it serves {', '.join(RESOURCE_TYPES)})")


@fhir_endpoint
def fhir_metadata(request: HttpRequest) -> HttpResponse:
    return fhir_response(publish.capability_statement())


@fhir_endpoint
def fhir_search(request: HttpRequest, resource_type: str) -> HttpResponse:
    _known_type(resource_type)
    query = [(name, value) for name, values in request.GET.lists() for value in values]
    return fhir_response(publish.search_bundle(parse_search(resource_type, query)))


@fhir_endpoint
def fhir_read(request: HttpRequest, resource_type: str, resource_id: str) -> HttpResponse:
    _known_type(resource_type)
    if not FHIR_ID.match(resource_id):
        raise publish.NotFound(f"'{resource_id}' is not a resource id")
    return fhir_response(publish.read(resource_type, resource_id))


@fhir_endpoint
def fhir_unknown(request: HttpRequest, rest: str) -> HttpResponse:
    raise publish.NotFound(f"/fhir/{rest} is not an address of this directory")
