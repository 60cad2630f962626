"""Types for record ids taken from URLs and bodies."""

from typing import Annotated

from pydantic import Field

# Database ids are 64-bit; anything outside is answered 422 before it reaches a query.
RecordId = Annotated[int, Field(ge=1, le=2**63 - 1)]
