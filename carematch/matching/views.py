"""The client's journey to a booked first session: choose an opening, hold it while they
sign up or log in, book it, and see the confirmation with a calendar file."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import secrets
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts import selectors as account_selectors
from carematch.accounts import services as account_services
from carematch.accounts import throttle
from carematch.accounts.http import AuthedHttpRequest, signed_in_user
from carematch.accounts.models import Client, Role
from carematch.accounts.views import sign_up_sent
from carematch.coverage import selectors as coverage_selectors
from carematch.directory import selectors as directory_selectors
from carematch.directory.models import Provider
from carematch.directory.selectors import payer_names
from carematch.lib import vocab
from carematch.lib.errors import DomainError, NotFound
from carematch.lib.sessions import length_of
from carematch.lib.timezones import client_zone, in_zone, us_zones, when_label
from carematch.messaging.safety import mentions_crisis
from carematch.scheduling import calendar, cancellation_policy
from carematch.scheduling import selectors as scheduling_selectors
from carematch.scheduling import services as scheduling
from carematch.scheduling.access_log import visible_appointment
from carematch.scheduling.models import Appointment, CrisisChannel, CrisisStatus, Status
from carematch.scheduling.reminders import reminder_promise
from carematch.scheduling.selectors import provider_openings

from . import intake, selectors
from .costs import Payer, cost_shown, match_costs
from .engine.match import relaxations
from .engine.reasons import shared_sentence
from .engine.types import Match, MatchAnswer, MatchRequest, time_of_day
from .forms import ClientDetailsForm, ClientSignUpForm, CrisisContactForm, HoldForm, RescheduleForm, SeriesForm
from .viewer import viewer_cost, viewer_zone, visitor_plan

_HOLD_TOKEN = "carematch_hold_token"  # noqa: S105 - the name of a session entry
_NOTE = "note_for_therapist"
_FIELD_FOR = {"password": "password1", "timezone": "timezone"}


def _client_of(request: HttpRequest) -> Client | None:
    user = signed_in_user(request)
    if user is not None and policy.has_role(user, Role.CLIENT):
        return account_selectors.client_of(user=user)
    return None


def _hold_token(request: HttpRequest) -> str:
    """A secret kept in the session (it survives logging in, unlike the session key)."""
    token = request.session.get(_HOLD_TOKEN)
    if not token:
        token = request.session[_HOLD_TOKEN] = secrets.token_urlsafe(32)
    return str(token)


def _provider(provider_id: int) -> Provider | None:
    """The provider to book, or None: unknown, or not published (an incomplete profile)."""
    provider = directory_selectors.provider_by_id(provider_id=provider_id)
    return provider if provider is not None and provider.published else None


def _viewer_zone(request: HttpRequest, provider: Provider) -> str:
    """The client's zone (theirs, or where the intake says they are), as on the results and
    the profile; the provider's own for anyone else."""
    return viewer_zone(request) or provider.timezone


def _put_errors(form: Form, exc: DomainError) -> None:
    placed = False
    for field, problem in exc.fields.items():
        name = _FIELD_FOR.get(field, field)
        if name in form.fields:
            form.add_error(name, exc.detail if len(exc.fields) == 1 else problem[:1].upper() + problem[1:] + ".")
            placed = True
    if not placed:
        form.add_error(None, exc.detail)


# --- Next openings and the way back: what every dead end of the journey offers ---------------

NEXT_OPENINGS_WITHIN = dt.timedelta(days=14)
NEXT_OPENINGS_SHOWN = 6


def _next_openings(provider: Provider, zone_name: str, kind: str = "session") -> list[dict[str, Any]]:
    """The provider's soonest free openings of this kind, on the viewer's clock, each linking to
    its booking page."""
    now = timezone.now()
    starts = provider_openings(provider=provider, start=now, end=now + NEXT_OPENINGS_WITHIN, now=now, kind=kind)
    book = reverse("matching:book_opening", kwargs={"provider_id": provider.pk})
    extra = {"kind": kind} if kind != "session" else {}
    return [
        {"start": start, "label": when_label(start, zone_name),
         "url": f"{book}?{urlencode({'start': start.isoformat(), **extra})}"}
        for start in starts[:NEXT_OPENINGS_SHOWN]
    ]


def _way_back(request: HttpRequest) -> dict[str, str]:
    """Back to the person's other matches when the intake has their answers; else the intake."""
    if _answers(request) and intake.answers_complete(_answers(request)) is None:
        return {"url": reverse("matching:results"), "label": _("See your other matches")}
    return {"url": reverse("matching:intake_step", kwargs={"slug": "safety"}), "label": _("Find a therapist who fits")}


def _journey_stop(
    request: HttpRequest, *, title: str, lead: str, provider: Provider | None = None, status: int = 404,
    zone_name: str | None = None, link: tuple[str, str] | None = None,
) -> HttpResponse:
    """A real page for every dead end of the journey (an unknown provider, a hold that is
    lost, ended or taken, a session that is not there): what happened in plain words, the
    provider's next openings, and the way back. Never Django's own 404, which a deployment
    with DEBUG on would show as its technical page."""
    return render(request, "matching/journey_stop.html", {
        "title": title, "lead": lead, "link": link, "provider": provider,
        "openings": _next_openings(provider, zone_name or _viewer_zone(request, provider)) if provider else [],
        "way_back": _way_back(request),
    }, status=status)


