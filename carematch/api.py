"""The JSON API at /api/v1/: authentication, the one error shape, and the apps' routers.

Every error from every endpoint is
    {"error": "<machine code>", "detail": "<sentence a person can act on>", "fields": {...}}
with `fields` present only where input was invalid. Ninja's own errors, domain errors
from services, Django's errors and anything that escapes as a non-JSON error response
(unknown URLs, wrong methods, oversized bodies) are all turned into that shape here.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    ObjectDoesNotExist,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
)
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext, gettext_lazy
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from carematch.api_base import BearerToken
from carematch.directory.fhir.responses import PREFIX as FHIR_PREFIX
from carematch.directory.fhir.responses import operation_outcome
from carematch.lib.errors import DomainError, TooManyRequests
from carematch.openapi import CarematchAPI, Error

logger = logging.getLogger("carematch.api")

API_PREFIX = "/api/"

# The machine codes never change with the language; `detail` (and each field's problem) is
# written in the caller's language: the language cookie, else Accept-Language, else English.
ERROR_CODES: dict[int, tuple[str, str | Promise]] = {
    400: ("bad_request", gettext_lazy("The request could not be read. Send a JSON body with the documented fields.")),
    401: ("unauthenticated", gettext_lazy("Send a valid API token in the header 'Authorization: Bearer <token>'.")),
    403: ("forbidden", gettext_lazy("Your account is not allowed to do this.")),
    404: ("not_found", gettext_lazy("Nothing was found at this address.")),
    405: ("method_not_allowed", gettext_lazy("This address does not accept that HTTP method.")),
    409: ("conflict", gettext_lazy("This conflicts with the current state of the record.")),
    413: ("too_large", gettext_lazy("The request body is too large.")),
    415: ("unsupported_media_type", gettext_lazy("Send the body as application/json.")),
    422: ("invalid_input", gettext_lazy("Some fields are missing or invalid.")),
    429: ("rate_limited", gettext_lazy("Too many requests. Wait a moment and try again.")),
    500: ("server_error", gettext_lazy("Something went wrong on our side. It has been logged; please try again.")),
    503: ("unavailable", gettext_lazy("The service is temporarily unavailable. Please try again shortly.")),
}


def error_body(status: int, *, code: str | None = None, detail: str | None = None,
               fields: dict[str, str] | None = None) -> dict[str, Any]:
    default_code, default_detail = ERROR_CODES.get(
        status, ("client_error" if status < 500 else "server_error", gettext_lazy("The request failed."))
    )
    body: dict[str, Any] = {"error": code or default_code, "detail": str(detail or default_detail)}
    if fields:
        body["fields"] = {name: str(problem) for name, problem in fields.items()}
    return body


def in_request_language(request: HttpRequest) -> translation.override:
    """The caller's language, for an answer made outside LocaleMiddleware (the middlewares
    below run before it): the same choice it makes, cookie first, then Accept-Language."""
    return translation.override(translation.get_language_from_request(request))


def error_response(status: int, **kwargs: Any) -> JsonResponse:
    response = JsonResponse(error_body(status, **kwargs), status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="carematch"'
    return response


# --- Request bodies ------------------------------------------------------------------------

class UnsupportedMediaType(Exception):
    def __init__(self, media_type: str):
        super().__init__(media_type)
        self.media_type = media_type


class NulCharacter(Exception):
    """A text value in the body holds a NUL character, which no field accepts (and which
    PostgreSQL cannot store)."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


def _refuse_nul(value: Any, path: str = "") -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise NulCharacter(path or "body")
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                raise NulCharacter(path or "body")
            _refuse_nul(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _refuse_nul(item, f"{path}.{index}" if path else str(index))


class JsonBodyParser(Parser):
    """Bodies are JSON, sent as application/json (or a +json type). Anything else (plain
    text, forms, multipart, XML) is refused with 415, even when its bytes happen to be JSON:
    the documented contract, and a plain-text body is one a cross-site form can send."""

    def parse_body(self, request: HttpRequest) -> Any:
        media_type = (request.content_type or "").lower()
        if media_type != "application/json" and not media_type.endswith("+json"):
            raise UnsupportedMediaType(media_type)
        body = super().parse_body(request)
        _refuse_nul(body)
        return body


api = CarematchAPI(
    title="carematch API",
    version="1",
    description=(
        "Find a licensed therapist who fits, and book a first session within 48 hours.\n\n"
        "Every error has one shape, the `Error` schema: `{\"error\": \"<code>\", \"detail\": \"<sentence>\", "
        "\"fields\": {...}}`, `fields` only when input was invalid. Each operation lists the 4xx answers it gives. "
        "Any address also answers, in the same shape, 404 for an address that is not an operation, 405 for a "
        "method it does not take, 400 for a request Django refuses before any operation sees it (too many query "
        "parameters, a bad Host), 422 for a query parameter holding a NUL character, and 500 or 503 when "
        "something fails on our side."
    ),
    auth=BearerToken(),
    parser=JsonBodyParser(),
    urls_namespace="api-v1",
)


# --- Errors --------------------------------------------------------------------------------

_LOCATIONS = {"body", "query", "path", "header", "cookie", "form", "file"}


def _field_name(loc: Iterable[Any], *, single_body_param: bool) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in _LOCATIONS:
        where = parts.pop(0)
        # A JSON body arrives under its parameter's name; the caller knows only the fields.
        if where == "body" and single_body_param and len(parts) > 1:
            parts.pop(0)
        if not parts:
            return where
    return ".".join(parts) or "body"


def _problem(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "is invalid"))
    if error.get("type") == "missing":
        return gettext("this field is required")
    if translation.get_language() != settings.LANGUAGE_CODE:
        # The validator's own words are English; in another language, say the same plainly.
        return gettext("is not a valid value")
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields: dict[str, str] = {}
    for error in exc.errors:
        name = _field_name(error.get("loc", ()), single_body_param=True)
        fields.setdefault(name, _problem(error))
    listed = ", ".join(sorted(fields))
    return error_response(
        422,
        code="invalid_input",
        detail=gettext("Some fields are missing or invalid: %(fields)s.") % {"fields": listed},
        fields=fields,
    )


