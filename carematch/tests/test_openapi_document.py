"""The OpenAPI document at /api/v1/openapi.json is one that generated clients can use: every
operation has a short id and declares the 4xx answers it gives, each in the one error schema,
and non-JSON answers carry their own media type.

These rules read the document as a client gets it. That the declarations are true (no
operation answers a status, media type or header it does not declare) is proven by the
schemathesis test (carematch/tests/test_api_schemathesis.py) and, for every caller, by the
authorisation matrix (carematch/tests/test_authorisation_matrix.py).

For a new operation: give the handler the name its operation id should have, and merge
`errors(...)` (carematch/openapi.py) into its `response={...}` for the 4xx its own code gives.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

import pytest
from django.test import Client

from carematch.openapi import ERROR_REF, ERROR_STATUSES

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
APP_PREFIXES = ("carematch", "accounts", "directory", "scheduling", "matching", "measures", "care", "access", "api")
MAX_ID_LENGTH = 40
METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
HOW_TO_DECLARE = (
    "Merge errors(...) from carematch/openapi.py into the operation's response={...}, e.g. "
    "response={200: ThingOut, **errors(403, 404)}."
)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(found) >= 40, len(found)
    return found


def statuses(operation: dict[str, Any]) -> set[int]:
    return {int(status) for status in operation["responses"]}


def test_every_operation_has_a_short_unique_snake_case_id(document):
    ids = Counter(operation.get("operationId", "") for _, operation in operations(document))
    problems = []
    for key, operation in operations(document):
        op_id = operation.get("operationId", "")
        if not SNAKE_CASE.fullmatch(op_id):
            problems.append(f"{key}: {op_id!r} is not snake_case")
        elif op_id.startswith(tuple(f"{prefix}_" for prefix in APP_PREFIXES)) or "_api_" in op_id:
            problems.append(f"{key}: {op_id!r} carries its app or module; name it for what it does")
        elif len(op_id) > MAX_ID_LENGTH:
            problems.append(f"{key}: {op_id!r} is longer than {MAX_ID_LENGTH} characters")
        if ids[op_id] > 1:
            problems.append(f"{key}: {op_id!r} is the id of {ids[op_id]} operations")
    assert not problems, (
        "Operation ids are the handlers' function names (carematch.openapi.CarematchAPI); rename the "
        "function (its URL stays the same):\n" + "\n".join(problems)
    )


def test_the_natural_short_ids_are_used(document):
    ids = {key: operation["operationId"] for key, operation in operations(document)}
    assert ids["POST /api/v1/appointments"] == "book_appointment"
    assert ids["GET /api/v1/appointments/{appointment_id}/ics"] == "download_appointment_ics"
    assert ids["POST /api/v1/match"] == "find_matches"
    assert ids["GET /api/v1/me"] == "get_me"


def test_the_one_error_schema_is_a_component(document):
    error = document["components"]["schemas"]["Error"]
    assert error["type"] == "object"
    assert set(error["required"]) == {"error", "detail"}
    assert set(error["properties"]) == {"error", "detail", "fields"}
    assert error["properties"]["error"]["type"] == "string"
    assert error["properties"]["detail"]["type"] == "string"
    fields = error["properties"]["fields"]
    assert fields["type"] == "object" and fields["additionalProperties"] == {"type": "string"}
    assert "default" not in fields  # left out when there is nothing to name, never null
    assert error["additionalProperties"] is False
    assert ERROR_REF == "#/components/schemas/Error"


def test_every_4xx_answer_is_the_one_error_schema_as_json(document):
    problems = []
    for key, operation in operations(document):
        for status, answer in operation["responses"].items():
            if not 400 <= int(status) < 500:
                continue
            if int(status) not in ERROR_STATUSES:
                problems.append(f"{key} {status}: not a status of carematch.openapi.ERROR_STATUSES")
            if answer.get("content") != {"application/json": {"schema": {"$ref": ERROR_REF}}}:
                problems.append(f"{key} {status}: {answer.get('content')} instead of the Error schema")
            if not answer.get("description"):
                problems.append(f"{key} {status}: no description")
    assert not problems, "\n".join(problems)


def test_every_operation_declares_the_4xx_that_its_declaration_implies(document):
    """401 exactly where a token is needed; 422 where it takes parameters or a body (ninja's
    validation and carematch's own answer 422); 400, 413 and 415 where it reads a JSON body;
    404 where its address names a record that may be unknown or unseen."""
    problems = []
    for key, operation in operations(document):
        declared = statuses(operation)
        needs: set[int] = set()
        if operation.get("security"):
            needs.add(401)
        elif 401 in declared:
            problems.append(f"{key}: declares 401 but needs no token")
        if operation.get("parameters") or operation.get("requestBody"):
            needs.add(422)
        if operation.get("requestBody"):
            needs |= {400, 413, 415}
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            needs.add(404)
        if needs - declared:
            problems.append(f"{key}: does not declare {sorted(needs - declared)}")
        if not any(200 <= status < 300 for status in declared):
            problems.append(f"{key}: declares no success answer")
    assert not problems, HOW_TO_DECLARE + "\n" + "\n".join(problems)


@pytest.mark.django_db
def test_invalid_input_in_the_path_the_query_or_the_body_is_422(client):
    """What the declared 422 stands for: carematch answers invalid parameters and bodies with
    422 (not ninja's bare default), in the one shape naming the field."""
    from carematch.accounts.models import Role
    from carematch.accounts.tests.factories import UserFactory, auth_header

    headers = auth_header(UserFactory(role=Role.COORDINATOR))
    path = client.get("/api/v1/users/not-a-number", **headers)
    body = client.post("/api/v1/clients", data="{}", content_type="application/json", **headers)
    query = client.get("/api/v1/providers?page=0", **headers)
    for response, field in ((path, "user_id"), (body, "email"), (query, "page")):
        assert response.status_code == 422, response.content
        assert response.json()["error"] == "invalid_input"
        assert field in response.json()["fields"]


def test_non_json_answers_declare_their_own_media_type(document):
    answers = {key: operation["responses"] for key, operation in operations(document)}
    ics = answers["GET /api/v1/appointments/{appointment_id}/ics"]["200"]
    assert list(ics["content"]) == ["text/calendar"]
    assert ics["content"]["text/calendar"]["schema"] == {"type": "string"}
    assert "Content-Disposition" in ics["headers"]
    fhir = answers["GET /api/v1/audit-events/fhir"]["200"]
    assert list(fhir["content"]) == ["application/fhir+json"]
    export = answers["GET /api/v1/me/export"]["200"]
    assert sorted(export["content"]) == ["application/fhir+json", "application/json"]
    for key, responses in answers.items():
        if key.endswith(("/ics", ".ics")):
            assert all(list(answer.get("content", {})) == ["text/calendar"]
                       for status, answer in responses.items() if 200 <= int(status) < 300), key


def test_a_401_declares_how_to_authenticate(document):
    for key, operation in operations(document):
        if "401" in operation["responses"]:
            assert operation["responses"]["401"]["headers"]["WWW-Authenticate"]["required"] is True, key
