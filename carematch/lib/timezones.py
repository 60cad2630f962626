"""IANA time zones."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from functools import lru_cache

from django.utils import dateformat
from django.utils.translation import gettext, gettext_noop, pgettext

from .geo import zip_timezone


@lru_cache(maxsize=1)
def _available() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_time_zone(name: str) -> bool:
    return name in _available()


@lru_cache(maxsize=1024)
def zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


# How times read on pages and in emails. Always a local (aware) time: the zone's
# abbreviation says which clock it is.

US_ZONES = (
    ("America/New_York", gettext_noop("Eastern time (New York)")),
    ("America/Chicago", gettext_noop("Central time (Chicago)")),
    ("America/Denver", gettext_noop("Mountain time (Denver)")),
    ("America/Phoenix", gettext_noop("Arizona time (Phoenix)")),
    ("America/Los_Angeles", gettext_noop("Pacific time (Los Angeles)")),
    ("America/Anchorage", gettext_noop("Alaska time (Anchorage)")),
    ("Pacific/Honolulu", gettext_noop("Hawaii time (Honolulu)")),
)


def us_zones() -> list[tuple[str, str]]:
    """US_ZONES named in the active language (form choices: a callable, read when shown)."""
    return [(name, gettext(label)) for name, label in US_ZONES]


# One format for a moment across the site, pages, emails and calendar files alike:
# "Thu 3 Dec, 5:00 PM MST", in Spanish "jue 3 dic, 5:00 p. m. MST" (the active language's:
# a page's, or the reader's inside `speaking(...)`; the order of the parts and the names of
# days, months and the half of the day come from the catalogue). The year is added
# ("Thu 3 Dec 2027, 5:00 PM MST") whenever the
# date is not between a month ago and about eleven months ahead: inside that window (less than
# a year long) a day and a month name one date only, so a date is never ambiguous.
YEAR_NOT_NEEDED_BEFORE = dt.timedelta(days=31)
YEAR_NOT_NEEDED_AFTER = dt.timedelta(days=320)


def _needs_year(day: dt.date, today: dt.date) -> bool:
    return not today - YEAR_NOT_NEEDED_BEFORE <= day <= today + YEAR_NOT_NEEDED_AFTER


def _today_on_clock_of(moment: dt.datetime) -> dt.date:
    return dt.datetime.now(moment.tzinfo or dt.UTC).date()


def day_label(moment: dt.datetime, *, today: dt.date | None = None) -> str:
    """`Thu 3 Dec`, or `Thu 3 Dec 2027` when the year is needed (see above). `today` is the
    date on the moment's own clock (now, unless given)."""
    if _needs_year(moment.date(), today or _today_on_clock_of(moment)):
        # Translators: a date with its year, as Django's date format letters: "Thu 3 Dec 2027".
        return dateformat.format(moment, pgettext("date format", "D j M Y"))
    # Translators: a date without its year, as Django's date format letters: "Thu 3 Dec".
    return dateformat.format(moment, pgettext("date format", "D j M"))


def clock_label(moment: dt.datetime) -> str:
    """`9:00 AM MST` (`9:00 a. m. MST` in Spanish): the zone's short name says which clock it is."""
    half = pgettext("time of day", "AM") if moment.hour < 12 else pgettext("time of day", "PM")
    return f"{moment.hour % 12 or 12}:{moment:%M} {half} {moment:%Z}"


def moment_label(moment: dt.datetime, *, today: dt.date | None = None) -> str:
    """The site's one format for a moment: `Thu 3 Dec, 5:00 PM MST` (with the year when it
    is needed: `Thu 3 Dec 2027, 5:00 PM MST`), on the clock of the moment's own zone: pass
    it already in the viewer's zone (`in_zone`, or `when_label`)."""
    if moment.tzinfo is None:
        raise ValueError("a moment is shown only with its zone: give an aware datetime")
    return f"{day_label(moment, today=today)}, {clock_label(moment)}"


def when_label(moment: dt.datetime, zone_name: str, *, today: dt.date | None = None) -> str:
    """`moment` in the site's format on the clock of `zone_name` (the viewer's zone)."""
    return moment_label(in_zone(moment, zone_name), today=today)



def in_zone(moment: dt.datetime, zone_name: str) -> dt.datetime:
    return moment.astimezone(zone(zone_name))


# The zone most of each state's people live in: for showing times when no ZIP was given.
STATE_ZONE = {
    "AL": "America/Chicago", "AK": "America/Anchorage", "AZ": "America/Phoenix", "AR": "America/Chicago",
    "CA": "America/Los_Angeles", "CO": "America/Denver", "CT": "America/New_York", "DE": "America/New_York",
    "DC": "America/New_York", "FL": "America/New_York", "GA": "America/New_York", "HI": "Pacific/Honolulu",
    "ID": "America/Boise", "IL": "America/Chicago", "IN": "America/Indiana/Indianapolis", "IA": "America/Chicago",
    "KS": "America/Chicago", "KY": "America/New_York", "LA": "America/Chicago", "ME": "America/New_York",
    "MD": "America/New_York", "MA": "America/New_York", "MI": "America/Detroit", "MN": "America/Chicago",
    "MS": "America/Chicago", "MO": "America/Chicago", "MT": "America/Denver", "NE": "America/Chicago",
    "NV": "America/Los_Angeles", "NH": "America/New_York", "NJ": "America/New_York", "NM": "America/Denver",
    "NY": "America/New_York", "NC": "America/New_York", "ND": "America/Chicago", "OH": "America/New_York",
    "OK": "America/Chicago", "OR": "America/Los_Angeles", "PA": "America/New_York", "RI": "America/New_York",
    "SC": "America/New_York", "SD": "America/Chicago", "TN": "America/Chicago", "TX": "America/Chicago",
    "UT": "America/Denver", "VT": "America/New_York", "VA": "America/New_York", "WA": "America/Los_Angeles",
    "WV": "America/New_York", "WI": "America/Chicago", "WY": "America/Denver",
}

# Where a client's zone is not known from anything they said: Eastern time, the zone most
# people in the US live in (the same default the match engine's requests carry).
CLIENT_ZONE_DEFAULT = "America/New_York"


def client_zone(*, chosen: str | None = None, zip: str | None = None, state: str | None = None) -> str:
    """The zone a client's times are shown and matched in: the one they chose (their client
    record's), else their ZIP code's, else the one most of their state lives in, else
    CLIENT_ZONE_DEFAULT. A name that is not an IANA zone is passed over, never used, so a
    client is never shown times in a zone that does not exist (or silently in UTC)."""
    for candidate in (chosen, zip_timezone(zip) if zip else None, STATE_ZONE.get(state or "")):
        if candidate and is_time_zone(candidate):
            return candidate
    return CLIENT_ZONE_DEFAULT