@api.exception_handler(AuthenticationError)
def _authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, UnsupportedMediaType):
        sent = exc.__cause__.media_type[:60] or "no content type"
        return error_response(
            415,
            detail=gettext("The body was sent as %(type)s. Send it as application/json.") % {"type": sent},
        )
    if isinstance(exc.__cause__, NulCharacter):
        field = exc.__cause__.field[:100]
        return error_response(
            422,
            code="invalid_input",
            detail=gettext("The field %(field)s holds a NUL character, which is not allowed.") % {"field": field},
            fields={field: gettext("must not contain NUL characters")},
        )
    status = exc.status_code
    detail = str(ERROR_CODES.get(status, ("", str(exc)))[1]) if status >= 500 else str(exc)
    if status == 400 and detail.startswith("Cannot parse request body"):
        detail = gettext("The request body is not valid JSON.")
    return error_response(status, detail=detail)


@api.exception_handler(DomainError)
def _domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    response = error_response(exc.status, code=exc.code, detail=exc.detail, fields=exc.fields or None)
    if isinstance(exc, TooManyRequests):
        response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404)


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(404)


@api.exception_handler(PermissionDenied)
def _permission_denied(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(403)


@api.exception_handler(RequestDataTooBig)
def _too_large(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(413)


@api.exception_handler(MultiPartParserError)
def _bad_multipart(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A file upload whose multipart body cannot be read (no boundary, cut short).
    return error_response(400, detail=gettext("The request body is not valid multipart/form-data."))


@api.exception_handler(SuspiciousOperation)
def _suspicious(request: HttpRequest, exc: Exception) -> HttpResponse:
    return error_response(400)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # The exception type and where it happened only: never the request body or headers.
    logger.error("unhandled %s in %s %s", type(exc).__name__, request.method, request.path, exc_info=exc)
    return error_response(500)


class ApiErrorShapeMiddleware:
    """Gives errors that never reached an API handler the one JSON shape.

    Unknown addresses under /api/, wrong methods, bodies over the size limit and server
    errors are answered by Django before or around ninja, as HTML or plain text.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith("application/json")
        ):
            with in_request_language(request):
                shaped = error_response(response.status_code)
            if response.has_header("Allow"):
                shaped["Allow"] = response["Allow"]
            return shaped
        return response


class NulCharacterMiddleware:
    """No field anywhere accepts a NUL character (and PostgreSQL cannot store one), so a
    query parameter holding one is refused before any view sees it: a 422 in the one shape
    naming the parameter on the API, a 400 page elsewhere. JSON bodies are checked by the
    API's parser; page forms refuse it as a field error."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        on_api = request.path.startswith(API_PREFIX)
        for source in (request.GET,):
            for name, values in source.lists():
                if "\x00" in name or any("\x00" in value for value in values):
                    field = name.replace("\x00", "")[:100] or "query"
                    if request.path.startswith(FHIR_PREFIX):
                        return operation_outcome(
                            400,
                            code="invalid",
                            expression=field,
                            diagnostics=f"The parameter {field} holds a NUL character.",
                        )
                    if on_api:
                        with in_request_language(request):
                            return error_response(
                                422,
                                code="invalid_input",
                                detail=gettext("The parameter %(field)s holds a NUL character, which is not allowed.")
                                % {"field": field},
                                fields={field: gettext("must not contain NUL characters")},
                            )
                    raise BadRequest(f"{field} holds a NUL character")
        return self.get_response(request)


# --- Endpoints of the API itself ---------------------------------------------------------


class HealthOut(Schema):
    status: str


@api.get("/health", auth=None, response={200: HealthOut, 503: Error}, tags=["service"])
def health(request: HttpRequest) -> Any:
    """Answers {"status": "ok"} when the service and its database are up. No token needed."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        logger.warning("health check: database unreachable")
        return error_response(503)
    return {"status": "ok"}


def _register_routers() -> None:
    from carematch.access.api import router as audit_router
    from carematch.access.data_api import router as data_router
    from carematch.accounts.api import router as accounts_router
    from carematch.care.api import router as care_router
    from carematch.coverage.api import router as coverage_router
    from carematch.directory.api import router as directory_router
    from carematch.learn.api import router as learn_router
    from carematch.matching.api import router as matching_router
    from carematch.measures.api import router as measures_router
    from carematch.messaging.api import router as messaging_router
    from carematch.newsletter.api import router as newsletter_router
    from carematch.scheduling.api import router as scheduling_router

    api.add_router("/", accounts_router)
    api.add_router("/", directory_router)
    api.add_router("/", scheduling_router)
    api.add_router("/", matching_router)
    api.add_router("/", measures_router)
    api.add_router("/", care_router)
    api.add_router("/", messaging_router)
    api.add_router("/", coverage_router)
    api.add_router("/", data_router)
    api.add_router("/", audit_router)
    api.add_router("/", learn_router)
    api.add_router("/", newsletter_router)


_register_routers()
