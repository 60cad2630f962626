"""What the directory asks of whoever computes openings.

The directory shows a provider's bookable openings (on the public profile, as free Slots
in the FHIR export) but does not compute them: an opening depends on bookings and holds,
which are scheduling's, and scheduling already knows the directory. So the caller passes
the function in: carematch/urls.py wires scheduling's `provider_openings` into the
profile page, and scheduling's `export_fhir` command passes it to the export. Each
opening is one session long (carematch/lib/sessions.py). The directory imports nothing from scheduling.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .models import Provider


class OpeningsOf(Protocol):
    """The start times (UTC) of a provider's bookable openings in [start, end), as seen at `now`."""

    def __call__(
        self, *, provider: Provider, start: dt.datetime, end: dt.datetime, now: dt.datetime, kind: str = "session",
    ) -> Sequence[dt.datetime]: ...


class ZoneOf(Protocol):
    """The time zone a visitor's times are shown in (the client's own), or None when the page
    should show the provider's zone; matching's `viewer_zone`, wired in carematch/urls.py."""

    def __call__(self, request: HttpRequest) -> str | None: ...


class CostOf(Protocol):
    """What a session with the provider would cost this visitor, as the results say it
    ({"sentence", "assumptions", "basis"}), or None when the visitor has not said how they
    pay; matching's `viewer_cost`, wired in carematch/urls.py."""

    def __call__(self, request: HttpRequest, provider: Provider) -> dict[str, Any] | None: ...
