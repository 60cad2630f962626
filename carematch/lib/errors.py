"""Domain errors raised by services.

The JSON API maps each to its status and the one error shape, once, in carematch/api.py;
pages turn them into form errors. `fields` names the inputs that were wrong and why.
"""

from __future__ import annotations

import math


class DomainError(Exception):
    """`recorded` is set once a refusal has been written to the access log, so that a caller
    further up does not write it again."""

    code = "invalid_input"
    status = 422

    def __init__(self, detail: str, *, fields: dict[str, str] | None = None, code: str | None = None,
                 recorded: bool = False):
        super().__init__(detail)
        self.detail = detail
        self.fields = fields or {}
        self.recorded = recorded
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422


class NotFound(DomainError):
    code = "not_found"
    status = 404


class Forbidden(DomainError):
    code = "forbidden"
    status = 403


class Conflict(DomainError):
    code = "conflict"
    status = 409


class TooManyRequests(DomainError):
    """A limit on how often something may be done was reached; `retry_after` is how many
    seconds until it may be done again (the API sends it as Retry-After)."""

    code = "rate_limited"
    status = 429

    def __init__(self, detail: str, *, retry_after: float, fields: dict[str, str] | None = None,
                 code: str | None = None):
        super().__init__(detail, fields=fields, code=code)
        self.retry_after = max(1, math.ceil(retry_after))
