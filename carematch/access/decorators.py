"""Page decorators for pages that are for one role (decided by the role alone, never by a
record): anonymous visitors are sent to log in, signed-in people of another role get 403
(staff_page; provider_page, which also passes the provider's own directory record).
Records a caller may not see are a different answer (404); see policy.py.

And how a page that touches a client's record declares its entry in the access log: on the
view itself (`AccessLogged`, given to the page decorator that records it, which sets it as the
view's `access_logged` attribute), never in a table keyed by the view's name, which a rename
would silently leave behind. carematch/tests/test_access_declared.py walks every page of the
clinical apps and fails for one that touches client data without a declaration, or without
being listed there as recording its accesses itself."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from carematch.accounts.models import Role
from carematch.directory.selectors import provider_of

from . import policy
from .audit import RESOURCE_TYPE
from .models import WRITE_ACTIONS

PageView = Callable[..., HttpResponse]


@dataclass(frozen=True)
class AccessLogged:
    """A page's entry in the access log: a GET is recorded as a view of `resource_type`, a POST
    as its `change` (create, update or delete; empty for a page that only shows). The resource
    id is the record named by the address's `record_id` parameter, or else the client's id."""

    resource_type: str
    change: str = ""
    record_id: str = ""

    def __post_init__(self) -> None:
        if not RESOURCE_TYPE.match(self.resource_type):
            raise ValueError("resource_type must be lower-case letters and '_', at most 40")
        if self.change and self.change not in WRITE_ACTIONS:
            raise ValueError(f"change must be one of {', '.join(sorted(WRITE_ACTIONS))}, or empty")


ACCESS_LOGGED = "access_logged"  # the view attribute that holds its AccessLogged


def declare_access_logged(view: PageView, logged: AccessLogged) -> None:
    """Marks `view` (the page decorator's wrapper, which records the accesses) with its declaration."""
    setattr(view, ACCESS_LOGGED, logged)


def access_logged_of(view: Any) -> AccessLogged | None:
    """The declaration a page view carries, if any."""
    logged = getattr(view, ACCESS_LOGGED, None)
    return logged if isinstance(logged, AccessLogged) else None


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


def provider_page(view: PageView) -> PageView:
    """Providers only, with their own directory record as the view's second argument. A
    provider login whose record is not set up yet is told so, with nothing else shown."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.has_role(request.user, Role.PROVIDER):
            raise PermissionDenied("This page is for providers.")
        provider = provider_of(user=request.user)
        if provider is None:
            return render(request, "directory/provider_not_set_up.html")
        return view(request, provider, *args, **kwargs)

    return wrapper
