"""When a state license counts: the one definition that the match engine, the reference
matcher, the booking check, the directory's searches, its pages and the FHIR export use.

A license is *in force* on a date when it is not rejected and has not expired by then:
its expiry date is the last day it is in force. It *counts* for matching and booking on
a date when it is in force and has been verified (by a coordinator, or by the roster or
directory it was imported from). A network that credentials its providers elsewhere sets
CAREMATCH_MATCH_UNVERIFIED_LICENSES=1, and then every license in force counts, verified
or not; a rejected one never does.

Plain values only (the status as stored, dates, the deployment's choice), so the engine,
which knows no Django, calls the same functions as the database side; the database side
(carematch.directory.models: licenses_counting_on and licenses_in_force_on) builds its
filters from the statuses here and `unexpired_on`'s rule, and a test holds the filters and
these functions to the same answers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol, TypeVar, overload

VERIFIED = "verified"
UNVERIFIED = "unverified"
REJECTED = "rejected"
STATUSES = (UNVERIFIED, VERIFIED, REJECTED)
# Every status but rejected: the statuses of a license that may be in force.
IN_FORCE_STATUSES = frozenset({UNVERIFIED, VERIFIED})


class _Ordered(Protocol):
    def __ge__(self, other: Any, /) -> Any: ...


_Expiry = TypeVar("_Expiry", bound=_Ordered)


@overload
def unexpired_on(expires: dt.date, day: dt.date) -> bool: ...
@overload
def unexpired_on(expires: _Expiry, day: Any) -> Any: ...
def unexpired_on(expires: Any, day: Any) -> Any:
    """Whether a license expiring on `expires` has not expired by `day`: the expiry date is
    the last day it is in force. Dates, or day numbers and NumPy arrays of them (the match
    engine's), alike; the database side's filter is `expires >= day` (expires__gte)."""
    return expires >= day


def statuses_that_count(*, match_unverified: bool) -> frozenset[str]:
    """The verification statuses of a license that may count for matching."""
    return IN_FORCE_STATUSES if match_unverified else frozenset({VERIFIED})


def status_counts(status: str, *, match_unverified: bool) -> bool:
    """Whether a license with this verification status may count (its expiry aside)."""
    return status in statuses_that_count(match_unverified=match_unverified)


def in_force_on(*, status: str, expires: dt.date, day: dt.date) -> bool:
    """Not rejected and not expired by `day`, whether or not verified yet."""
    return status in IN_FORCE_STATUSES and unexpired_on(expires, day)


def license_counts_on(*, status: str, expires: dt.date, day: dt.date, match_unverified: bool) -> bool:
    """A license counts for matching on `day`: its status may count and it has not expired by then."""
    return status_counts(status, match_unverified=match_unverified) and unexpired_on(expires, day)
