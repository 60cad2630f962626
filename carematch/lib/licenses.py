"""When a state license counts for matching: the one definition the match engine, the
reference matcher and the booking check all use.

A license counts for matching on a date when it is not rejected, has not expired by that
date, and has been verified (by a coordinator, or by the roster or directory it was
imported from). A network that credentials its providers elsewhere sets
CAREMATCH_MATCH_UNVERIFIED_LICENSES=1, and then a license not yet verified counts too;
a rejected one never does.

Plain values only (the status as stored, dates, the deployment's choice), so the engine,
which knows no Django, calls the same functions as the database side.
"""

from __future__ import annotations

import datetime as dt

VERIFIED = "verified"
UNVERIFIED = "unverified"
REJECTED = "rejected"
STATUSES = (UNVERIFIED, VERIFIED, REJECTED)


def statuses_that_count(*, match_unverified: bool) -> frozenset[str]:
    """The verification statuses of a license that may count for matching."""
    return frozenset({VERIFIED, UNVERIFIED}) if match_unverified else frozenset({VERIFIED})


def status_counts(status: str, *, match_unverified: bool) -> bool:
    """Whether a license with this verification status may count (its expiry aside)."""
    return status in statuses_that_count(match_unverified=match_unverified)


def license_counts_on(*, status: str, expires: dt.date, day: dt.date, match_unverified: bool) -> bool:
    """A license counts for matching on `day`: its status may count and it has not expired by then."""
    return status_counts(status, match_unverified=match_unverified) and expires >= day
