"""Pages: a client's own coverage (in their account), and a coordinator's view of a client's
coverage and eligibility, with a button to check it now. Form in, one service call, redirect."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from carematch.access import audit, policy
from carematch.access.decorators import staff_page
from carematch.access.models import Action
from carematch.accounts.models import Role
from carematch.lib.errors import Conflict, InvalidInput

from . import selectors, services
from .forms import CoverageForm, EligibilityCheckForm
from .models import CheckReason, ClientCoverage


def _initial(coverage: ClientCoverage | None, client: Any) -> dict[str, Any]:
    if coverage is None:
        return {"relationship": "self", "subscriber_first_name": client.first_name,
                "subscriber_last_name": client.last_name, "subscriber_birth_date": client.date_of_birth}
    return {"payer": coverage.payer, "plan_id": coverage.plan_id, "member_id": coverage.member_id,
            "relationship": coverage.relationship, "subscriber_first_name": coverage.subscriber_first_name,
            "subscriber_last_name": coverage.subscriber_last_name,
            "subscriber_birth_date": coverage.subscriber_birth_date}


def _errors_to_form(form: CoverageForm, exc: InvalidInput) -> None:
    for field, problem in exc.fields.items():
        form.add_error(field if field in form.fields else None, problem)


@login_required
@require_http_methods(["GET", "POST"])
def my_coverage(request: HttpRequest) -> HttpResponse:
    """The client's insurance, as on their card; saving replaces it."""
    if not policy.has_role(request.user, Role.CLIENT):
        raise PermissionDenied("This page is for clients.")
    client = getattr(request.user, "client", None)
    if client is None:
        raise Http404("No client record.")
    payers = selectors.payer_names()
    if request.method == "POST":
        form = CoverageForm(request.POST, payers=payers)
        with audit.write(request, action=Action.UPDATE, resource_type="coverage", resource_id=client.pk,
                         client=client) as attempt:
            attempt.watch(form)
            if form.is_valid():
                try:
                    services.coverage_set(client=client, **form.cleaned_data)
                except InvalidInput as exc:
                    _errors_to_form(form, exc)
                    attempt.reject()
        if form.is_valid():
            messages.success(request, "Your insurance details are saved.")
            return redirect("coverage:mine")
    else:
        coverage = selectors.coverage_of(client=client)
        if coverage is not None:
            audit.record(request, action=Action.VIEW, resource_type="coverage", resource_id=client.pk, client=client)
        form = CoverageForm(initial=_initial(coverage, client), payers=payers)
    return render(request, "coverage/my_coverage.html", {"form": form, "check": selectors.latest_check(client=client)})


@staff_page
@require_http_methods(["GET", "POST"])
def client_eligibility(request: HttpRequest, client_id: int) -> HttpResponse:
    """A coordinator sees a client's coverage and latest check, and asks for a check now."""
    if request.method == "POST":
        try:
            with audit.client_write(request, client_id, resource_type="eligibility_check", action=Action.CREATE,
                                    rule=policy.coverage_visible) as change:
                services.eligibility_request(client=change.client, by=request.user,  # type: ignore[arg-type]
                                             reason=CheckReason.STAFF)
        except Conflict as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, "The check is on its way to the payer; this page shows the answer.")
        return redirect(reverse("coverage:staff_client", args=[client_id]))
    client = audit.clinical_client_or_404(request, client_id, resource_type="coverage", rule=policy.coverage_visible)
    coverage = selectors.coverage_of(client=client)
    return render(request, "coverage/staff_client.html", {
        "client": client, "coverage": coverage, "check": selectors.latest_check(client=client),
        "form": EligibilityCheckForm(),
        "payer_name": selectors.payer_names().get(coverage.payer, coverage.payer) if coverage else "",
    })
