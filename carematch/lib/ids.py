"""Types for record ids taken from URLs and bodies."""

from typing import Annotated

from pydantic import Field

# Database ids are 64-bit; anything outside is answered 422 before it reaches a query.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class RecordIdConverter:
    """URL converter for a database id: 1 to 2**63 - 1. Anything larger is no page at all
    (404), not a failed query."""

    regex = "[1-9][0-9]{0,18}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > 2**63 - 1:
            raise ValueError(value)
        return number

    def to_url(self, value: int) -> str:
        return str(value)
