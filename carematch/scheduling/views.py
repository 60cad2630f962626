"""Scheduling pages. Each part is its own group of views; rules live in services."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit
from carematch.access.decorators import staff_page
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.lib import vocab
from carematch.lib.errors import DomainError
from carematch.lib.language import speaking
from carematch.lib.phones import phone_label
from carematch.replica import replica_view

from . import clock, feeds, selectors, services
from .forms import CrisisOutcomeForm
from .models import CrisisRequest, CrisisStatus

# --- Private calendar feeds ------------------------------------------------------------------
# The address is shown once, right after it is made: only its digest is stored. Between
# the POST that makes it and the page that shows it, it waits in the person's session
# and is removed from there when shown (as Django's password reset keeps its token).

_NEW_FEED_URL = "scheduling_new_calendar_feed_url"


@require_http_methods(["GET", "HEAD"])
@login_required
def calendar_feed_page(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    new_url = request.session.pop(_NEW_FEED_URL, "")
    owner = feeds.feed_owner(user)
    context = {
        "owner": owner,
        "zone_name": owner.timezone.replace("_", " ") if owner else "",
        "feed": feeds.live_feed(user=user),
        "ended_feed": feeds.feed_ended_with_access(user=user),
        "new_url": new_url,
        "new_webcal_url": new_url.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
    }
    return render(request, "scheduling/feeds.html", context)


@require_POST
@login_required
def calendar_feed_new(request: AuthedHttpRequest) -> HttpResponse:
    try:
        _feed, raw = services.calendar_feed_issue(user=request.user)
    except DomainError as exc:
        messages.error(request, exc.detail)
    else:
        request.session[_NEW_FEED_URL] = request.build_absolute_uri(
            reverse("scheduling:calendar_feed", kwargs={"token": raw})
        )
        messages.success(request, _("Your new calendar address is ready. Any earlier address no longer works."))
    return redirect("scheduling:calendar_feed_page")


@require_POST
@login_required
def calendar_feed_turn_off(request: AuthedHttpRequest) -> HttpResponse:
    if services.calendar_feed_revoke(user=request.user):
        messages.success(request, _("Your calendar address is turned off. Calendars using it will stop updating."))
    else:
        messages.info(request, _("You had no calendar address to turn off."))
    return redirect("scheduling:calendar_feed_page")


@require_http_methods(["GET", "HEAD"])
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The feed itself, for calendar apps: the token is the only key. No login, no session,
    no cookie; an unknown or turned-off address is simply not there."""
    feed = services.calendar_feed_find(raw=token)
    owner = feeds.feed_owner(feed.user) if feed is not None else None
    if feed is None or owner is None:
        raise Http404("No calendar at this address.")
    # A client's feed lists their sessions: each fetch is recorded, as the feed's owner's.
    if owner.client is not None:
        audit.record(request, action=audit.Action.VIEW, resource_type="calendar_feed", resource_id=feed.pk,
                     client=owner.client, actor=feed.user)
    with speaking(feed.user):  # a calendar app sends no language: the feed is in its owner's
        body = feeds.feed_calendar(owner=owner)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="carematch.ics"'
    response["Cache-Control"] = "private, no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# --- The 48-hour clock (coordinators) ------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@staff_page
@replica_view
def clock_page(request: AuthedHttpRequest) -> HttpResponse:
    now = timezone.now()
    figures = clock.clock_figures(clock.clock_records(now=now), now=now)
    # The list of people still waiting names them: one view event per client shown.
    shown = dict.fromkeys(waiting.client_id for waiting in figures.open_requests if waiting.client_id is not None)
    # Clients who keep missing sessions, for a coordinator to reach out to: named too.
    missing = selectors.repeated_no_shows(now=now)
    shown.update(dict.fromkeys(client.pk for client, _ in missing))
    audit.record_many(request, action=audit.Action.VIEW, resource_type="clock",
                      items=[(client_id, client_id) for client_id in shown])
    share = figures.share_within
    context = {
        "figures": figures,
        "crisis": clock.crisis_figures(clock.crisis_records(now=now), now=now),
        "share_percent": None if share is None else round(share * 100),
        "contact_share_percent": None if figures.contact_share_within is None
        else round(figures.contact_share_within * 100),
        "window_days": clock.WINDOW.days,
        "repeated_no_shows": missing,
        "no_show_window_days": selectors.NO_SHOW_WINDOW.days,
    }
    return render(request, "scheduling/clock.html", context)


