"""The directory's pages: a provider's public profile, the provider's own profile and
availability, and the coordinators' directory, license checks and roster import."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth import login
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access.decorators import provider_page, staff_page
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.throttle import client_address
from carematch.lib import vocab
from carematch.lib.errors import DomainError, NotFound, TooManyRequests
from carematch.lib.timezones import clock_label, day_label, moment_label, zone
from carematch.replica import replica_view

from . import photos, roster, selectors, services
from .forms import (
    DAY_CHOICES,
    DirectorySearchForm,
    LicenceForm,
    LicenseStatusForm,
    PayerForm,
    PhotoForm,
    ProfileClaimForm,
    ProviderContactForm,
    ProviderProfileForm,
    RosterImportForm,
    TimeOffForm,
    WindowForm,
    add_service_errors,
)
from .models import (
    AvailabilityWindow,
    ChangeSource,
    License,
    LicenseStatus,
    ProfileChange,
    Provider,
    VerificationSource,
    match_unverified_licenses,
)
from .openings import CostOf, OpeningsOf, ZoneOf

OPENINGS_AHEAD = dt.timedelta(days=14)
OPENINGS_SHOWN = 10
CALLS_SHOWN = 6
DIRECTORY_PAGE_SIZE = 25
EXPIRING_WITHIN_DAYS = 60
EXPIRING_SPANS = frozenset({"30", "60", "90"})
PROBLEMS_SHOWN = 500
_DAY_NAMES = dict(DAY_CHOICES)


# --- How times read on the pages ---------------------------------------------------------------


def window_label(window: AvailabilityWindow) -> str:
    """`Monday 09:00 to 12:00`."""
    return f"{_DAY_NAMES[window.weekday]} {window.start:%H:%M} to {window.end:%H:%M}"


@dataclass(frozen=True)
class OpeningDay:
    label: str
    times: list[tuple[dt.datetime, str]]  # (start in UTC, how it reads locally)


def opening_days(starts: list[dt.datetime], time_zone: str) -> list[OpeningDay]:
    """Openings grouped by the day they fall on in `time_zone`, in order."""
    tz = zone(time_zone)
    days: list[OpeningDay] = []
    for start in starts:
        local = start.astimezone(tz)
        label = day_label(local)
        if not days or days[-1].label != label:
            days.append(OpeningDay(label, []))
        days[-1].times.append((start, clock_label(local)))
    return days


def _zone_name(time_zone: str) -> str:
    return time_zone.replace("_", " ")


def _initials(provider: Provider) -> str:
    return (provider.first_name[:1] + provider.last_name[:1]).upper()


@dataclass(frozen=True)
class LicenseStanding:
    """Whether a license counts for matching today, in words for staff and for the provider."""

    counts: bool
    code: str  # counts, awaiting, awaiting_but_matched, rejected, expired
    staff: str
    provider: str


def license_standing(lic: License, *, today: dt.date, match_unverified: bool) -> LicenseStanding:
    state = vocab.STATES.get(lic.state, lic.state)
    if lic.status == LicenseStatus.REJECTED:
        return LicenseStanding(False, "rejected", "Never matched: rejected",
                               "Not accepted by your coordinator, so it is not used for matching. "
                               "Ask your coordinator if you think this is wrong.")
    if lic.expired_on(today):
        return LicenseStanding(False, "expired", "No longer matched: expired",
                               "Expired, so it is not used for matching. Send your coordinator the renewed license.")
    if lic.awaiting_verification and match_unverified:
        return LicenseStanding(True, "awaiting_but_matched",
                               "Matched before verification, as this network allows; verify it still",
                               "Waiting for verification by your coordinator. This network matches you in "
                               f"{state} meanwhile.")
    if lic.awaiting_verification:
        return LicenseStanding(False, "awaiting", "Not matched until verified",
                               f"Waiting for verification by your coordinator: people in {state} are not "
                               "matched with you, and cannot book you there, until it is verified.")
    return LicenseStanding(True, "counts", "Counts for matching",
                           f"Verified: people in {state} can be matched with you.")


@dataclass(frozen=True)
class LicenseLine:
    license: License
    state: str  # the state's name
    standing: LicenseStanding


def _vouched_by(lic: License) -> str:
    """Who verified (or rejected) a license, for the staff page."""
    if lic.verification_source == VerificationSource.COORDINATOR:
        return lic.verified_by.email if lic.verified_by else "a coordinator whose account has since been removed"
    if lic.verification_source:
        return VerificationSource(lic.verification_source).label
    return lic.verified_by.email if lic.verified_by else "not recorded"


# --- Public profile ----------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
def public_profile(request: HttpRequest, provider_id: int, *, openings: OpeningsOf, zone_of: ZoneOf,
                   cost_of: CostOf | None = None) -> HttpResponse:
    """A provider's public profile with their next openings; `openings` computes them
    (scheduling's provider_openings), `zone_of` says whose clock they read on (the client's
    own, as on the results and booking pages), both wired in carematch/urls.py."""
    provider = selectors.provider_by_id(provider_id=provider_id)
    if provider is None or not selectors.provider_shown_to(provider=provider, user=request.user):
        raise Http404("No provider with that id.")
    now = timezone.now()
    viewer = zone_of(request)
    shown_zone = viewer or provider.timezone
    days: list[OpeningDay] = []
    if provider.accepting_new:
        starts = list(openings(provider=provider, start=now, end=now + OPENINGS_AHEAD, now=now))
        days = opening_days(starts[:OPENINGS_SHOWN], shown_zone)
    call_days: list[OpeningDay] = []
    if provider.accepting_new and provider.offers_consultations:
        calls = list(openings(provider=provider, start=now, end=now + OPENINGS_AHEAD, now=now, kind="consultation"))
        call_days = opening_days(calls[:CALLS_SHOWN], shown_zone)
    today = timezone.localdate()
    licenses = [
        {"state": vocab.STATES.get(lic.state, lic.state), "type": lic.license_type,
         "verified": lic.status == LicenseStatus.VERIFIED}
        for lic in provider.licenses.all() if lic.in_force_on(today)
    ]
    specialties = [slug for slug in provider.specialties if slug in provider.concerns]
    context = {
        "call_days": call_days,
        "call_formats": vocab.labels(vocab.CONSULTATION_FORMATS, provider.consultation_formats),
        "provider": provider,
        "initials": _initials(provider),
        "photo_url": photos.url(provider.photo),
        "taxonomy": vocab.TAXONOMY.get(provider.taxonomy, ""),
        "specialties": vocab.labels(vocab.CONCERNS, specialties),
        "concerns": vocab.labels(vocab.CONCERNS, [slug for slug in provider.concerns if slug not in specialties]),
        "approaches": [
            (vocab.label(vocab.APPROACHES, slug), vocab.label(vocab.APPROACH_EXPLANATIONS, slug)
             if slug in vocab.APPROACH_EXPLANATIONS else "")
            for slug in provider.approaches
        ],
        "communities": vocab.labels(vocab.COMMUNITIES, provider.communities),
        "populations": vocab.labels(vocab.POPULATIONS, provider.populations),
        "languages": [vocab.language_name(code) for code in provider.languages],
        "formats": vocab.labels(vocab.FORMATS, provider.formats),
        "insurance": vocab.labels(selectors.payer_names(), provider.insurance),
        "licenses": licenses,
        "opening_days": days,
        "zone_name": _zone_name(shown_zone),
        "viewer_zone": viewer is not None,
        "cost": cost_of(request, provider) if cost_of is not None else None,
    }
    return render(request, "directory/public_profile.html", context)


# --- Provider self-service ---------------------------------------------------------------------

def _save_profile(request: AuthedHttpRequest, provider: Provider) -> ProviderProfileForm | None:
    """The profile form of a POST, saved for `provider` by whoever is signed in; None when it
    was saved, else the form with its problems."""
    form = ProviderProfileForm(request.POST, provider=provider)
    if form.is_valid():
        try:
            services.provider_profile_update(provider=provider, by=request.user, **form.profile_changes())
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            return None
    return form


def _save_photo(request: AuthedHttpRequest, provider: Provider) -> PhotoForm | None:
    """The photo of a POST, stored for `provider`; None when it was, else the form with its problem."""
    form = PhotoForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["photo"]
        try:
            services.provider_photo_set(provider=provider, file=upload, size=upload.size, by=request.user)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            return None
    return form


@require_http_methods(["GET", "HEAD"])
def photo(request: HttpRequest, name: str) -> HttpResponseBase:
    """A stored photo, by its random name. The name changes whenever the photo does, so
    browsers and proxies may keep it for a year; it is always a JPEG carematch encoded."""
    stored = photos.open_stored(name)
    if stored is None:
        raise Http404("No such photo.")
    response = FileResponse(stored, content_type=photos.CONTENT_TYPE)
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = "inline"
    return response


@require_http_methods(["GET", "POST"])
@provider_page
def my_profile(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    if request.method == "POST":
        saved = _save_profile(request, provider)
        if saved is None:
            messages.success(request, "Your profile is saved.")
            return redirect("directory:my_profile")
        form = saved
    else:
        form = ProviderProfileForm(provider=provider)
    return _my_profile_page(request, provider, form=form)


@require_POST
@provider_page
def my_photo(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    form = _save_photo(request, provider)
    if form is None:
        messages.success(request, "Your photo is saved.")
        return redirect("directory:my_profile")
    return _my_profile_page(request, provider, form=ProviderProfileForm(provider=provider), photo_form=form)


@require_POST
@provider_page
def my_photo_remove(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    services.provider_photo_remove(provider=provider, by=request.user)
    messages.success(request, "Your photo is removed. Your initials are shown instead.")
    return redirect("directory:my_profile")


def _my_profile_page(request: AuthedHttpRequest, provider: Provider, *, form: ProviderProfileForm,
                     photo_form: PhotoForm | None = None) -> HttpResponse:
    provider.refresh_from_db(fields=["photo", "photo_small"])
    today, match_unverified = timezone.localdate(), match_unverified_licenses()
    licenses = [
        LicenseLine(lic, vocab.STATES.get(lic.state, lic.state),
                    license_standing(lic, today=today, match_unverified=match_unverified))
        for lic in provider.licenses.order_by("state", "license_type", "number")
    ]
    waiting = [line for line in licenses if line.standing.code in ("awaiting", "awaiting_but_matched")]
    states = list(dict.fromkeys(line.state for line in waiting))
    context = {
        "provider": provider,
        "form": form,
        "photo_form": photo_form or PhotoForm(),
        "photo_url": photos.url(provider.photo),
        "initials": _initials(provider),
        "licenses": licenses,
        "waiting": waiting,
        "waiting_in": " and ".join([", ".join(states[:-1]), states[-1]] if len(states) > 1 else states),
        "matched_nowhere": not any(line.standing.counts for line in licenses),
        "unpublished": {} if provider.published else services.provider_publication_problems(provider=provider),
    }
    return render(request, "directory/my_profile.html", context)


def _availability(
    request: HttpRequest, provider: Provider, *, window_form: WindowForm | None = None,
    time_off_form: TimeOffForm | None = None,
) -> HttpResponse:
    if not provider.timezone:
        # Weekly hours are kept in the provider's zone: an imported profile may not have one yet.
        messages.info(request, "Choose your time zone on your profile first: your weekly hours are kept in it.")
        return redirect("directory:my_profile")
    tz = zone(provider.timezone)
    windows = [
        (window, window_label(window))
        for window in provider.windows.order_by("weekday", "start")
    ]
    time_off = [
        (period, moment_label(period.start.astimezone(tz)), moment_label(period.end.astimezone(tz)))
        for period in provider.time_off.filter(end__gt=timezone.now()).order_by("start")
    ]
    context = {
        "provider": provider,
        "zone_name": _zone_name(provider.timezone),
        "zone_now_label": moment_label(timezone.now().astimezone(tz)),
        "windows": windows,
        "time_off": time_off,
        "window_form": window_form or WindowForm(),
        "time_off_form": time_off_form or TimeOffForm(time_zone=provider.timezone),
    }
    return render(request, "directory/my_availability.html", context)


@require_http_methods(["GET"])
@provider_page
def my_availability(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    return _availability(request, provider)


@require_POST
@provider_page
def window_add(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    if not provider.timezone:
        messages.info(request, "Choose your time zone on your profile first: your weekly hours are kept in it.")
        return redirect("directory:my_profile")
    form = WindowForm(request.POST)
    if form.is_valid():
        try:
            window = services.availability_window_add(provider=provider, **form.cleaned_data)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Added {window_label(window)}.")
            return redirect("directory:my_availability")
    return _availability(request, provider, window_form=form)


@require_POST
@provider_page
def window_remove(request: AuthedHttpRequest, provider: Provider, window_id: int) -> HttpResponse:
    try:
        services.availability_window_remove(provider=provider, window_id=window_id)
    except NotFound as exc:
        raise Http404(exc.detail) from None
    messages.success(request, "The window is removed.")
    return redirect("directory:my_availability")


@require_POST
@provider_page
def time_off_add(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    form = TimeOffForm(request.POST, time_zone=provider.timezone)
    if form.is_valid():
        try:
            services.time_off_add(provider=provider, **form.cleaned_data)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Your time off is saved. No openings are offered during it.")
            return redirect("directory:my_availability")
    return _availability(request, provider, time_off_form=form)


@require_POST
@provider_page
def time_off_remove(request: AuthedHttpRequest, provider: Provider, time_off_id: int) -> HttpResponse:
    try:
        services.time_off_remove(provider=provider, time_off_id=time_off_id)
    except NotFound as exc:
        raise Http404(exc.detail) from None
    messages.success(request, "The time off is removed.")
    return redirect("directory:my_availability")


# --- Coordinators ------------------------------------------------------------------------------

staff_only = staff_page

_STATUS_ACTIONS = {
    LicenseStatus.VERIFIED: "Mark verified",
    LicenseStatus.REJECTED: "Mark rejected",
    LicenseStatus.UNVERIFIED: "Set back to not yet verified",
}
_STATUS_DONE = {
    LicenseStatus.VERIFIED: "marked verified",
    LicenseStatus.REJECTED: "marked rejected",
    LicenseStatus.UNVERIFIED: "set back to not yet verified",
}


@require_http_methods(["GET", "HEAD"])
@staff_only
def staff_directory(request: AuthedHttpRequest) -> HttpResponse:
    form = DirectorySearchForm(request.GET if request.GET.keys() - {"page"} else None)
    page = None
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else {}
        found = selectors.provider_search(**filters, awaiting_verification_too=True)
        page = Paginator(found, DIRECTORY_PAGE_SIZE).get_page(request.GET.get("page"))
    today, match_unverified = timezone.localdate(), match_unverified_licenses()
    rows = []
    for provider in page.object_list if page else []:
        waiting = [lic for lic in provider.licenses.all() if lic.awaiting_verification and lic.in_force_on(today)]
        rows.append({
            "provider": provider,
            "licensed_in": sorted({lic.state for lic in provider.licenses.all() if lic.counts_on(today)}),
            "to_verify": len(waiting),
            "waiting_in": sorted({lic.state for lic in waiting}),
        })
    context = {"form": form, "page": page, "rows": rows, "match_unverified": match_unverified}
    return render(request, "directory/staff_directory.html", context)


def _change_lines(change: ProfileChange) -> list[str]:
    """What one change did, a line per field, for coordinators."""
    lines = []
    for name, values in change.changes.items():
        label = _FIELD_LABELS.get(name, name.replace("_", " ").capitalize())
        old, new = values.get("old"), values.get("new")
        if name == "photo":
            lines.append("Photo added" if not old else "Photo removed" if not new else "Photo replaced")
        elif name in _EVENTS:
            lines.append(_EVENTS[name])
        elif old is None and new is None:
            lines.append(f"{label} changed")
        else:
            lines.append(f"{label}: {_value_text(old)} → {_value_text(new)}")
    return lines


# Steps of claiming a profile, recorded in its history without values.
_EVENTS = {
    "invitation": "Sent a link to claim or see the profile", "account": "Profile claimed by the provider",
    "licenses": "Licence completed by the provider, waiting for verification",
    "published": "Published: matched and bookable from now on",
}

_FIELD_LABELS = {
    "bio": "Personal statement", "first_session": "First session", "self_pay_rate": "Self-pay rate",
    "sliding_scale_min": "Sliding scale from", "sliding_scale_max": "Sliding scale up to",
    "accepting_new": "Taking new clients", "min_notice_hours": "Minimum notice", "works_holidays": "Works holidays",
    "offers_consultations": "Free consultation call", "consultation_formats": "Consultation call by",
    "clients_book_series": "Clients book series themselves",
}


def _value_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _who(change: ProfileChange) -> str:
    if change.source in (ChangeSource.PROVIDER, ChangeSource.COORDINATOR):
        email = change.by.email if change.by else change.by_email
        return f"{email or 'an account since removed'} ({ChangeSource(change.source).label})"
    return ChangeSource(change.source).label


def _staff_provider(provider_id: int) -> Provider:
    """The provider a coordinator's page is about, or 404."""
    provider = selectors.provider_for_staff(provider_id=provider_id)
    if provider is None:
        raise Http404("No provider with that id.")
    return provider


