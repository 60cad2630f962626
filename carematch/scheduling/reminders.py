"""When a session's reminders are due, and what the confirmation may promise about them.

Reminders go CAREMATCH_REMINDER_HOURS before a session (by default 24 hours, "the day
before", and 1 hour). Each is planned only when it falls at least REMINDER_MARGIN after the
booking (or move), so that none arrives together with the confirmation: a session booked
five hours ahead is reminded an hour before only, one booked later than that gets none, and
nothing promises one that will not come. The appointment keeps the next one due
(`reminder_due_at`); once it is sent, the next is the following planned moment. Plain values
only: the services decide the reminders with this when they book or move a session, and the
emails and the session page say them from the same answer."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

DAY_BEFORE = dt.timedelta(hours=24)
HOUR_BEFORE = dt.timedelta(hours=1)
REMINDER_MARGIN = dt.timedelta(minutes=5)


def reminder_offsets() -> list[dt.timedelta]:
    """How long before the start each reminder goes, longest first (CAREMATCH_REMINDER_HOURS)."""
    return [dt.timedelta(hours=hours) for hours in sorted(set(settings.REMINDER_HOURS), reverse=True)]


def reminders_due(*, start: dt.datetime, now: dt.datetime) -> list[dt.datetime]:
    """Every reminder of a session starting at `start`, booked (or moved) at `now`, soonest first."""
    return [start - before for before in reminder_offsets() if start - before >= now + REMINDER_MARGIN]


def reminder_due(*, start: dt.datetime, now: dt.datetime) -> dt.datetime | None:
    """When the first reminder of a session starting at `start`, booked (or moved) at `now`, is
    sent, or None (no reminder at all)."""
    due = reminders_due(start=start, now=now)
    return due[0] if due else None


def reminder_after(*, start: dt.datetime, sent_due: dt.datetime) -> dt.datetime | None:
    """The reminder planned after the one due at `sent_due`, or None. Every later planned moment
    was ahead when the session was booked, since the earlier one was."""
    later = [start - before for before in reminder_offsets() if start - before > sent_due]
    return min(later) if later else None


def _before(offset: dt.timedelta) -> str:
    if offset == DAY_BEFORE:
        return _("the day before")
    if offset == HOUR_BEFORE:
        return _("an hour before")
    hours = offset // dt.timedelta(hours=1)
    return ngettext("%(hours)s hour before", "%(hours)s hours before", hours) % {"hours": hours}


def reminder_promise(*, start: dt.datetime, due: dt.datetime | None, again: bool = False,
                     each: bool = False) -> str:
    """The sentence a confirmation says about the reminders from `due` on: the truth, or ""
    (`again`: after one was sent already; `each`: of every session of a series)."""
    if due is None:
        return ""
    moments = [due]
    while (following := reminder_after(start=start, sent_due=moments[-1])) is not None:
        moments.append(following)
    words = [_before(start - moment) for moment in moments]
    said = words[0] if len(words) == 1 else _("%(first)s and %(last)s") % {
        "first": ", ".join(words[:-1]), "last": words[-1]}
    if each:
        return _("We will remind you of each session %(when)s.") % {"when": said}
    if again:
        return _("We will remind you again %(when)s.") % {"when": said}
    return _("We will remind you %(when)s.") % {"when": said}
