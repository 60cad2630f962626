"""Pages: a client's own coverage (in their account), and a coordinator's view of a client's
coverage and eligibility, with a button to check it now. Form in, one service call, redirect.

Coordinators' coverage pages: load payers' plans and fee schedules, and see what is loaded."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_http_methods

from carematch.access import audit, policy
from carematch.access.decorators import provider_page, staff_page
from carematch.access.models import Action
from carematch.accounts.models import Client, Role
from carematch.directory import services as directory_services
from carematch.lib.errors import Conflict, InvalidInput, NotFound

from . import selectors, services, tables
from .estimate import KNOWN_CPT
from .forms import CoverageFileForm, CoverageForm, DiagnosisForm, EligibilityCheckForm, SuperbillForm, TaxIdForm
from .models import CheckReason, ClientCoverage
from .superbill import render_pdf


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


NO_SESSIONS_YET = gettext_noop("You have no sessions with us yet, so there is nothing to claim back.")


def _own_client(request: HttpRequest, *, title: str, why: str) -> Client | HttpResponse:
    """The signed-in client's record; for a client who has not added their details yet (they are
    added at their first booking), the page saying so. Other roles are refused."""
    if not policy.has_role(request.user, Role.CLIENT):
        raise PermissionDenied("This page is for clients.")
    client = getattr(request.user, "client", None)
    if client is None:
        return render(request, "coverage/no_details.html", {"title": title, "why": why})
    return client


@login_required
@require_http_methods(["GET", "POST"])
def my_coverage(request: HttpRequest) -> HttpResponse:
    """The client's insurance, as on their card; saving replaces it."""
    client = _own_client(request, title=gettext("Your insurance"), why=gettext(
        "We keep your insurance with your details as a client, and you have not added them yet."))
    if isinstance(client, HttpResponse):
        return client
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
            messages.success(request, gettext("Your insurance details are saved."))
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
        except NotFound as exc:
            raise Http404(exc.detail) from exc
        except Conflict as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, gettext("The check is on its way to the payer; this page shows the answer."))
        return redirect(reverse("coverage:staff_client", args=[client_id]))
    try:
        client = audit.clinical_client_or_404(request, client_id, resource_type="coverage",
                                              rule=policy.coverage_visible)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    coverage = selectors.coverage_of(client=client)
    return render(request, "coverage/staff_client.html", {
        "client": client, "coverage": coverage, "check": selectors.latest_check(client=client),
        "form": EligibilityCheckForm(),
        "payer_name": selectors.payer_names().get(coverage.payer, coverage.payer) if coverage else "",
    })


# --- Superbills: the client's download, the provider's diagnoses and tax id ------------------------


@login_required
@require_http_methods(["GET"])
def my_superbills(request: HttpRequest) -> HttpResponse:
    """The providers the client paid themselves, their completed sessions, and a superbill for
    any dates (what is still missing for one is said, not hidden)."""
    client = _own_client(request, title=gettext("Superbills"), why=gettext(NO_SESSIONS_YET))
    if isinstance(client, HttpResponse):
        return client
    found = selectors.superbill_providers(client=client)
    audit.record(request, action=Action.VIEW, resource_type="superbill", resource_id=client.pk, client=client)
    choices = [(p.pk, f"{p.first_name} {p.last_name}") for p, _, _ in found]
    forms_by_provider = []
    for provider, sessions, missing in found:
        form = SuperbillForm(providers=choices, initial={
            "provider": provider.pk, "start": sessions[0].start.date(), "end": sessions[-1].start.date()},
            auto_id=f"id_p{provider.pk}_%s")
        forms_by_provider.append({"provider": provider, "sessions": sessions, "missing": list(missing.values()),
                                  "form": form})
    return render(request, "coverage/my_superbills.html", {"providers": forms_by_provider})


@login_required
@require_http_methods(["GET"])
def superbill_download(request: HttpRequest) -> HttpResponse:
    """The superbill PDF for one provider and a range of dates; the download is recorded."""
    client = _own_client(request, title=gettext("Superbills"), why=gettext(NO_SESSIONS_YET))
    if isinstance(client, HttpResponse):
        return client
    found = selectors.superbill_providers(client=client)
    form = SuperbillForm(request.GET, providers=[(p.pk, str(p.pk)) for p, _, _ in found])
    problem = ""
    if form.is_valid():
        try:
            bill = selectors.superbill_for(client=client, provider_id=form.cleaned_data["provider"],
                                           start=form.cleaned_data["start"], end=form.cleaned_data["end"],
                                           today=timezone.localdate())
        except (Conflict, InvalidInput, NotFound) as exc:
            problem = exc.detail
        else:
            audit.record(request, action=Action.EXPORT, resource_type="superbill",
                         resource_id=form.cleaned_data["provider"], client=client)
            response = HttpResponse(render_pdf(bill), content_type="application/pdf")
            response["Content-Disposition"] = (
                f'attachment; filename="superbill-{bill.period_start.isoformat()}-{bill.period_end.isoformat()}.pdf"')
            return response
    else:
        problem = "Choose a therapist you paid yourself and the dates, from the first day to the last."
    return render(request, "coverage/superbill_problem.html", {"problem": problem}, status=409)


