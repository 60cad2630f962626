"""Domain errors raised by services.

The JSON API maps each to its status and the one error shape, once, in carematch/api.py;
pages turn them into form errors. `fields` names the inputs that were wrong and why.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Literal, Self


class DomainError(Exception):
    """`recorded` is set once a refusal has been written to the access log, so that a caller
    further up does not write it again."""

    code = "invalid_input"
    status = 422

    def __init__(self, detail: str, *, fields: dict[str, str] | None = None, code: str | None = None,
                 recorded: bool = False):
        detail = str(detail)  # a translated text may arrive lazy; it is rendered now, in the caller's language
        super().__init__(detail)
        self.detail = detail
        self.fields = {name: str(problem) for name, problem in (fields or {}).items()}
        self.recorded = recorded
        if code:
            self.code = code


class InvalidInput(DomainError):
    code = "invalid_input"
    status = 422

    @classmethod
    def for_fields(
        cls, fields: Mapping[str, str], *, summary: str = "",
        listing: Literal["problems", "names", "names_and_problems"] = "problems",
        labels: Mapping[str, str] | None = None, code: str | None = None,
    ) -> Self:
        """The error for every field in `fields` ({field: its problem}, in the order given),
        with a detail sentence that lists them:
        - listing="problems": each problem, after its field's label where `labels` has one,
          separated by semicolons ('Type "close my account" to confirm; that is not your
          password.', 'The text is required.');
        - listing="names": the field names, sorted ('Some fields are missing or invalid:
          kind, times.');
        - listing="names_and_problems": each field and its problem ('Some answers are missing
          or invalid: phq9.q1: is required; phq9.q2: must be from 0 to 3.');
        after `summary` and a colon when there is one. The sentence begins with a capital
        letter and ends with a full stop; `fields` goes with it unchanged."""
        if not fields:
            raise ValueError("for_fields needs at least one field and its problem")
        if listing == "names":
            items = ", ".join(sorted(fields))
        elif listing == "names_and_problems":
            items = "; ".join(f"{field}: {problem}" for field, problem in fields.items())
        else:
            named = labels or {}
            items = "; ".join(f"{named[field]} {problem}" if field in named else problem
                              for field, problem in fields.items())
        text = f"{summary}: {items}" if summary else items
        return cls(text[:1].upper() + text[1:] + ".", fields=dict(fields), code=code)


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