@require_http_methods(["GET", "HEAD"])
@staff_only
def staff_provider(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    provider = _staff_provider(provider_id)
    return _staff_provider_page(request, provider)


@require_POST
@staff_only
def staff_provider_profile(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    provider = _staff_provider(provider_id)
    form = _save_profile(request, provider)
    if form is None:
        messages.success(request, f"The profile of {provider.first_name} {provider.last_name} is saved.")
        return redirect("directory:staff_provider", provider_id=provider.pk)
    return _staff_provider_page(request, provider, form=form)


@require_POST
@staff_only
def staff_provider_photo(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    provider = _staff_provider(provider_id)
    form = _save_photo(request, provider)
    if form is None:
        messages.success(request, "The photo is saved.")
        return redirect("directory:staff_provider", provider_id=provider.pk)
    return _staff_provider_page(request, provider, photo_form=form)


@require_POST
@staff_only
def staff_provider_photo_remove(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    provider = _staff_provider(provider_id)
    services.provider_photo_remove(provider=provider, by=request.user)
    messages.success(request, "The photo is removed; the provider's initials are shown instead.")
    return redirect("directory:staff_provider", provider_id=provider.pk)


@require_POST
@staff_only
def staff_provider_contact(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    """A coordinator records where the link to claim the profile goes and the date of birth that confirms it."""
    provider = _staff_provider(provider_id)
    form = ProviderContactForm(request.POST)
    if form.is_valid():
        try:
            services.provider_contact_set(provider=provider, email=form.cleaned_data["email"],
                                          birth_date=form.cleaned_data["birth_date"], by=request.user)
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Saved: the link to claim the profile can be sent.")
            return redirect("directory:staff_provider", provider_id=provider.pk)
    return _staff_provider_page(request, provider, contact_form=form)


def _staff_provider_page(request: AuthedHttpRequest, provider: Provider, *, form: ProviderProfileForm | None = None,
                         photo_form: PhotoForm | None = None,
                         contact_form: ProviderContactForm | None = None) -> HttpResponse:
    provider.refresh_from_db(fields=["photo", "photo_small"])
    tz = zone(provider.timezone or "UTC")  # an imported profile may have no zone yet
    today, match_unverified = timezone.localdate(), match_unverified_licenses()
    context = {
        "provider": provider,
        "unpublished": {} if provider.published else services.provider_publication_problems(provider=provider),
        "pending": provider.pending_qualifications,
        "locations": list(provider.locations.all()),
        "networks": list(provider.networks.all()),
        "endpoints": list(provider.endpoints.all()),
        "initials": _initials(provider),
        "photo_url": photos.url(provider.photo),
        "form": form or ProviderProfileForm(provider=provider),
        "photo_form": photo_form or PhotoForm(),
        "contact_form": contact_form or ProviderContactForm(
            initial={"email": provider.email, "birth_date": provider.birth_date}),
        "history": [
            {"change": change, "who": _who(change), "lines": _change_lines(change)}
            for change in selectors.profile_history(provider_id=provider.pk)
        ],
        "taxonomy": vocab.TAXONOMY.get(provider.taxonomy, provider.taxonomy),
        "gender": vocab.GENDERS.get(provider.gender, provider.gender),
        "concerns": vocab.labels(vocab.CONCERNS, provider.concerns),
        "approaches": vocab.labels(vocab.APPROACHES, provider.approaches),
        "populations": vocab.labels(vocab.POPULATIONS, provider.populations),
        "languages": [vocab.language_name(code) for code in provider.languages],
        "formats": vocab.labels(vocab.FORMATS, provider.formats),
        "insurance": vocab.labels(selectors.payer_names(), provider.insurance),
        "licenses": [
            {
                "license": lic,
                "state": vocab.STATES.get(lic.state, lic.state),
                "expired": lic.expired_on(today),
                "standing": license_standing(lic, today=today, match_unverified=match_unverified),
                "vouched_by": _vouched_by(lic),
                "actions": [(value, label) for value, label in _STATUS_ACTIONS.items() if value != lic.status],
            }
            for lic in provider.licenses.all()
        ],
        "windows": [
            window_label(window) for window in provider.windows.all()
        ],
        "time_off": [
            (moment_label(t.start.astimezone(tz)), moment_label(t.end.astimezone(tz)), t.note)
            for t in provider.time_off.all()
        ],
    }
    return render(request, "directory/staff_provider.html", context)


@staff_only
@require_POST
def license_status(request: AuthedHttpRequest, license_id: int) -> HttpResponse:
    license = selectors.license_by_id(license_id=license_id)
    if license is None:
        raise Http404("No license with that id.")
    form = LicenseStatusForm(request.POST)
    if form.is_valid():
        try:
            services.license_set_status(license=license, status=form.cleaned_data["status"], by=request.user)
        except DomainError as exc:
            messages.error(request, f"Status: {exc.detail}")
        else:
            done = _STATUS_DONE[LicenseStatus(license.status)]
            messages.success(request, f"The {license.state} {license.license_type} license {license.number} is {done}.")
    else:
        messages.error(request, "Status: choose Verified, Rejected or Not yet verified. Nothing was changed.")
    return redirect("directory:staff_provider", provider_id=license.provider_id)


@require_http_methods(["GET", "HEAD"])
@staff_only
@replica_view
def licenses_expiring(request: AuthedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    # ?days=30 narrows the list to what the staff home counts; anything else shows the usual span.
    within = int(request.GET["days"]) if request.GET.get("days") in EXPIRING_SPANS else EXPIRING_WITHIN_DAYS
    licenses = list(selectors.licenses_expiring(within_days=within, today=today))
    rows = [{"license": lic, "days_left": (lic.expires - today).days} for lic in licenses]
    return render(
        request, "directory/licenses_expiring.html",
        {"rows": rows, "within_days": within, "today": today,
         "match_unverified": match_unverified_licenses()},
    )


@require_http_methods(["GET", "POST"])
@staff_only
def staff_payers(request: AuthedHttpRequest) -> HttpResponse:
    """The payers this deployment has (their networks are what providers accept), and adding one."""
    form = PayerForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            payer = services.payer_add(name=form.cleaned_data["name"], slug=form.cleaned_data["slug"])
        except DomainError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{payer.name} is added: providers and plans can name it as {payer.slug}.")
            return redirect("directory:staff_payers")
    return render(request, "directory/staff_payers.html", {
        "form": form, "payers": selectors.payers_listed(),
    })


@require_http_methods(["GET", "HEAD"])
@staff_only
def roster_template_download(request: AuthedHttpRequest) -> HttpResponse:
    """The roster template: every column, with three example rows (the repository's examples/roster.csv)."""
    response = HttpResponse(roster.roster_template(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="roster-template.csv"'
    return response


@require_http_methods(["GET", "POST"])
@staff_only
def roster_import(request: AuthedHttpRequest) -> HttpResponse:
    report = None
    if request.method == "POST":
        form = RosterImportForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = roster.roster_import(source=data["roster"], dry_run=data["dry_run"], partial=data["partial"])
            except DomainError as exc:
                form.add_error("roster", exc.detail)
    else:
        form = RosterImportForm()
    context: dict[str, Any] = {"form": form, "report": report}
    if report is not None:
        context["outcome"] = _import_outcome(
            report, dry_run=form.cleaned_data["dry_run"], partial=form.cleaned_data["partial"]
        )
        context["problems"] = [str(problem) for problem in report.problems[:PROBLEMS_SHOWN]]
        context["problems_not_shown"] = max(0, len(report.problems) - PROBLEMS_SHOWN)
    return render(request, "directory/roster_import.html", context)


def _import_outcome(report: roster.RosterReport, *, dry_run: bool, partial: bool) -> str:
    """What happened, in a sentence: the counts alone do not say whether anything was written."""
    summary = report.summary()
    refused = bool(report.problems) and not partial
    if dry_run:
        if refused:
            return (
                "This was a check, so nothing was written. An import would write nothing, because the file has "
                f"problems: {summary}."
            )
        return f"This was a check, so nothing was written. An import would give: {summary}."
    if report.written:
        return f"The directory is updated: {summary}."
    if not report.problems:
        return f"Nothing needed to change: {summary}."
    if refused:
        return (
            f"Nothing was written, because the file has problems: {summary}. Fix them and import the file again, "
            "or choose to import the good rows even if some are bad."
        )
    return f"Nothing was written: {summary}. Fix the problems below and import the file again."


@never_cache
@require_http_methods(["GET", "POST"])
def profile_claim(request: HttpRequest, token: str) -> HttpResponse:
    """A provider follows their invitation: confirm it is them, choose a password; then they are
    logged in and the log-in asks them to set up an authenticator app before anything else.
    A used, expired or unknown link answers a page saying so (and what to do)."""
    invitation, why_not = services.profile_invitation_find(raw_token=token)
    if invitation is None or why_not:
        problem = services.CLAIM_LINK_NO_LONGER_WORKS[why_not or "unknown"]
        return render(request, "directory/claim.html", {"valid": False, "problem": problem}, status=410
                      if why_not in ("used", "expired") else 404)
    form = ProfileClaimForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.profile_claim(
                raw_token=token, npi=form.cleaned_data["npi"], birth_date=form.cleaned_data["birth_date"],
                licence_number=form.cleaned_data["licence_number"], password=form.cleaned_data["password"],
                address=client_address(request),
            )
        except TooManyRequests as exc:
            form.add_error(None, exc.detail)
            status = 429
        except DomainError as exc:
            fields = getattr(exc, "fields", {}) or {}
            if "password" in fields:
                form.add_error("password", fields["password"])
            elif "email" in fields:
                form.add_error(None, "An account already uses the email address this link was sent to. Log in, "
                                     "or ask your coordinator.")
            else:
                form.add_error(None, exc.detail)
            status = 422
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Your profile is yours. Set up your authenticator app, then complete your "
                                      "profile and your hours.")
            return redirect(f"{reverse('accounts:mfa_setup')}?next={reverse('directory:my_profile')}")
    elif request.method == "POST":
        status = 422
    return render(request, "directory/claim.html", {"valid": True, "email": invitation.sent_to, "form": form},
                  status=status)


@provider_page
@require_http_methods(["GET", "POST"])
def my_licence(request: AuthedHttpRequest, provider: Provider) -> HttpResponse:
    """A provider completes a licence their directory listed without its number or expiry date
    (or adds one); a coordinator then verifies it."""
    form = LicenceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.provider_licence_complete(provider=provider, by=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.detail)
        else:
            messages.success(request, "Your licence is saved. A coordinator verifies it; then your profile is "
                                      "published.")
            return redirect("directory:my_profile")
    return render(request, "directory/my_licence.html", {
        "provider": provider, "form": form, "pending": provider.pending_qualifications,
    }, status=422 if request.method == "POST" else 200)


@require_POST
@staff_only
def staff_provider_invite(request: AuthedHttpRequest, provider_id: int) -> HttpResponse:
    """A coordinator emails the provider a link to claim their profile (or, with an account
    already, a link to it)."""
    provider = _staff_provider(provider_id)
    sent = services.profile_invitations_send(providers=[provider], by=request.user)
    if sent.invited:
        messages.success(request, f"Sent {provider.email} a link to claim the profile, valid for 14 days.")
    elif sent.reminded:
        messages.success(request, "The provider has an account: sent them a link to their profile.")
    else:
        messages.error(request, f"Nothing was sent: {sent.skipped[0][1]}.")
    return redirect("directory:staff_provider", provider_id=provider.pk)


@require_http_methods(["GET", "HEAD"])
@staff_only
def staff_networks(request: AuthedHttpRequest) -> HttpResponse:
    """The payers' networks as imported, and the carematch payer each stands for."""
    return render(request, "directory/staff_networks.html", {
        "networks": selectors.networks_with_counts(), "payers": selectors.payer_choices(),
    })


@require_POST
@staff_only
def staff_network_payer(request: AuthedHttpRequest, network_id: int) -> HttpResponse:
    try:
        network = services.network_payer_set(network_id=network_id, payer=request.POST.get("payer", ""),
                                             by=request.user)
    except NotFound:
        raise Http404("No network with that id.") from None
    except DomainError as exc:
        messages.error(request, f"Payer: {exc.detail} Nothing was changed.")
    else:
        shown = selectors.payer_names().get(network.payer, "no carematch payer")
        messages.success(request, f"{network.name} now stands for {shown}; its providers' insurance says so.")
    return redirect("directory:staff_networks")
