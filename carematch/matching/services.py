"""Matching: finding providers for a request."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from carematch.lib.errors import InvalidInput

from .engine.match import find_matches
from .engine.request import check_request
from .engine.types import MatchAnswer, MatchRequest
from .snapshot import busy_lookup, directory_snapshot


def match_find(*, request: MatchRequest, now: dt.datetime | None = None) -> MatchAnswer:
    """The providers who fit `request` best (at most `request.limit`), each with up to three
    of their soonest openings, and, when there are fewer, the single changes to the request
    that would find more. Bad input raises InvalidInput naming each field that is wrong."""
    now = now or timezone.now()
    if now.tzinfo is None or now.utcoffset() is None:
        raise InvalidInput("The time of the request must say its time zone.", fields={"now": "must be aware"})
    check_request(request, now=now)
    return find_matches(directory_snapshot(), request, now=now, busy=busy_lookup(now=now))