def _no_provider(request: HttpRequest) -> HttpResponse:
    return _journey_stop(request, title=_("We could not find that therapist"),
                         lead=_("The link may be old, or the therapist may no longer be listed."))


def _formats_for(request: HttpRequest, provider: Provider, kind: str = "session") -> tuple[list[str], str | None]:
    """The formats to offer for an opening of `provider`, and the one to choose first: those
    the provider offers (for a consultation call, the ways they offer the call), narrowed to
    the one the person asked for in the intake when the provider offers it (they asked to meet
    only that way); preselected likewise."""
    offered = [str(f) for f in (provider.consultation_formats if kind == "consultation" else provider.formats)]
    asked = str(_answers(request).get("format") or "")
    if asked in offered:
        return [asked], asked
    return offered, None


@require_http_methods(["GET", "POST"])
def book_opening(request: HttpRequest, provider_id: int) -> HttpResponse:
    """Confirm the time and the format, then hold the opening."""
    provider = _provider(provider_id)
    if provider is None:
        return _no_provider(request)
    raw_start = (request.POST if request.method == "POST" else request.GET).get("start", "")
    start = _parse_start(raw_start)
    kind = (request.POST if request.method == "POST" else request.GET).get("kind") or "session"
    if kind not in ("session", "consultation"):
        start = None  # the link names no kind of appointment we book: said below, as for a bad time
        kind = "session"
    formats, preferred = _formats_for(request, provider, kind)
    form = HoldForm(request.POST or None, formats=formats, preferred=preferred,
                    initial={"start": raw_start, "kind": kind}, kind=kind)
    available = start is not None and start in provider_openings(
        provider=provider, start=start, end=start + length_of(kind), kind=kind
    )
    limited: scheduling.TooManyHolds | None = None
    if request.method == "POST" and start is not None and available and form.is_valid():
        client = _client_of(request)
        try:
            hold = scheduling.hold_place(
                provider=provider, client=client, start=start, format=form.cleaned_data["format"],
                by=signed_in_user(request),
                session_key="" if client else _hold_token(request), address=throttle.client_address(request),
                kind=kind,
            )
        except scheduling.TooManyHolds as exc:
            limited = exc
        except scheduling.SlotTaken:
            available = False
        except DomainError as exc:
            _put_errors(form, exc)
            available = "start" not in exc.fields
        else:
            return redirect("matching:finish_booking", hold_id=hold.pk)
    zone_name = _viewer_zone(request, provider)
    if not available and not limited and not form.errors:
        return _journey_stop(
            request, provider=provider, zone_name=zone_name, status=410 if start is not None else 400,
            title=_("That time is no longer available"),
            lead=(_("%(when)s with %(name)s has just been booked or held by someone else, or is no longer one of "
                    "their openings.") % {"when": when_label(start, zone_name), "name": provider.display_name}
                  if start is not None else _("The link does not name a time we can book.")),
        )
    response = render(request, "matching/book_opening.html", {
        "provider": provider, "form": form, "available": available, "limited": limited,
        "consultation": kind == "consultation", "minutes": length_of(kind) // dt.timedelta(minutes=1),
        "when": when_label(start, zone_name) if start else "",
        "provider_when": when_label(start, provider.timezone) if start else "",
        "same_zone": zone_name == provider.timezone,
        "openings": _next_openings(provider, zone_name) if not available else [],
        "way_back": _way_back(request),
        "cost": viewer_cost(request, provider) if kind == "session" else None,
        "login_url": f"{reverse('accounts:login')}?{urlencode({'next': request.get_full_path()})}",
        "signup_url": f"{reverse('accounts:signup')}?{urlencode({'next': request.get_full_path()})}",
    }, status=429 if limited else 200)
    if limited:
        response["Retry-After"] = str(limited.retry_after)
    return response


