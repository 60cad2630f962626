"""The session page's ongoing-care actions: booking a standing series after a session,
cancelling the rest of a series, and recording attendance. Input and output only: the rules
are scheduling's services, the same the API calls."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import DomainError
from carematch.lib.timezones import when_label
from carematch.scheduling import selectors as scheduling_selectors
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import Appointment

from .forms import SeriesForm
from .views import _appointment_or_stop, _changeable, _session_zone


def _refused(request: AuthedHttpRequest, found: Appointment, detail: str) -> PermissionDenied:
    audit.denied(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                 client=found.client_id)
    return PermissionDenied(detail)


def _skips_out(skipped: list[scheduling.SeriesSkip], zone_name: str) -> list[dict[str, str]]:
    return [{"when": when_label(skip.start, zone_name), "reason": skip.reason} for skip in skipped]


@login_required
@require_http_methods(["GET", "POST"])
def appointment_series(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """GET: the form to book a series after this session; POST: book it and show what was
    booked and what was skipped, and why. The session's provider and coordinators only."""
    found = _appointment_or_stop(request, appointment_id, Action.UPDATE if request.method == "POST" else Action.VIEW)
    if isinstance(found, HttpResponse):
        return found
    if not scheduling.may_book_series(appointment=found, by=request.user):
        raise _refused(request, found, "Only the session's provider or a coordinator can book a series (or the "
                                       "client, where the provider allows it).")
    zone_name = _session_zone(request, found)
    form = SeriesForm(request.POST or None)
    context: dict[str, Any] = {"appointment": found, "provider": found.provider,
                               "when": when_label(found.start, zone_name), "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            with audit.write(request, action=Action.CREATE, resource_type="appointment", resource_id=found.pk,
                             client=found.client_id):
                result = scheduling.appointment_series_book(
                    appointment=found, by=request.user, every_weeks=form.cleaned_data["every_weeks"],
                    count=form.cleaned_data["count"], until=form.cleaned_data["until"],
                )
        except DomainError as exc:
            for field, problem in (exc.fields or {}).items():
                form.add_error(field if field in form.fields else None, problem)
            if not exc.fields:
                form.add_error(None, exc.detail)
            status = 409 if exc.status == 409 else 422
        else:
            context.update({
                "booked": [when_label(session.start, zone_name) for session in result.booked],
                "skipped": _skips_out(result.skipped, zone_name), "done": True,
            })
    elif request.method == "POST":
        status = 422
    return render(request, "matching/appointment_series.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel_rest(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """GET lists this session and the later ones of its series still booked and asks to
    confirm; POST cancels them all (each under the cancellation policy, as if alone)."""
    found = _changeable(request, appointment_id)
    if isinstance(found, HttpResponse):
        return found
    zone_name = _session_zone(request, found)
    now = timezone.now()
    rest = scheduling_selectors.series_rest(appointment=found, now=now)
    if not rest:
        messages.info(request, "No session of this series from here on is still to come.")
        return redirect("matching:appointment", appointment_id=found.pk)
    if request.method == "POST":
        try:
            with audit.write(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                             client=found.client_id):
                cancelled = scheduling.series_cancel_rest(appointment=found, by=request.user, now=now)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            count = len(cancelled)
            messages.success(request, ngettext(
                "%(count)s session is cancelled. Calendars are updated and both of you are emailed.",
                "%(count)s sessions are cancelled. Calendars are updated and both of you are emailed.", count,
            ) % {"count": count})
        return redirect("matching:appointment", appointment_id=found.pk)
    late = [session for session in rest
            if scheduling.counts_as_late(appointment=session, by=request.user, now=now)]
    return render(request, "matching/appointment_cancel_rest.html", {
        "appointment": found, "provider": found.provider,
        "sessions": [when_label(session.start, zone_name) for session in rest],
        "late": [when_label(session.start, zone_name) for session in late],
    })


@login_required
@require_POST
def appointment_attendance(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """Record that the client came, or did not (the form on the session page, for its provider)."""
    found = _appointment_or_stop(request, appointment_id, Action.UPDATE)
    if isinstance(found, HttpResponse):
        return found
    if not scheduling.acts_as_provider_of(appointment=found, by=request.user):
        raise _refused(request, found, "Only the session's provider or a coordinator can record attendance.")
    attended = request.POST.get("attended")
    if attended not in ("1", "0"):
        messages.error(request, "Choose whether the client came or not.")
        return redirect("matching:appointment", appointment_id=found.pk)
    try:
        with audit.write(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                         client=found.client_id):
            scheduling.appointment_attendance_mark(appointment=found, attended=attended == "1", by=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        messages.success(request, "Recorded: the client came." if attended == "1" else
                         "Recorded as a no-show. The client is sent a kind note with a link to book again.")
    return redirect("matching:appointment", appointment_id=found.pk)

