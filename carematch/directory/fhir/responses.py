"""Answers of the public FHIR API: FHIR JSON with its media type, and OperationOutcomes."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

FHIR_JSON = "application/fhir+json; charset=utf-8"
PREFIX = "/fhir/"


def fhir_response(resource: dict[str, Any], *, status: int = 200) -> HttpResponse:
    response = HttpResponse(json.dumps(resource, ensure_ascii=False, separators=(",", ":")),
                            content_type=FHIR_JSON, status=status)
    # A public directory is read by apps in browsers too; it takes no credentials.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def operation_outcome(status: int, *, code: str, diagnostics: str, expression: str = "") -> HttpResponse:
    """One error issue: `code` is FHIR's issue type (invalid, not-found, not-supported, throttled)."""
    issue: dict[str, Any] = {"severity": "error", "code": code, "diagnostics": diagnostics}
    if expression:
        issue["expression"] = [expression]
    return fhir_response({"resourceType": "OperationOutcome", "issue": [issue]}, status=status)
