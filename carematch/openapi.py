"""What the OpenAPI document at /api/v1/openapi.json says about each operation's answers, so that
clients generated from it can read every answer carematch gives.

- `Error`: the one error shape, a component of the document used by every 4xx answer.
- `errors(403, 404, 409)`: the 4xx answers an operation's own code gives (its handler, the
  access policy, its services), merged into the decorator's `response={...}`.
- The answers that follow from the operation's declaration alone are added here, for every
  operation alike, by `CarematchAPI.get_openapi_schema`: 401 where it needs a token, 422 where
  it takes parameters or a body, and 400, 413 and 415 where it reads a JSON body.
- `answered_as("text/calendar")`: the media types of a success answer that is not the JSON of
  a schema (a calendar file, a FHIR Bundle), for the decorator's `openapi_extra`.
- Operation ids are the handlers' function names (`book_appointment`), not ninja's
  module-path default.

carematch/tests/test_openapi_document.py holds every operation to this, and the schemathesis
test fails on any status or media type an operation answers without declaring it.
"""

from __future__ import annotations

from typing import Annotated, Any

from ninja import NinjaAPI, Schema
from ninja.openapi.schema import OpenAPISchema
from pydantic import ConfigDict, Field, WithJsonSchema

ERROR_REF = "#/components/schemas/Error"

# Every 4xx an operation can declare, with what it tells a client. A status missing here
# cannot be declared: add it (and its handling in carematch/api.py) first.
ERROR_STATUSES: dict[int, str] = {
    400: "The body is not valid JSON (or is missing).",
    401: "No valid API token was sent: send 'Authorization: Bearer <token>'.",
    403: "The caller's role may not do this.",
    404: "No such record, or none the caller may see (the two are not told apart).",
    409: "The request conflicts with the record's current state, e.g. the opening was just taken.",
    413: "The body is too large.",
    415: "The body was not sent as application/json.",
    422: "A parameter or field is missing or invalid; `fields` names each one and its problem.",
    429: "Too many requests: wait, then try again.",
}

# Added to every operation from its own declaration (see module docstring).
TOKEN_ERRORS = (401,)
INPUT_ERRORS = (422,)
BODY_ERRORS = (400, 413, 415)

FHIR_BUNDLE: dict[str, Any] = {
    "type": "object", "description": "A FHIR R4B Bundle resource.",
    "properties": {"resourceType": {"type": "string", "const": "Bundle"}}, "required": ["resourceType"],
}

WWW_AUTHENTICATE = {
    "description": "How to authenticate: Bearer realm=\"carematch\".",
    "required": True,
    "schema": {"type": "string"},
}


def _error_schema_extra(schema: dict[str, Any]) -> None:
    # `fields` is left out when there is nothing to name, never sent as null.
    schema["properties"]["fields"].pop("default", None)
    schema["examples"] = [{"error": "invalid_input", "detail": "Some fields are missing or invalid: start.",
                           "fields": {"start": "this field is required"}}]


class Error(Schema):
    """Every error carematch answers, from every operation, has this shape."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=lambda schema: _error_schema_extra(schema))

    error: str = Field(description="A code for programs: not_found, forbidden, conflict, slot_taken, invalid_input, "
                                   "invalid_slot, unauthenticated, ...")
    detail: str = Field(description="A sentence a person can act on.")
    fields: Annotated[
        dict[str, str] | None,
        WithJsonSchema({"type": "object", "additionalProperties": {"type": "string"},
                        "description": "Present only when input was invalid: each field (or parameter) "
                                       "named with its problem."}),
    ] = None


def errors(*statuses: int) -> dict[int, type[Error]]:
    """The 4xx answers an operation's own code gives, each in the one error shape, to merge
    into its decorator: `response={201: AppointmentOut, **errors(403, 404, 409)}`.

    Declare 403 where a role can be refused, 404 where the operation looks up a record the
    caller may not see, 409/422/429 where its services raise them. 401, 422 for invalid
    input, and 400/413/415 for a body are added by the API for every operation that takes a
    token, input or a body."""
    unknown = sorted(set(statuses) - set(ERROR_STATUSES))
    if unknown:
        raise ValueError(f"errors() takes the 4xx statuses of carematch.openapi.ERROR_STATUSES, not {unknown}")
    return dict.fromkeys(sorted(statuses), Error)


def answered_as(*media_types: str, status: int = 200, schema: dict[str, Any] | None = None,
                headers: dict[str, str] | None = None) -> dict[str, Any]:
    """`openapi_extra` for an operation whose success answer is not the JSON of a schema: its
    media types (each with `schema`, text by default) and its headers (name -> description).
    Declare that status as `None` in `response={...}` so that ninja adds no JSON of its own."""
    shape = schema or {"type": "string"}
    answer: dict[str, Any] = {"content": {media_type: {"schema": shape} for media_type in media_types}}
    if headers:
        answer["headers"] = {name: {"description": text, "schema": {"type": "string"}}
                             for name, text in headers.items()}
    return {"responses": {status: answer}}


def complete_answers(operation: dict[str, Any]) -> None:
    """Add the 4xx answers that follow from the operation's declaration (in the one error
    shape), and give every 4xx answer a description a client can show. What an operation
    declared itself is kept as it is, so that a 4xx of another shape stays visible to the test."""
    responses: dict[Any, Any] = operation["responses"]
    derived: list[int] = []
    if operation.get("security"):
        derived += TOKEN_ERRORS
    if operation.get("parameters") or operation.get("requestBody"):
        derived += INPUT_ERRORS
    if operation.get("requestBody"):
        derived += BODY_ERRORS
    for status in derived:
        if status not in responses and str(status) not in responses:
            responses[status] = {"content": {"application/json": {"schema": {"$ref": ERROR_REF}}}}
    for status, answer in responses.items():
        if 400 <= int(status) < 500:
            answer["description"] = ERROR_STATUSES.get(int(status), answer.get("description", ""))
            if int(status) == 401:
                answer.setdefault("headers", {}).setdefault("WWW-Authenticate", WWW_AUTHENTICATE)
    operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))


class CarematchAPI(NinjaAPI):
    """ninja's API with the document described above."""

    def get_openapi_operation_id(self, operation: Any) -> str:
        name: str = operation.view_func.__name__
        return name

    def get_openapi_schema(self, *, path_prefix: str | None = None,
                           path_params: dict[str, Any] | None = None) -> OpenAPISchema:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for item in document["paths"].values():
            for operation in item.values():
                complete_answers(operation)
        document["components"]["schemas"]["Error"] = Error.model_json_schema()
        return document
