"""Page decorators for pages that are for one role (decided by the role alone, never by a
record): anonymous visitors are sent to log in, signed-in people of another role get 403.
Records a caller may not see are a different answer (404); see policy.py."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from . import policy

PageView = Callable[..., HttpResponse]


def staff_page(view: PageView) -> PageView:
    """Coordinators and admins only."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.is_staff_member(request.user):
            raise PermissionDenied("This page is for coordinators.")
        return view(request, *args, **kwargs)

    return wrapper
