"""The access log page for coordinators and admins, at /staff/audit/: who looked at or changed
which client's record, and when, newest first. Looking at the log is itself recorded."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from . import audit, policy
from .models import WRITE_ACTIONS, Action, Outcome

MAX_ID = 2**63 - 1


class AuditSearchForm(forms.Form):
    client = forms.IntegerField(label="Client id", required=False, min_value=1, max_value=MAX_ID,
                                help_text="Only events about this client's record.")
    user = forms.CharField(label="User (email or id)", required=False, max_length=254,
                           help_text="Only events by this person.")
    since = forms.DateField(label="Since", required=False, input_formats=["%Y-%m-%d"],
                            help_text="From the start of this day (UTC), as YYYY-MM-DD.",
                            widget=forms.DateInput(attrs={"type": "date"}))

    def clean_user(self) -> str:
        user: str = self.cleaned_data["user"].strip()
        if user.isdigit() and int(user) > MAX_ID:
            raise forms.ValidationError("No user has an id that large.")
        return user

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        since = data["since"]
        return {
            "client_id": data["client"],
            "user": data["user"] or None,
            "since": audit.parse_since(since.isoformat()) if since else None,
        }


@require_http_methods(["GET", "HEAD"])
def audit_log(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    form = AuditSearchForm(request.GET if request.GET.keys() - {"page"} else None)
    filters = form.filters() if form.is_bound and form.is_valid() else {}
    if not policy.is_staff_member(request.user):
        audit.record(request, action=Action.VIEW, resource_type="audit_log", client=filters.get("client_id"),
                     outcome=Outcome.DENIED)
        raise PermissionDenied("The access log is for coordinators and admins.")
    page = None
    if not form.is_bound or form.is_valid():
        page = Paginator(audit.events_matching(**filters), audit.PAGE_SIZE).get_page(request.GET.get("page"))
        page.object_list = list(page.object_list)
    # Recorded once the page is read, so that it shows the log as it was when asked.
    audit.record(request, action=Action.VIEW, resource_type="audit_log", client=filters.get("client_id"))
    return render(request, "access/audit_log.html", {"form": form, "page": page, "write_actions": WRITE_ACTIONS})