def _parse_start(value: str) -> dt.datetime | None:
    try:
        moment = dt.datetime.fromisoformat(value.replace(" ", "+"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(dt.UTC)


def _hold_for(request: HttpRequest, hold_id: int) -> Appointment | HttpResponse:
    """The hold (or the booking it became) of this browser or client; else the page that
    says, in plain words, that it is not here."""
    client = _client_of(request)
    hold = scheduling_selectors.hold_or_booking(appointment_id=hold_id)
    if hold is None:
        return _journey_stop(
            request, title=_("We could not find that hold"),
            lead=_("The link may be old, or the time was let go. Choose a time again: it only takes a moment."),
        )
    if client is not None and hold.client_id == client.pk:
        return hold
    token = request.session.get(_HOLD_TOKEN)
    if token and hold.client_id is None and scheduling.session_hold(hold_id=hold.pk, session_key=str(token)):
        return hold
    return _journey_stop(
        request, provider=hold.provider, title=_("This time is not held for you here"),
        lead=_("A time is held for the browser that chose it, or for your account once you are logged in. "
               "If you chose it in another browser or on another device, carry on there, or log in with the "
               "account you were booking with."),
        link=(f"{reverse('accounts:login')}?{urlencode({'next': request.path})}", _("Log in to carry on booking")),
    )


def _hold_ended_and_taken(hold: Appointment) -> bool:
    """The hold has ended (lapsed, or released when the person held another time) and its
    hour is no longer free for them: someone else has it, or it is no longer an opening."""
    if hold.status == Status.HELD and hold.hold_expires_at is not None and hold.hold_expires_at > timezone.now():
        return False
    return hold.start not in provider_openings(provider=hold.provider, start=hold.start,
                                               end=hold.start + length_of(hold.kind), exclude_ids=(hold.pk,),
                                               kind=hold.kind)


def _hold_gone(request: HttpRequest, hold: Appointment, *, taken_now: bool = False) -> HttpResponse:
    zone_name = _viewer_zone(request, hold.provider)
    when = when_label(hold.start, zone_name)
    if taken_now:
        lead = _("Someone else booked %(when)s while you were finishing. Nothing was booked for you.") % {
            "when": when}
    elif hold.status == Status.RELEASED:
        lead = _("You held another time after this one, so we let %(when)s go, and it has been taken since. "
                 "Nothing was booked for you.") % {"when": when}
    else:
        lead = _("We held %(when)s for you for %(minutes)s minutes; the hold ended and the time has been "
                 "taken since. Nothing was booked for you.") % {"when": when, "minutes": HOLD_MINUTES}
    return _journey_stop(request, provider=hold.provider, zone_name=zone_name, status=410,
                         title=_("That time is no longer available"), lead=lead)


@require_http_methods(["GET", "POST"])
def finish_booking(request: HttpRequest, hold_id: int) -> HttpResponse:
    """While the opening is held: sign up (or give details), then book it."""
    found = _hold_for(request, hold_id)
    if isinstance(found, HttpResponse):
        return found
    hold = found
    if hold.status == Status.BOOKED:
        return redirect("matching:appointment", appointment_id=hold.pk)
    user = request.user
    staff_or_provider = user.is_authenticated and not policy.has_role(user, Role.CLIENT)
    if not staff_or_provider and _hold_ended_and_taken(hold):
        return _hold_gone(request, hold)
    client = _client_of(request)
    form: Form | None = None
    known = _known_details(request)
    if not user.is_authenticated:
        form = ClientSignUpForm(request.POST or None, known=known)
    elif client is None and not staff_or_provider:
        form = ClientDetailsForm(request.POST or None, known=known)
    if request.method == "POST" and not staff_or_provider and (form is None or form.is_valid()):
        try:
            client = _ensure_client(request, form, client)
            asked = _answers(request).get("care_request")
            if asked:
                scheduling.care_request_attach_client(request_id=int(asked), client=client)
            _emails_in_page_language(client)
            appointment = scheduling.appointment_book(
                provider=hold.provider, client=client, start=hold.start, format=hold.format, by=client.user,
                hold=hold if hold.status == Status.HELD else None, kind=hold.kind,
            )
        except _SignUpEmailSent as sent:
            live_until = hold.hold_expires_at if hold.status == Status.HELD else None
            return sign_up_sent(request, email=sent.email, next_url=request.path, hold_until=when_label(
                live_until, _viewer_zone(request, hold.provider)) if live_until else "")
        except scheduling.SlotTaken:
            return _hold_gone(request, hold, taken_now=True)
        except DomainError as exc:
            if form is None:
                messages.error(request, exc.detail)
            else:
                _put_errors(form, exc)
        else:
            return redirect("matching:appointment", appointment_id=appointment.pk)
    provider = hold.provider
    zone_name = _viewer_zone(request, provider)
    live = hold.status == Status.HELD and hold.hold_expires_at is not None and hold.hold_expires_at > timezone.now()
    return render(request, "matching/finish_booking.html", {
        "hold": hold, "provider": provider, "form": form, "live": live,
        "staff_or_provider": staff_or_provider,
        "when": when_label(hold.start, zone_name),
        "held_until": when_label(hold.hold_expires_at, zone_name) if hold.hold_expires_at else "",
        "known": _known_facts(known),
        "login_url": f"{reverse('accounts:login')}?next={request.path}",
    })


def _emails_in_page_language(client: Client) -> None:
    """The emails about a booking (confirmation, reminders, changes) are written in the
    language the person booked in: their account keeps the page's language, one offered."""
    page_language = translation.get_language() or settings.LANGUAGE_CODE
    if page_language != client.user.language and page_language in dict(settings.LANGUAGES):
        account_services.user_language_set(user=client.user, language=page_language)


HOLD_MINUTES = scheduling.HOLD_FOR // dt.timedelta(minutes=1)


def _known_details(request: HttpRequest) -> dict[str, Any]:
    """What the intake already asked, so the sign-up form does not ask it again: where the
    person will be (state, and the ZIP code they gave or chose not to give), their date of
    birth, and so their time zone. Nothing when the intake has not said where they are."""
    answers = _answers(request)
    if not answers.get("state"):
        return {}
    known: dict[str, Any] = {
        "state": answers["state"], "zip": answers.get("zip") or "",
        "timezone": client_zone(zip=answers.get("zip"), state=answers.get("state")),
    }
    with contextlib.suppress(ValueError):  # not given (or not readable): the form asks for it
        known["date_of_birth"] = dt.date.fromisoformat(str(answers.get("date_of_birth") or ""))
    return known


def _known_facts(known: dict[str, Any]) -> list[tuple[str, str]]:
    """The known details as the page says them."""
    facts = []
    if known.get("state"):
        facts.append((_("Where you will be during sessions"), vocab.STATES.get(known["state"], known["state"])))
        facts.append((_("ZIP code"), known.get("zip") or _("Not given")))
    if known.get("date_of_birth"):
        born = known["date_of_birth"]
        facts.append((_("Date of birth"), dateformat.format(born, pgettext("date format", "j F Y"))))
    if known.get("timezone"):
        name = dict(us_zones()).get(known["timezone"], known["timezone"].replace("_", " "))
        short = in_zone(timezone.now(), known["timezone"]).strftime("%Z")
        facts.append((_("Times are shown in"), f"{name}, {short}"))
    return facts


def _ensure_client(request: HttpRequest, form: Form | None, client: Client | None) -> Client:
    if client is not None:
        return client
    assert form is not None  # noqa: S101 - the view builds a form whenever there is no client yet
    data = form.cleaned_data
    details: dict[str, Any] = {
        "first_name": data["first_name"], "last_name": data["last_name"], "date_of_birth": data["date_of_birth"],
        "state": data["state"], "zip": data["zip"], "timezone_name": data["timezone"],
    }
    if not request.user.is_authenticated:
        # The account is created when the emailed link is followed; the answer is the same
        # whether or not the address has one, and sign-ups are throttled per address as on the
        # sign-up page (accounts.services.sign_up_start).
        account_services.sign_up_start(
            email=data["email"], password=data["password1"], address=throttle.client_address(request),
            preferred_name=data["first_name"], client_details=details, next_url=request.path,
            carry={_HOLD_TOKEN: _hold_token(request), intake.SESSION_KEY: _answers(request)},
        )
        raise _SignUpEmailSent(data["email"])
    return account_services.client_details_set(user=request.user, **details)


class _SignUpEmailSent(Exception):
    """A sign-up was sent for confirmation: the page answers "check your email"."""

    def __init__(self, email: str) -> None:
        super().__init__("confirmation email sent")
        self.email = email


# --- A booked session: see it, add it to a calendar, cancel it or move it ----------------------


def _session_zone(request: AuthedHttpRequest, found: Appointment) -> str:
    """The zone a session's page and calendar file show it in: the client's own for the client,
    the provider's for everyone else."""
    return found.client.timezone if found.client and policy.has_role(request.user, Role.CLIENT) \
        else found.provider.timezone


def _appointment_or_stop(
    request: AuthedHttpRequest, appointment_id: int, action: str = Action.VIEW
) -> Appointment | HttpResponse:
    """The appointment the caller may see, its access recorded (scheduling.access_log, as on
    the API); else a page saying it is not there (404)."""
    try:
        return visible_appointment(request, appointment_id, action=action)
    except NotFound:
        return _journey_stop(request, title=_("We could not find that session"),
                             lead=_("It may belong to another account."),
                             link=(reverse("accounts:home"), _("See your sessions")))


def _may_change(request: AuthedHttpRequest, found: Appointment) -> bool:
    """Who may cancel or move a session: the client (or whoever acts for them), the provider,
    coordinators and admins; the same people as on the API."""
    return (policy.is_staff_member(request.user) or policy.has_role(request.user, Role.PROVIDER)
            or bool(found.client and policy.may_act_for_client(request.user, found.client)))


def _late_policy(found: Appointment, request: AuthedHttpRequest) -> dict[str, Any]:
    """What the practice's late-cancellation policy says about giving up this session's hour
    now, in words, before the person confirms (scheduling.services.counts_as_late)."""
    hours = cancellation_policy.notice_hours()
    return {
        "late_hours": hours,
        "late": scheduling.counts_as_late(appointment=found, by=request.user, now=timezone.now()),
        "held_to_policy": policy.has_role(request.user, Role.CLIENT),
    }


@login_required
def appointment(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    found = _appointment_or_stop(request, appointment_id)
    if isinstance(found, HttpResponse):
        return found
    zone_name = _session_zone(request, found)
    now = timezone.now()
    upcoming = found.status == Status.BOOKED and found.start > now
    is_client = policy.has_role(request.user, Role.CLIENT)
    return render(request, "matching/appointment.html", {
        "appointment": found, "provider": found.provider,
        "when": when_label(found.start, zone_name),
        "provider_when": when_label(found.start, found.provider.timezone),
        "same_zone": zone_name == found.provider.timezone,
        "can_change": upcoming and _may_change(request, found),
        "reminder": _reminder_sentence(found, zone_name) if upcoming else "",
        # After a cancellation, the client is offered the provider's next openings and their other matches.
        "openings": _next_openings(found.provider, zone_name)
        if found.status == Status.CANCELLED and is_client else [],
        "way_back": _way_back(request) if found.status == Status.CANCELLED and is_client else None,
        **_ongoing(request, found, now),
    })


def _ongoing(request: AuthedHttpRequest, found: Appointment, now: dt.datetime) -> dict[str, Any]:
    """What the session page offers for ongoing care (matching/includes/session_series.html):
    to its provider, booking a series and recording attendance; to whoever may change it,
    cancelling the rest of its series; and to everyone, which reminders will come."""
    provider_side = scheduling.acts_as_provider_of(appointment=found, by=request.user)
    series_open = found.series_id is not None and _may_change(request, found) and bool(
        scheduling_selectors.series_rest(appointment=found, now=now))
    return {
        "series_form": SeriesForm() if scheduling.may_book_series(appointment=found, by=request.user)
        and found.client_id
        and found.status in (Status.BOOKED, Status.COMPLETED) else None,
        "can_mark_attendance": provider_side and found.status == Status.BOOKED and found.start <= now,
        "can_cancel_rest": series_open,
    }


def _reminder_sentence(found: Appointment, zone_name: str) -> str:
    coming = reminder_promise(start=found.start, due=found.reminder_due_at)
    if found.reminder_sent_at is not None:
        sent = _("We sent you a reminder on %(when)s.") % {"when": when_label(found.reminder_sent_at, zone_name)}
        return f"{sent} {reminder_promise(start=found.start, due=found.reminder_due_at, again=True)}" if coming \
            else sent
    return coming


@login_required
def appointment_calendar_file(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    found = _appointment_or_stop(request, appointment_id)
    if isinstance(found, HttpResponse):
        return found
    zone_name = _session_zone(request, found)
    response = HttpResponse(calendar.appointment_ics(found, viewer_timezone=zone_name),
                            content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="carematch-session-{found.pk}.ics"'
    return response


def _changeable(request: AuthedHttpRequest, appointment_id: int) -> Appointment | HttpResponse:
    """The session the caller may cancel or move, its access recorded; else the page saying it
    is not there (those who may see it but not change it are recorded as refused)."""
    found = _appointment_or_stop(request, appointment_id, Action.UPDATE)
    if isinstance(found, HttpResponse):
        return found
    if not _may_change(request, found):
        audit.denied(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                     client=found.client_id)
        return _journey_stop(request, title=_("We could not find that session"),
                             lead=_("It may belong to another account."),
                             link=(reverse("accounts:home"), _("See your sessions")))
    return found


@login_required
@require_http_methods(["GET", "POST"])
def appointment_cancel(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """GET asks to confirm, saying when the session is and whether cancelling now counts as a
    late cancellation; POST cancels. If the answer changed between the two (the 24 hours
    passed meanwhile), the page asks again rather than cancel on terms not shown."""
    found = _changeable(request, appointment_id)
    if isinstance(found, HttpResponse):
        return found
    zone_name = _session_zone(request, found)
    terms = _late_policy(found, request)
    if found.status != Status.BOOKED or found.start <= timezone.now():
        state = _("under way or over") if found.status == Status.BOOKED else found.get_status_display().lower()
        messages.info(request, _("This session can no longer be cancelled: it is %(state)s.") % {"state": state})
        return redirect("matching:appointment", appointment_id=found.pk)
    changed_terms = request.method == "POST" and terms["late"] and request.POST.get("late") != "1"
    if request.method == "POST" and not changed_terms:
        try:
            with audit.write(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                             client=found.client_id):
                scheduling.appointment_cancel(appointment=found, by=request.user)
        except DomainError as exc:
            messages.error(request, exc.detail)
        else:
            messages.success(request, _("Your session is cancelled. The time is free for someone else.")
                             if terms["held_to_policy"] else _("The session is cancelled; the client has been told."))
        return redirect("matching:appointment", appointment_id=found.pk)
    return render(request, "matching/appointment_cancel.html", {
        "appointment": found, "provider": found.provider, "when": when_label(found.start, zone_name),
        "changed_terms": changed_terms, **terms,
    })


@login_required
@require_http_methods(["GET", "POST"])
def appointment_reschedule(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    """Choose another of the same provider's openings for a booked session; the move is one
    step (scheduling.services.appointment_reschedule): the session either has its new time or
    keeps its old one. Giving up the old hour follows the late-cancellation policy, said
    before confirming."""
    found = _changeable(request, appointment_id)
    if isinstance(found, HttpResponse):
        return found
    if found.status != Status.BOOKED or found.start <= timezone.now():
        messages.info(request, _("This session can no longer be moved."))
        return redirect("matching:appointment", appointment_id=found.pk)
    zone_name = _session_zone(request, found)
    terms = _late_policy(found, request)
    openings = _next_openings(found.provider, zone_name, found.kind)
    form = RescheduleForm(request.POST or None, openings=openings)
    status, problem = 200, ""
    if request.method == "POST":
        if terms["late"] and request.POST.get("late") != "1":
            form.add_error(None, _("It is now less than %(hours)s hours before your session, so moving it counts "
                                   "as a late cancellation. Choose the new time again to confirm.")
                           % {"hours": terms["late_hours"]})
        elif form.is_valid():
            new_start = form.cleaned_data["start"]
            try:
                with audit.write(request, action=Action.UPDATE, resource_type="appointment", resource_id=found.pk,
                                 client=found.client_id):
                    moved = scheduling.appointment_reschedule(appointment=found, start=new_start, by=request.user)
            except DomainError as exc:
                status = 409 if isinstance(exc, scheduling.SlotTaken) else 422
                problem = _("%(new)s could not be booked: %(problem)s Your session is still %(when)s.") % {
                    "new": when_label(new_start, zone_name), "problem": exc.detail,
                    "when": when_label(found.start, zone_name)}
                form = RescheduleForm(None, openings=_next_openings(found.provider, zone_name, found.kind))
            else:
                new_when = when_label(moved.start, zone_name)
                messages.success(request, _("Your session is moved to %(when)s.") % {"when": new_when}
                                 if terms["held_to_policy"]
                                 else _("The session is moved to %(when)s; the client has been told.")
                                 % {"when": new_when})
                return redirect("matching:appointment", appointment_id=found.pk)
    return render(request, "matching/appointment_reschedule.html", {
        "appointment": found, "provider": found.provider, "when": when_label(found.start, zone_name),
        "form": form, "problem": problem, **terms,
    }, status=status)


# --- The intake ------------------------------------------------------------------------------


def _answers(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(intake.SESSION_KEY) or {})


def _save_answers(request: HttpRequest, answers: dict[str, Any]) -> None:
    request.session[intake.SESSION_KEY] = answers


def _care_request_id(request: HttpRequest, answers: dict[str, Any]) -> int:
    """The request for care this intake made: recorded once, when first needed, so the
    48-hour clock starts when the person asked, not when they booked."""
    if not answers.get("care_request"):
        answers["care_request"] = scheduling.care_request_open(client=_client_of(request)).pk
        _save_answers(request, answers)
    return int(answers["care_request"])


def _plans_offered(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The plans of the payer the person chose (id, name), for the plan step; none when they
    pay themselves or the payer has no plans loaded (then the step is not asked)."""
    payment = answers.get("payment") or intake.PAYMENT_SELF
    if payment == intake.PAYMENT_SELF:
        return []
    return [(plan.plan_id, plan.name) for plan in coverage_selectors.plans_of(payer=payment)]


def _steps_asked(answers: dict[str, Any]) -> list[intake.Step]:
    """The steps this person is asked: the plan step only with insurance whose payer has plans."""
    return [step for step in intake.STEPS if step.slug != "plan" or _plans_offered(answers)]


def _step_form(step: intake.Step, answers: dict[str, Any], data: Any = None) -> Form:
    kwargs: dict[str, Any] = {}
    if step.form is intake.PlaceForm:
        kwargs["format"] = answers.get("format", "any")
    if step.form is intake.PlanForm:
        kwargs["plans"] = _plans_offered(answers)
        kwargs["payer_name"] = coverage_selectors.payer_names().get(str(answers.get("payment") or ""), "")
    initial = {name: answers[name] for name in step.form.base_fields if name in answers}
    if step.form is intake.PreferencesForm and "languages" not in initial:
        # Someone reading the intake in Spanish is matched, unless they say otherwise, with
        # therapists who hold sessions in Spanish.
        initial["languages"] = intake.default_languages(translation.get_language())
    return step.form(data, initial=initial, **kwargs)


@require_http_methods(["GET", "POST"])
def intake_step(request: HttpRequest, slug: str = "safety") -> HttpResponse:
    """One question a step; answers are kept, so Back and Continue never lose them. The note
    for the therapist is never kept in the session: it goes, encrypted, on the request for
    care at once (scheduling.care_request_note_set)."""
    if slug not in intake.STEP_SLUGS:
        raise Http404
    answers = _answers(request)
    steps = _steps_asked(answers)
    if slug not in [asked.slug for asked in steps]:
        # Not asked of this person (the plan step, paying themselves): on to the next step.
        later = intake.STEP_SLUGS[intake.STEP_SLUGS.index(slug) + 1]
        return redirect("matching:intake_step", slug=later)
    index = [asked.slug for asked in steps].index(slug)
    step = steps[index]
    form = _step_form(step, answers, request.POST if request.method == "POST" else None)
    if _NOTE in form.fields and request.method != "POST" and answers.get("care_request"):
        form.initial[_NOTE] = scheduling_selectors.care_request_note(request_id=int(answers["care_request"]))
    if request.method == "POST" and form.is_valid():
        cleaned = dict(form.cleaned_data)
        note = cleaned.pop(_NOTE, None)
        if note is not None and (note or answers.get("care_request")):
            try:
                scheduling.care_request_note_set(request_id=_care_request_id(request, answers), note=note)
            except DomainError as exc:
                form.add_error(_NOTE, exc.detail)
        if not form.errors:
            _plan_kept(request, answers, slug, cleaned, form)
        if not form.errors:
            answers.update(intake.to_session(cleaned))
            _save_answers(request, answers)
            if slug == "safety" and form.cleaned_data["in_danger"] == "yes":
                return redirect("matching:help_now")
            if note and not answers.get("note_crisis") and mentions_crisis(note):
                # Words of danger in the note, in any language with a phrase list: how to reach
                # help now comes first (once; the person then goes on where they were).
                answers["note_crisis"] = True
                _save_answers(request, answers)
                return redirect("matching:help_now")
            steps = _steps_asked(answers)
            index = [asked.slug for asked in steps].index(slug)
            if index + 1 < len(steps):
                return redirect("matching:intake_step", slug=steps[index + 1].slug)
            return redirect("matching:results")
    return render(request, "matching/intake_step.html", {
        "step": step, "form": form, "number": index + 1, "total": len(steps),
        "back": steps[index - 1].slug if index else None,
    })


def _plan_kept(request: HttpRequest, answers: dict[str, Any], slug: str, cleaned: dict[str, Any],
               form: Form) -> None:
    """What the person said about their plan goes on their request for care
    (scheduling.care_request_coverage_set checks it); choosing another way to pay forgets it."""
    if slug == "payment" and cleaned.get("payment") != answers.get("payment"):
        had_plan = answers.get("plan_id")
        for name in intake.PLAN_ANSWERS:
            answers.pop(name, None)
        if had_plan and answers.get("care_request"):
            scheduling.care_request_coverage_set(request_id=int(answers["care_request"]), payer=None, plan_id=None,
                                                 deductible_left_usd=None, oop_left_usd=None)
        return
    if slug != "plan":
        return
    payment = str(answers.get("payment") or "")
    try:
        scheduling.care_request_coverage_set(
            request_id=_care_request_id(request, answers), payer=payment or None,
            plan_id=cleaned.get("plan_id") or None, deductible_left_usd=cleaned.get("deductible_left_usd"),
            oop_left_usd=cleaned.get("oop_left_usd"))
    except DomainError as exc:
        _put_errors(form, exc)


@require_http_methods(["GET", "POST"])
def help_now(request: HttpRequest) -> HttpResponse:
    """Someone said they are in danger: how to reach help now comes first, then (only if they
    want) a coordinator reaches out, then finding a therapist, never instead of help.

    One request to be contacted a visit: once asked, the page says when coordinators call
    back until a coordinator has closed it (a reload or a second press asks nothing twice)."""
    answers = _answers(request)
    if answers.get("in_danger") != "yes" and not answers.get("note_crisis"):
        return redirect("matching:intake_step", slug="safety")
    request_id = _care_request_id(request, answers)
    scheduling.care_request_flag_crisis(request_id=request_id)
    asked = scheduling_selectors.crisis_request_by_id(crisis_request_id=int(answers.get("crisis_request") or 0),
                                                      status=CrisisStatus.OPEN)
    form = None
    if asked is None:
        client = _client_of(request)
        form = CrisisContactForm(request.POST or None, initial={"state": answers.get("state") or (
            client.state if client else "")})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            crisis = None
            with audit.write(request, action=Action.CREATE, resource_type="crisis_request",
                             client=client) as attempt:
                try:
                    made = scheduling.crisis_request_create(
                        channel=CrisisChannel.PAGE, name=data["name"], phone=data["phone"], email=data["email"],
                        state=data["state"], message=data["message"], client=client, care_request_id=request_id,
                        address=throttle.client_address(request),
                    )
                except DomainError as exc:
                    attempt.reject()
                    _put_errors(form, exc)
                else:
                    attempt.resource_id, attempt.client = made.pk, made.client_id
                    crisis = made
            if crisis is not None:
                answers["crisis_request"] = crisis.pk
                _save_answers(request, answers)
                return redirect("matching:help_now")
    return render(request, "matching/help_now.html", {
        "form": form, "asked": asked, "callback_hours": settings.CRISIS_CALLBACK_HOURS,
    })


_STEP_OF_FIELD = {"state": "place", "zip": "place", "age": "about", "concerns": "help", "approaches": "help",
                  "format": "meeting", "max_distance_miles": "meeting", "languages": "preferences",
                  "provider_gender": "preferences", "insurance": "payment", "self_pay_max": "payment"}


def _find(request: HttpRequest, answers: dict[str, Any]) -> tuple[MatchRequest, MatchAnswer] | HttpResponse:
    """The matches for the stored answers, or where to send the person to finish or fix them."""
    from .services import match_find

    missing = intake.answers_complete(answers)
    if missing:
        return redirect("matching:intake_step", slug=missing)
    now = timezone.now()
    _care_request_id(request, answers)
    match_request = intake.match_request(answers, now=now)
    zone_name = viewer_zone(request)
    if zone_name and zone_name != match_request.client_timezone:
        # A signed-in client reads (and asks for times of day) on their own clock, as on
        # every other page.
        match_request = dataclasses.replace(match_request, client_timezone=zone_name)
    try:
        return match_request, match_find(request=match_request, now=now, asking=True)
    except DomainError as exc:
        # Answers kept from an older visit may no longer fit the rules: ask again, never fail.
        messages.error(request, _("%(problem)s Please check your answers.") % {"problem": exc.detail})
        step = _STEP_OF_FIELD.get(next(iter(exc.fields), ""), "help")
        return redirect("matching:intake_step", slug=step)


def _openings_shown(found: Match, asked: MatchRequest) -> list[dict[str, Any]]:
    zone_name = asked.client_timezone
    shown = []
    for opening in found.openings:
        part = time_of_day(opening.start, zone_name)
        shown.append({
            "start": opening.start, "label": when_label(opening.start, zone_name),
            "formats": opening.formats,
            "asked": f"{part.capitalize()}, as you asked" if part and part in asked.times_of_day else "",
        })
    return shown


def _calls_shown(card: selectors.Card, asked: MatchRequest) -> list[dict[str, Any]]:
    """The soonest times of the provider's free 15-minute call, on the person's clock, each
    linking to the booking page for a consultation."""
    book = reverse("matching:book_opening", kwargs={"provider_id": card.id})
    return [
        {"start": start, "label": when_label(start, asked.client_timezone),
         "url": f"{book}?{urlencode({'start': start.isoformat(), 'kind': 'consultation'})}"}
        for start in card.call_times
    ]


def _cards(request: HttpRequest, answer: MatchAnswer, asked: MatchRequest,
           answers: dict[str, Any]) -> list[dict[str, Any]]:
    cards = selectors.match_cards(provider_ids=[found.provider_id for found in answer.matches])
    plan = visitor_plan(request, answers, insurance=asked.insurance)
    costs = match_costs(request=asked, plan=plan, providers=[
        Payer(provider_id=card.id, self_pay_rate=card.self_pay_rate, sliding_scale=card.sliding_scale)
        for card in cards.values()])
    return [
        {"match": found, "card": cards[found.provider_id], "openings": _openings_shown(found, asked),
         "calls": _calls_shown(cards[found.provider_id], asked), "cost": cost_shown(costs[found.provider_id])}
        for found in answer.matches if found.provider_id in cards
    ]


@require_http_methods(["GET", "POST"])
def results(request: HttpRequest) -> HttpResponse:
    """The matches, what they share said once, each with what sets it apart; refining the
    answers (POST) re-renders them without redoing the intake."""
    answers = _answers(request)
    refine = intake.RefineForm(request.POST if request.method == "POST" else None, answers=answers)
    if request.method == "POST" and not intake.answers_complete(answers) and refine.is_valid():
        answers.update(intake.to_session(refine.cleaned_data))
        _save_answers(request, answers)
        messages.success(request, _("Your results are updated."))
        return redirect(f"{reverse('matching:results')}#results-heading")
    found = _find(request, answers)
    if isinstance(found, HttpResponse):
        return found
    asked, answer = found
    return render(request, "matching/results.html", {
        "matches": _cards(request, answer, asked, answers), "zone_name": asked.client_timezone.replace("_", " "),
        "shared_line": shared_sentence(answer.shared), "window_hours": asked.within_hours,
        "insurance": payer_names().get(asked.insurance or ""),
        "suggestions": [{"label": intake.suggestion_label(s.change), "more_matches": s.more_matches,
                         "token": intake.change_token(s.change)} for s in answer.suggestions],
        "refine": refine, "answers": answers,
    })


@require_POST
def apply_suggestion(request: HttpRequest) -> HttpResponse:
    """One suggested change (a button on the results) made to the stored answers."""
    answers = _answers(request)
    missing = intake.answers_complete(answers)
    if missing:
        return redirect("matching:intake_step", slug=missing)
    asked = intake.match_request(answers, now=timezone.now())
    offered = {intake.change_token(change): change for change in relaxations(asked)}
    change = offered.get(request.POST.get("change", ""))
    if change is None:
        messages.error(request, _("That change no longer fits your answers. Here are your results as they are now."))
    else:
        _save_answers(request, intake.apply_change(answers, change))
        label = intake.suggestion_label(change)
        messages.success(request, _("Done: %(change)s.") % {"change": f"{label[:1].lower()}{label[1:]}"})
    return redirect("matching:results")


COMPARE_MIN, COMPARE_MAX = 2, 3


@require_http_methods(["GET"])
def compare(request: HttpRequest) -> HttpResponse:
    """Two or three of the person's current matches side by side."""
    chosen: list[int] = []
    for value in request.GET.getlist("p"):
        if not value.isdigit() or len(value) > 12:
            chosen = []
            break
        if int(value) not in chosen:
            chosen.append(int(value))
    if not COMPARE_MIN <= len(chosen) <= COMPARE_MAX:
        messages.error(request, _("To compare, choose two or three therapists (you chose %(count)s).")
                       % {"count": len(chosen)})
        return redirect(f"{reverse('matching:results')}#compare-heading")
    answers = _answers(request)
    found = _find(request, answers)
    if isinstance(found, HttpResponse):
        return found
    asked, answer = found
    in_results = {item["match"].provider_id: item for item in _cards(request, answer, asked, answers)}
    gone = [provider_id for provider_id in chosen if provider_id not in in_results]
    if gone:
        return render(request, "matching/compare.html", {"gone": len(gone), "items": []})
    return render(request, "matching/compare.html", {
        "items": [in_results[provider_id] for provider_id in chosen], "gone": 0,
        "zone_name": asked.client_timezone.replace("_", " "),
        "insurance": payer_names().get(asked.insurance or ""),
    })


@require_http_methods(["GET", "POST"])
def join_waitlist(request: HttpRequest) -> HttpResponse:
    """Nothing fits yet: join the waitlist with what was asked for (signing up if needed)."""
    from .services import waitlist_join

    answers = _answers(request)
    missing = intake.answers_complete(answers)
    if missing:
        return redirect("matching:intake_step", slug=missing)
    user = request.user
    if user.is_authenticated and not policy.has_role(user, Role.CLIENT):
        messages.info(request, _("The waitlist is for clients. Log in with a client account to join it."))
        return redirect("matching:results")
    client = _client_of(request)
    known = _known_details(request)
    form: Form | None = None
    if not user.is_authenticated:
        form = ClientSignUpForm(request.POST or None, initial=known)
    elif client is None:
        form = ClientDetailsForm(request.POST or None, initial=known)
    if request.method == "POST" and (form is None or form.is_valid()):
        try:
            client = _ensure_client(request, form, client)
            asked = _care_request_id(request, answers)
            scheduling.care_request_attach_client(request_id=asked, client=client)
            waitlist_join(client=client, request=intake.match_request(answers, now=timezone.now()),
                          care_request_id=asked)
        except _SignUpEmailSent as sent:
            return sign_up_sent(request, email=sent.email, next_url=request.path)
        except DomainError as exc:
            if form is None:
                messages.error(request, exc.detail)
            else:
                _put_errors(form, exc)
        else:
            return render(request, "matching/waitlist_joined.html")
    return render(request, "matching/waitlist_join.html", {"form": form})
