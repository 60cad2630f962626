"""When questionnaires are asked: plain rules over plain data, no database.

- A baseline before the first session with a provider, sent with the booking confirmation
  (and again with the 24-hour reminder while it is not answered).
- Then, as the provider chooses, before every session (sent with the 24-hour reminder) or
  every 2 weeks (sent by email on its own) while the client is in their care.
- A request not answered 3 days after it was emailed on its own gets one reminder.
- After each session, the client may say in one question how well it worked for them.
"""

from __future__ import annotations

import datetime as dt

EVERY_SESSION = "every_session"
EVERY_TWO_WEEKS = "every_two_weeks"

BASELINE = "baseline"
SESSION = "session"
FORTNIGHTLY = "fortnightly"
ON_DEMAND = "on_demand"

FORTNIGHT = dt.timedelta(days=14)
IN_CARE_WITHIN = dt.timedelta(days=28)  # a session this recent (or one booked ahead) means "in care"
REMIND_AFTER = dt.timedelta(days=3)
LINK_LIFETIME = dt.timedelta(days=7)
AFTER_SESSION_GRACE = dt.timedelta(hours=24)  # a before-session link still works this long after the start
RATING_WINDOW = dt.timedelta(days=14)  # how long after a session it can be rated
LOW_RATING = 6  # a session rated this or lower alerts the coordinators

# Which appointment emails carry the link of a request tied to that appointment.
_EMAILED_WITH = {
    BASELINE: frozenset({"booked", "rescheduled", "reminder"}),
    SESSION: frozenset({"reminder"}),
}


def request_for_booking(*, cadence: str, has_baseline: bool) -> str | None:
    """The request a booked session brings: a baseline while the client has none with this
    provider, else one before the session when the provider asks before every session."""
    if not has_baseline:
        return BASELINE
    if cadence == EVERY_SESSION:
        return SESSION
    return None


def link_in_email(*, kind: str, reason: str) -> bool:
    """Whether an appointment email of `kind` carries the link of a request of `reason`."""
    return kind in _EMAILED_WITH.get(reason, frozenset())


def session_request_expiry(*, session_start: dt.datetime, now: dt.datetime) -> dt.datetime:
    """A before-session link works until a day after the session starts (and for at least a day)."""
    return max(session_start, now) + AFTER_SESSION_GRACE


def in_care(*, last_session: dt.datetime | None, next_session: dt.datetime | None, now: dt.datetime) -> bool:
    """In a provider's care: a session booked ahead, or one in the last four weeks."""
    return next_session is not None or (last_session is not None and now - last_session <= IN_CARE_WITHIN)


def fortnightly_due(*, last_asked: dt.datetime | None, now: dt.datetime) -> dt.datetime:
    """When the next every-2-weeks questionnaire is due: two weeks after the last request,
    or now if that has passed (or nothing was asked yet)."""
    if last_asked is None:
        return now
    return max(now, last_asked + FORTNIGHT)


def may_rate(*, session_end: dt.datetime, now: dt.datetime) -> bool:
    """A session can be rated once it has ended, for two weeks."""
    return session_end <= now <= session_end + RATING_WINDOW


def rating_alerts(score: int) -> bool:
    return score <= LOW_RATING
