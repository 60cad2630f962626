"""What every page needs to know: for coordinators and admins, how many crisis requests are
waiting, shown first in their navigation; and for everyone, how long a session is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest

from carematch.access import policy
from carematch.lib.sessions import SESSION


def staff_navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not policy.is_staff_member(user):
        return {}
    from .selectors import crisis_open_count

    return {"crisis_open_count": crisis_open_count()}


def session_length(request: HttpRequest) -> dict[str, Any]:
    """`session_minutes`: what pages tell people a session lasts (carematch/lib/sessions.py)."""
    return {"session_minutes": SESSION // dt.timedelta(minutes=1)}


def cancellation_policy(request: HttpRequest) -> dict[str, Any]:
    """`cancellation_policy`: the practice's policy in sentences (from the settings, see
    scheduling/cancellation_policy.py); `cancellation_notice_hours`: its notice."""
    from . import cancellation_policy as terms

    return {"cancellation_policy": terms.policy_sentences(), "cancellation_notice_hours": terms.notice_hours()}
