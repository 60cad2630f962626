"""The coordinators' waitlist page: who is waiting for a first session and what they asked
for, who was placed lately, and a button that places everyone it can (in the task worker)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit
from carematch.access.decorators import staff_page
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.directory.selectors import payer_names

from . import selectors, tasks


@require_http_methods(["GET", "HEAD"])
@staff_page
def staff_waitlist(request: AuthedHttpRequest) -> HttpResponse:
    now = timezone.now()
    waiting = selectors.waitlist_waiting()
    placed = selectors.waitlist_recently_placed(now=now)
    # One event per person shown: a name with what they want help with.
    audit.record_many(request, action=Action.VIEW, resource_type="waitlist_entry",
                      items=[(entry.pk, entry.client_id) for entry in [*waiting, *placed]])
    names = payer_names()  # once for the list, not once a person
    rows = [{
        "entry": entry,
        "name": f"{entry.client.first_name} {entry.client.last_name}".strip(),
        "hours": int((now - entry.created_at).total_seconds() // 3600),
        "asked": selectors.waitlist_asked(entry.request, payer_names=names),
    } for entry in waiting]
    return render(request, "matching/staff_waitlist.html", {
        "rows": rows, "placed": placed, "placed_days": selectors.PLACED_SHOWN_DAYS,
    })


@require_POST
@staff_page
def staff_waitlist_place(request: AuthedHttpRequest) -> HttpResponse:
    tasks.place_waitlist.enqueue()
    messages.success(request, "Placing has started. Everyone who can be placed is booked into a first session "
                              "and emailed; they move to “Placed” on this page within a minute or two.")
    return redirect("matching:staff_waitlist")
