"""What every page's layout needs to know: for coordinators and admins, how many crisis
requests are waiting, shown first in their navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from carematch.access import policy


def staff_navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not policy.is_staff_member(user):
        return {}
    from .selectors import crisis_open_count

    return {"crisis_open_count": crisis_open_count()}