@provider_page
@require_http_methods(["GET", "POST"])
def diagnoses(request: HttpRequest, provider: Any, client_id: int) -> HttpResponse:
    """The ICD-10-CM codes this provider entered for a client in their care."""
    form = DiagnosisForm(request.POST or None)
    try:
        if request.method == "POST":
            with audit.client_write(request, client_id, resource_type="diagnoses", action=Action.CREATE,
                                    rule=policy.may_write_notes) as change:
                change.watch(form)
                if form.is_valid():
                    try:
                        services.diagnosis_add(client=change.client, provider=provider,
                                               code=form.cleaned_data["code"], by=request.user)  # type: ignore[arg-type]
                    except InvalidInput as exc:
                        for field, problem in exc.fields.items():
                            form.add_error(field if field in form.fields else None, problem)
                        change.reject()
            if form.is_valid():
                messages.success(request, gettext("The diagnosis is added."))
                return redirect("coverage:diagnoses", client_id=client_id)
            client = change.client
        else:
            client = audit.clinical_client_or_404(request, client_id, resource_type="diagnoses",
                                                  rule=policy.may_write_notes)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    return render(request, "coverage/diagnoses.html", {
        "client": client, "form": form, "diagnoses": selectors.active_diagnoses(client=client, provider=provider),
        "tax_id_missing": not provider.tax_id,
    })


@provider_page
@require_http_methods(["POST"])
def diagnosis_remove(request: HttpRequest, provider: Any, client_id: int, diagnosis_id: int) -> HttpResponse:
    try:
        with audit.client_write(request, client_id, resource_type="diagnoses", action=Action.DELETE,
                                rule=policy.may_write_notes) as change:
            diagnosis = selectors.diagnosis_of(provider=provider, diagnosis_id=diagnosis_id)
            if diagnosis is None or diagnosis.client_id != change.client.pk:
                raise NotFound(gettext("No such diagnosis."))
            services.diagnosis_remove(diagnosis=diagnosis)
    except NotFound as exc:
        raise Http404(exc.detail) from exc
    messages.success(request, gettext("The diagnosis is removed from future superbills."))
    return redirect("coverage:diagnoses", client_id=client_id)


@provider_page
@require_http_methods(["GET", "POST"])
def my_tax_id(request: HttpRequest, provider: Any) -> HttpResponse:
    """The provider's own tax id, printed on superbills."""
    form = TaxIdForm(request.POST or None, initial={"tax_id": provider.tax_id})
    if request.method == "POST" and form.is_valid():
        try:
            directory_services.provider_tax_id_set(provider=provider, tax_id=form.cleaned_data["tax_id"])
        except InvalidInput as exc:
            for field, problem in exc.fields.items():
                form.add_error(field if field in form.fields else None, problem)
        else:
            messages.success(request, gettext("Your tax ID is saved."))
            return redirect("coverage:my_tax_id")
    return render(request, "coverage/my_tax_id.html", {"form": form})



PROBLEMS_SHOWN = 500
FEES_PER_PAGE = 100

_IMPORTS = {
    "benefits": {"title": "Import plans and benefits", "label": "Benefits file", "button": "Import the plans",
                 "columns": tables.BENEFITS_COLUMNS, "run": tables.benefits_import, "noun": "plans"},
    "fees": {"title": "Import fee schedules", "label": "Fee schedule file", "button": "Import the fees",
             "columns": tables.FEES_COLUMNS, "run": tables.fees_import, "noun": "fee schedules"},
}


@require_http_methods(["GET", "HEAD"])
@staff_page
def plans(request: HttpRequest) -> HttpResponse:
    """The plans loaded, and their fee schedules (one payer's, when chosen)."""
    payers = selectors.payer_names()
    payer = request.GET.get("payer", "")
    if payer not in payers:
        payer = ""
    fees = Paginator(selectors.fee_list(payer=payer or None), FEES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "coverage/plans.html", {
        "plans": [{"plan": plan, "payer_name": payers.get(plan.payer_id, plan.payer_id)}
                  for plan in selectors.plan_list()],
        "fees": fees, "payers": payers, "payer": payer, "payer_name": payers.get(payer, ""),
        "cpt_names": KNOWN_CPT, "current": "plans",
    })


def _import_page(request: HttpRequest, kind: str) -> HttpResponse:
    about = _IMPORTS[kind]
    report = None
    posted = request.method == "POST"
    form = CoverageFileForm(request.POST if posted else None, request.FILES if posted else None,
                            label=str(about["label"]))
    if request.method == "POST" and form.is_valid():
        report = about["run"](source=form.cleaned_data["file"], dry_run=form.cleaned_data["dry_run"])  # type: ignore[operator]
    context: dict[str, Any] = {"form": form, "report": report, "about": about, "kind": kind, "current": kind}
    if report is not None:
        context["outcome"] = _outcome(report, dry_run=form.cleaned_data["dry_run"], noun=str(about["noun"]))
        context["problems"] = [str(problem) for problem in report.problems[:PROBLEMS_SHOWN]]
        context["problems_not_shown"] = max(0, len(report.problems) - PROBLEMS_SHOWN)
    return render(request, "coverage/import.html", context)


@require_http_methods(["GET", "POST"])
@staff_page
def benefits_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, "benefits")


@require_http_methods(["GET", "POST"])
@staff_page
def fees_import(request: HttpRequest) -> HttpResponse:
    return _import_page(request, "fees")


def _outcome(report: tables.ImportReport, *, dry_run: bool, noun: str) -> str:
    """What happened, in a sentence: the counts alone do not say whether anything was written."""
    summary = report.summary()
    if report.problems:
        return (f"Nothing was written, because the file has problems: {summary}. Fix them and import the file "
                "again.")
    if dry_run:
        return f"This was a check, so nothing was written. An import would give: {summary}."
    if report.written:
        return f"The {noun} are updated: {summary}."
    return f"Nothing needed to change: {summary}."
