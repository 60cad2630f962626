"""A client's own data: what carematch holds about them, downloads of it (JSON and FHIR), and
closing their account. There are no ids in these addresses: each page is always about the
signed-in client's own record. The rules live in export.py and closing.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carematch.access import audit, policy
from carematch.accounts import selectors as accounts_selectors
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Client, Role
from carematch.lib.errors import DomainError

from . import closing, export

PageView = Callable[..., HttpResponse]


def client_page(view: PageView) -> PageView:
    """Signed-in clients only: anonymous visitors log in first; other roles get 403 (these
    pages are about one's own client record, which staff and providers do not have)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not policy.has_role(request.user, Role.CLIENT):
            raise PermissionDenied("These pages are for clients.")
        return view(request, *args, **kwargs)

    return wrapper


def _own_client(request: AuthedHttpRequest) -> Client | None:
    return accounts_selectors.client_of(user=request.user)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@client_page
def data_home(request: AuthedHttpRequest) -> HttpResponse:
    client = _own_client(request)
    user = request.user
    context = {
        "client": client,
        "retention_years": round(closing.retention_period().days / 365.25),
        "retention_days": closing.retention_period().days,
        "mfa_on": export.mfa_enabled(user),
        "notes_in_download": export.provider_notes_included(),
    }
    return _no_store(render(request, "access/data/home.html", context))


def _download(request: AuthedHttpRequest, *, kind: str) -> HttpResponse:
    client = _own_client(request)
    if client is None:
        return _no_store(render(request, "access/data/no_details.html", status=404))
    now = timezone.now()
    if kind == "fhir":
        body = export.client_export_fhir(client, now=now).model_dump_json(indent=1, exclude_none=True)
        content_type, suffix = "application/fhir+json", "fhir.json"
    else:
        body = json.dumps(export.client_export_json(client, now=now), ensure_ascii=False, indent=1)
        content_type, suffix = "application/json", "json"
    audit.record(request, action="export", resource_type=f"client_export_{kind}", resource_id=client.pk,
                 client=client)
    response = HttpResponse(body, content_type=f"{content_type}; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="carematch-record-{now:%Y-%m-%d}.{suffix}"'
    return _no_store(response)


@require_GET
@client_page
def export_json(request: AuthedHttpRequest) -> HttpResponse:
    return _download(request, kind="json")


@require_GET
@client_page
def export_fhir(request: AuthedHttpRequest) -> HttpResponse:
    return _download(request, kind="fhir")


class CloseForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("Your password"), strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    code = forms.CharField(
        label=gettext_lazy("Code from your authenticator app"), required=False, max_length=32,
        help_text=gettext_lazy("Or one of your recovery codes."),
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )
    confirmation = forms.CharField(
        label=gettext_lazy('Type "%(phrase)s" to confirm') % {"phrase": closing.CONFIRMATION_PHRASE}, max_length=64,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, mfa_on: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not mfa_on:
            del self.fields["code"]
        else:
            self.fields["code"].required = True
        for name, field in self.fields.items():
            described = [f"id_{name}_helptext"] if field.help_text else []
            if self.is_bound and name in self.errors:
                described.append(f"id_{name}_error")
                field.widget.attrs["aria-invalid"] = "true"
            if described:
                field.widget.attrs["aria-describedby"] = " ".join(described)


@require_http_methods(["GET", "POST"])
@client_page
def close_account(request: AuthedHttpRequest) -> HttpResponse:
    user = request.user
    client = _own_client(request)
    mfa_on = export.mfa_enabled(user)
    form = CloseForm(request.POST or None, mfa_on=mfa_on)
    if request.method == "POST" and form.is_valid():
        try:
            closed = closing.account_close(
                user=user, password=form.cleaned_data["password"], confirmation=form.cleaned_data["confirmation"],
                code=form.cleaned_data.get("code", ""), request=request,
            )
        except DomainError as exc:
            for name, problem in exc.fields.items():
                if name in form.fields:
                    form.add_error(name, problem[:1].upper() + problem[1:] + ".")
            if not any(name in form.fields for name in exc.fields):
                form.add_error(None, exc.detail)
        else:
            logout(request)
            request.session["carematch_closed_until"] = closed.kept_until.date().isoformat()
            return redirect("access_data:closed")
    context = {
        "form": form, "client": client, "mfa_on": mfa_on,
        "retention_years": round(closing.retention_period().days / 365.25),
        "phrase": closing.CONFIRMATION_PHRASE,
    }
    return _no_store(render(request, "access/data/close.html", context, status=422 if form.errors else 200))


@require_GET
def closed(request: HttpRequest) -> HttpResponse:
    """Shown once the account is closed (the person is logged out by then)."""
    until = request.session.get("carematch_closed_until", "")
    return _no_store(render(request, "access/data/closed.html", {"kept_until": until}))
