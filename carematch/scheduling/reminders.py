"""When a session's reminder is due, and what the confirmation may promise about it.

A session booked at least a day ahead is reminded of 24 hours before it starts ("the day
before"). One booked sooner is reminded of an hour before it starts, when there is time for
that; one booked later than that gets no reminder, and nothing promises one. A reminder is
only planned when it falls at least REMINDER_MARGIN after the booking, so that it never
arrives together with the confirmation. Plain values only: the services decide the reminder
with this when they book or move a session, and the emails and the session page say it
from the same answer."""

from __future__ import annotations

import datetime as dt

DAY_BEFORE = dt.timedelta(hours=24)
HOUR_BEFORE = dt.timedelta(hours=1)
REMINDER_MARGIN = dt.timedelta(minutes=5)


def reminder_due(*, start: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When the reminder of a session starting at `start`, booked (or moved) at `now`, is
    sent: 24 hours before, else an hour before, else None (no reminder)."""
    for before in (DAY_BEFORE, HOUR_BEFORE):
        if start - before >= now + REMINDER_MARGIN:
            return start - before
    return None


def reminder_promise(*, start: dt.datetime, due: dt.datetime | None) -> str:
    """The sentence a confirmation says about the reminder: the truth about `due`, or ""."""
    if due is None:
        return ""
    if start - due >= DAY_BEFORE:
        return "We will remind you the day before."
    if start - due >= HOUR_BEFORE:
        return "We will remind you an hour before."
    return ""
