"""How long a session is: the one length that openings, holds, bookings, the match engine,
the calendar files and the FHIR export all use.

A session is an hour. Openings start at a weekly window's start or a whole number of
sessions after it (the step between openings is the session itself), a hold or booking
runs from its start for one session, and anything that can block an opening that starts
before some moment is read up to one session past that moment. A provider can be booked
for a session only with a license that counts on every calendar date the session touches,
on the provider's clock and on the client's (`session_dates`).

Plain values only, so the match engine (which may import nothing of carematch but lib)
uses the same length as the database side.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from .timezones import zone

SESSION = dt.timedelta(hours=1)
# The same length in whole seconds, for the match engine's arrays of instants.
SESSION_SECONDS = SESSION // dt.timedelta(seconds=1)

# A free consultation call (by phone or video) is a quarter of an hour. Its openings step by
# its own length inside the same weekly windows, and it claims its quarter hour as a session
# claims its hour: no claim of a provider (or of a client) may overlap another.
CONSULTATION = dt.timedelta(minutes=15)

# The length of each kind of appointment (Appointment.kind), by its stored value.
LENGTHS = {"session": SESSION, "consultation": CONSULTATION}


def length_of(kind: str) -> dt.timedelta:
    """How long an appointment of this kind lasts; ValueError for an unknown kind."""
    try:
        return LENGTHS[kind]
    except KeyError:
        raise ValueError(f"unknown kind of appointment: {kind!r}") from None


def session_dates(
    start: dt.datetime, zone_names: Iterable[str], length: dt.timedelta = SESSION
) -> list[dt.date]:
    """The calendar dates a session starting at `start` touches on the clocks of these
    zones (its first and its last moment), sorted. The match engine computes the same for
    many openings at once (engine/slots.py)."""
    return sorted({
        moment.astimezone(zone(name)).date() for name in set(zone_names) for moment in (start, start + length)
    })