# --- Crisis follow-up (coordinators) ---------------------------------------------------------------
# Everyone who asked to be contacted, oldest first, with how long they have waited; each
# contact attempt recorded with its outcome and a note. Every request shown is one event in
# the access log, and so is every outcome recorded.

_SUCCESS = {
    "reached": "Recorded: the person was reached. The request is closed.",
    "referred_emergency": "Recorded: referred to emergency services. The request is closed.",
    "no_answer": "Recorded: no answer. The request stays open for another try.",
}


def _minutes(start: Any, end: Any) -> int:
    return max(0, int((end - start).total_seconds() // 60))


def crisis_row(found: CrisisRequest, *, now: Any, form: CrisisOutcomeForm | None = None) -> dict[str, Any]:
    """What the queue shows of one request (the API shows the same through its schema)."""
    open_ = found.status == CrisisStatus.OPEN
    return {
        "request": found,
        "name": found.name,
        "phone": found.phone,
        "phone_label": phone_label(found.phone),
        "email": found.email,
        "state": vocab.STATES.get(found.state, ""),
        "channel": found.get_channel_display(),
        "minutes_waiting": _minutes(found.requested_at, now if open_ else found.closed_at),
        "attempts": list(found.attempts.all()),
        "escalated": found.escalated_at is not None,
        "form": form,
    }


def _crisis_page(request: HttpRequest, bound: tuple[int, CrisisOutcomeForm] | None = None,
                 status: int = 200) -> HttpResponse:
    now = timezone.now()
    waiting = list(selectors.crisis_requests(status=CrisisStatus.OPEN))
    closed = list(selectors.crisis_recently_closed(now=now)[:50])
    rows = [
        crisis_row(found, now=now, form=bound[1] if bound and bound[0] == found.pk
                   else CrisisOutcomeForm(prefix=f"crisis-{found.pk}"))
        for found in waiting
    ]
    # One event per request shown: a name, a number and a message about a person in danger.
    audit.record_many(request, action=Action.VIEW, resource_type="crisis_request",
                      items=[(found.pk, found.client_id) for found in [*waiting, *closed]])
    return render(request, "scheduling/crisis_queue.html", {
        "rows": rows, "closed": [crisis_row(found, now=now) for found in closed],
        "callback_hours": settings.CRISIS_CALLBACK_HOURS, "escalate_minutes": settings.CRISIS_ESCALATE_MINUTES,
        "closed_days": selectors.RECENTLY_CLOSED.days,
    }, status=status)


@require_http_methods(["GET", "HEAD"])
@staff_page
def crisis_queue(request: AuthedHttpRequest) -> HttpResponse:
    return _crisis_page(request)


@require_POST
@staff_page
def crisis_outcome(request: AuthedHttpRequest, crisis_request_id: int) -> HttpResponse:
    found = selectors.crisis_request_by_id(crisis_request_id=crisis_request_id)
    if found is None:
        audit.denied(request, action=Action.UPDATE, resource_type="crisis_request", resource_id=crisis_request_id)
        raise Http404("No such request.")
    form = CrisisOutcomeForm(request.POST, prefix=f"crisis-{found.pk}")
    with audit.write(request, action=Action.UPDATE, resource_type="crisis_request", resource_id=found.pk,
                     client=found.client_id) as attempt:
        attempt.watch(form)
        if form.is_valid():
            try:
                services.crisis_attempt_record(crisis_request=found, outcome=form.cleaned_data["outcome"],
                                               note=form.cleaned_data["note"], by=request.user)
            except DomainError as exc:
                attempt.reject()
                placed = False
                for name, problem in exc.fields.items():
                    if name in form.fields:
                        form.add_error(name, problem[:1].upper() + problem[1:] + ".")
                        placed = True
                if not placed:
                    messages.error(request, exc.detail)
                    return redirect("scheduling:crisis_queue")
            else:
                messages.success(request, _SUCCESS[form.cleaned_data["outcome"]])
                return redirect("scheduling:crisis_queue")
    return _crisis_page(request, bound=(found.pk, form), status=400)
