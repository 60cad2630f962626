"""Account pages: sign up, log in and out, password reset, the account page, staff home."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access import policy
from carematch.access.decorators import staff_page
from carematch.lib.errors import DomainError
from carematch.lib.language import language_of, speaking

from . import mfa, selectors, services, throttle
from .forms import (
    AccountPasswordResetForm,
    AuthenticatorCodeForm,
    EmailAuthenticationForm,
    LanguageForm,
    ResetPasswordForm,
    SecondStepForm,
    SignUpForm,
)
from .http import AuthedHttpRequest
from .middleware import limit_idle_session
from .models import AccessEndReason, ApiToken, Role, User, normalize_email

_FORM_FIELD_FOR = {"password": "password1"}
_BACKEND = "django.contrib.auth.backends.ModelBackend"


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Start a client account: the account is created when the emailed link is followed.

    The answer is the same "check your email" page whether or not the address already has
    an account; only the email differs (accounts.services.sign_up_request). Sign-ups are
    also throttled per address (accounts.services.sign_up_start). Log-in failures and password reset
    likewise answer the same for unknown emails as for known ones.
    """
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignUpForm(request.POST or None)
    next_url = _safe_next(request)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        try:
            services.sign_up_start(
                email=email, password=form.cleaned_data["password1"], address=throttle.client_address(request),
                preferred_name=form.cleaned_data["preferred_name"], next_url=next_url,
                language=get_language(),
            )
        except DomainError as exc:
            first = next(iter(exc.fields), "")
            field = _FORM_FIELD_FOR.get(first, first)
            form.add_error(field if field in form.fields else None, exc.detail)
        else:
            return sign_up_sent(request, email=email, next_url=next_url)
    return render(request, "accounts/signup.html", {"form": form, "next": next_url})


def sign_up_sent(request: HttpRequest, *, email: str, next_url: str = "", hold_until: str = "") -> HttpResponse:
    """The one answer to every accepted sign-up, also used by the booking journey."""
    return render(request, "accounts/signup_sent.html", {
        "email": normalize_email(email), "next": next_url, "hold_until": hold_until,
        "again_url": next_url or reverse("accounts:signup"),
    })


@require_http_methods(["GET", "POST"])
@never_cache
def sign_up_confirm(request: HttpRequest, token: str) -> HttpResponse:
    """Following the emailed link shows a button; pressing it creates the account, logs the
    person in and takes them on where they were going. Opening the link alone changes
    nothing, so mail scanners that fetch links cannot use it up."""
    found = services.sign_up_request_find(raw_token=token)
    if request.method == "POST" and found is not None:
        try:
            user, next_url, carry = services.sign_up_confirm(raw_token=token)
        except DomainError as exc:
            return render(request, "accounts/signup_confirm.html", {"valid": False, "problem": exc.detail})
        login(request, user, backend=_BACKEND)
        # The link may be opened in another browser than the one the person started in:
        # what the journey kept in that session (a held opening, the intake answers) comes too.
        for key, value in carry.items():
            request.session[key] = value
        with speaking(user):
            messages.success(
                request, _("Your email address is confirmed. Welcome to carematch: your account is ready.")
            )
        safe = url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()})
        return speaking_account_language(redirect(next_url if next_url and safe else "accounts:home"), user)
    if found is None:
        return render(
            request, "accounts/signup_confirm.html", {"valid": False, "problem": _(services.LINK_NO_LONGER_WORKS)}
        )
    return render(request, "accounts/signup_confirm.html", {"valid": True, "email": found.email})


class LogInView(auth_views.LoginView):
    """The first step: email and password. A person with an authenticator app is not
    logged in yet: the session only notes, for a few minutes, whose code is awaited."""

    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        if services.mfa_device_of(user) is not None:
            self.request.session[mfa.SESSION_PENDING] = {
                "user": user.pk,
                "backend": getattr(user, "backend", _BACKEND),
                "at": timezone.now().isoformat(),
                # A password reset or "log out everywhere" while the code is awaited ends this too.
                "hash": user.get_session_auth_hash(),
            }
            return redirect(_with_next(reverse("accounts:login_code"), self.get_redirect_url()))
        # Django's login() gives the session a new key; the idle limit applies from here.
        response = super().form_valid(form)
        limit_idle_session(self.request)
        if user.mfa_required:
            response = redirect(_with_next(reverse("accounts:mfa_setup"), self.get_redirect_url()))
        return speaking_account_language(response, user)


def landing_url(user: object) -> str:
    """Where logging in leads when no page asked for it: a coordinator's work starts on the
    staff home, everyone else's on their account page."""
    if isinstance(user, User) and policy.is_staff_member(user):
        return reverse("staff_home")
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def speaking_account_language(response: HttpResponse, user: User) -> HttpResponse:
    """Once logged in, pages speak the account's language: the language cookie follows it."""
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language_of(user),
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,  # type: ignore[arg-type] # "Lax", from settings
    )
    return response


def _with_next(url: str, next_url: str) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _safe_next(request: HttpRequest) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return ""


def _pending_login(request: HttpRequest) -> tuple[User, str] | None:
    """Whose second factor this session awaits, while the wait is not over, and the
    authentication backend that checked their password (their login goes through it)."""
    pending = request.session.get(mfa.SESSION_PENDING)
    if not isinstance(pending, dict):
        return None
    try:
        started = dt.datetime.fromisoformat(str(pending["at"]))
    except (KeyError, ValueError):
        started = None
    if started is None or timezone.now() - started > mfa.PENDING_FOR:
        del request.session[mfa.SESSION_PENDING]
        return None
    user = selectors.active_user(user_id=int(pending.get("user") or 0))
    if user is None:
        return None
    if not constant_time_compare(str(pending.get("hash") or ""), user.get_session_auth_hash()):
        del request.session[mfa.SESSION_PENDING]
        return None
    return user, str(pending.get("backend") or _BACKEND)


@require_http_methods(["GET", "POST"])
@never_cache
def log_in_code(request: HttpRequest) -> HttpResponse:
    """The second step: a code from the authenticator app, or a single-use recovery code.
    Only a right code logs the person in, with a new session key."""
    pending = _pending_login(request)
    if pending is None:
        messages.info(request, _("Please log in again: the code has to be entered within 5 minutes of the password."))
        return redirect(_with_next(reverse("accounts:login"), _safe_next(request)))
    user, backend = pending
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            used = services.mfa_code_check(
                user=user, code=form.cleaned_data["code"], address=throttle.client_address(request)
            )
        except DomainError as exc:
            form.add_error("code", exc.detail)
        else:
            del request.session[mfa.SESSION_PENDING]
            login(request, user, backend=backend)
            request.session[mfa.SESSION_VERIFIED] = True
            limit_idle_session(request)
            if used == "recovery":
                left = services.recovery_codes_left(user=user)
                with speaking(user):
                    messages.warning(
                        request,
                        ngettext(
                            "You logged in with a recovery code; it cannot be used again. You have %(left)d left. "
                            "Get new ones on your two-step log-in page.",
                            "You logged in with a recovery code; it cannot be used again. You have %(left)d left. "
                            "Get new ones on your two-step log-in page.",
                            left,
                        )
                        % {"left": left},
                    )
            return speaking_account_language(
                redirect(_safe_next(request) or landing_url(user)), user
            )
    return render(request, "accounts/login_code.html", {"form": form, "next": _safe_next(request)})


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def mfa_setup(request: AuthedHttpRequest) -> HttpResponse:
    """Set up an authenticator app: scan the QR code (or type the secret), then prove it
    works with a code. Recovery codes are shown once, on the answer to that proof."""
    user = request.user
    if services.mfa_device_of(user) is not None:
        return redirect("accounts:mfa")
    device = services.mfa_device_start(user=user)
    form = AuthenticatorCodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = services.mfa_device_confirm(
                user=user, code=form.cleaned_data["code"], address=throttle.client_address(request)
            )
        except DomainError as exc:
            form.add_error("code", exc.detail)
        else:
            request.session.cycle_key()
            request.session[mfa.SESSION_VERIFIED] = True
            return _recovery_codes_page(request, codes=codes, first_time=True)
    uri = mfa.provisioning_uri(secret=device.secret, email=user.email)
    return render(
        request,
        "accounts/mfa_setup.html",
        {
            "form": form,
            "qr_svg": mark_safe(mfa.qr_svg(uri)),  # noqa: S308 - segno's own SVG markup
            "secret": mfa.secret_for_display(device.secret),
            "required": user.mfa_required,
            "next": _safe_next(request),
        },
    )


def _recovery_codes_page(request: HttpRequest, *, codes: list[str], first_time: bool) -> HttpResponse:
    response = render(
        request,
        "accounts/mfa_recovery_codes.html",
        {
            "codes": codes,
            "first_time": first_time,
            "continue_url": _safe_next(request) or reverse("accounts:mfa"),
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_http_methods(["GET", "POST"])
@never_cache
@login_required
def mfa_manage(request: AuthedHttpRequest) -> HttpResponse:
    """Two-step log-in: whether it is on; turning it off (or replacing the app) and new
    recovery codes both need a current code."""
    user = request.user
    device = services.mfa_device_of(user)
    off_form = AuthenticatorCodeForm(prefix="off")
    codes_form = AuthenticatorCodeForm(prefix="codes")
    if request.method == "POST" and device is not None:
        address = throttle.client_address(request)
        if request.POST.get("action") == "off":
            off_form = AuthenticatorCodeForm(request.POST, prefix="off")
            off_form.fields["code"].label = "A current code from your app, or a recovery code"
            if off_form.is_valid():
                try:
                    services.mfa_device_remove(user=user, code=off_form.cleaned_data["code"], address=address)
                except DomainError as exc:
                    off_form.add_error("code", exc.detail)
                else:
                    request.session.pop(mfa.SESSION_VERIFIED, None)
                    if user.mfa_required:
                        messages.info(request, _("Your authenticator app is removed. Set up the new one now."))
                        return redirect("accounts:mfa_setup")
                    messages.success(request, _("Two-step log-in is off. You log in with your password alone."))
                    return redirect("accounts:mfa")
        elif request.POST.get("action") == "codes":
            codes_form = AuthenticatorCodeForm(request.POST, prefix="codes")
            if codes_form.is_valid():
                try:
                    codes = services.recovery_codes_regenerate(
                        user=user, code=codes_form.cleaned_data["code"], address=address
                    )
                except DomainError as exc:
                    codes_form.add_error("code", exc.detail)
                else:
                    return _recovery_codes_page(request, codes=codes, first_time=False)
    off_form.fields["code"].label = "A current code from your app, or a recovery code"
    off_form.fields["code"].widget.attrs.pop("inputmode", None)
    return render(
        request,
        "accounts/mfa_manage.html",
        {
            "device": device,
            "off_form": off_form,
            "codes_form": codes_form,
            "required": user.mfa_required,
            "codes_left": services.recovery_codes_left(user=user) if device else 0,
        },
    )


class LogOutView(auth_views.LogoutView):
    next_page = "home"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You have logged out."))
        return response


@require_POST
@login_required
def log_out_everywhere(request: AuthedHttpRequest) -> HttpResponse:
    """End every session of this person, this one included, and everything else that acts
    for them: API tokens and the calendar address."""
    user = request.user
    services.user_access_end(user=user, reason=AccessEndReason.LOG_OUT_EVERYWHERE)
    logout(request)
    messages.info(
        request,
        "You have been logged out on every device, including this one. Your API tokens and your calendar "
        "address no longer work either; we have emailed you what ended.",
    )
    return redirect("accounts:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    form_class = AccountPasswordResetForm
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The new password ends every session, API token and calendar address of the person
    (ResetPasswordForm saves through accounts.services.user_password_set)."""

    template_name = "accounts/password_reset_confirm.html"
    form_class = ResetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def account_home(request: AuthedHttpRequest) -> HttpResponse:
    """The person's upcoming sessions, shown in their own time zone, and their account's
    settings; POST chooses the account's language (its pages and emails)."""
    from carematch.lib.timezones import in_zone, moment_label
    from carematch.scheduling.selectors import upcoming_sessions

    user = request.user
    language_form = LanguageForm(request.POST or None, initial={"language": language_of(user)})
    if request.method == "POST" and language_form.is_valid():
        try:
            services.user_language_set(user=user, language=language_form.cleaned_data["language"])
        except DomainError as exc:
            language_form.add_error("language", exc.detail)
        else:
            with speaking(user):
                messages.success(request, _("Your language is saved: your pages and emails use it from now on."))
            return speaking_account_language(redirect("accounts:home"), user)
    client = selectors.client_of(user=user) if user.role == Role.CLIENT else None
    provider = getattr(user, "provider", None) if user.role == Role.PROVIDER else None
    zone_name = client.timezone if client is not None else provider.timezone if provider is not None else None
    sessions = [
        {"appointment": a, "when": moment_label(in_zone(a.start, zone_name or "UTC"))}
        for a in upcoming_sessions(client=client, provider=provider, now=timezone.now())
    ]
    return render(
        request,
        "accounts/home.html",
        {
            "sessions": sessions,
            "has_sessions_list": zone_name is not None,
            "mfa_on": services.mfa_device_of(user) is not None,
            "language_form": language_form,
        },
    )


# --- The person's own API tokens ------------------------------------------------------------------
# Listed by name, first characters and dates (the token itself is never stored). Revoking asks
# first, on a page naming what will stop working, so that one slip revokes nothing.


@require_http_methods(["GET", "HEAD"])
@login_required
def api_tokens(request: AuthedHttpRequest) -> HttpResponse:
    tokens = list(selectors.api_tokens_live(user=request.user))
    return render(request, "accounts/api_tokens.html", {"tokens": tokens})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def api_token_revoke(request: AuthedHttpRequest, token_id: int) -> HttpResponse:
    """GET asks to confirm; POST revokes. Only the person's own working tokens are here."""
    user = request.user
    token = selectors.api_token_live_of(user=user, token_id=token_id)
    if token is None:
        raise Http404("No API token of yours with this id still works.")
    if request.method == "POST":
        try:
            services.api_token_revoke_own(user=user, token_id=token.pk)
        except DomainError as exc:  # revoked a moment ago, in another tab
            raise Http404(exc.detail) from None
        messages.success(
            request, _("The API token %(token)s is revoked. It no longer works.") % {"token": _token_label(token)}
        )
        return redirect("account_tokens:list")
    return render(request, "accounts/api_token_revoke.html", {"token": token})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def api_tokens_revoke_all(request: AuthedHttpRequest) -> HttpResponse:
    """GET asks to confirm; POST revokes every working token of the person."""
    user = request.user
    if request.method == "POST":
        count = services.api_tokens_revoke_for_user(user=user)
        if count:
            messages.success(
                request,
                ngettext(
                    "%(count)d API token is revoked. It no longer works.",
                    "%(count)d API tokens are revoked. None of them works any more.",
                    count,
                )
                % {"count": count},
            )
        else:
            messages.info(request, _("You had no working API tokens to revoke."))
        return redirect("account_tokens:list")
    return render(
        request, "accounts/api_tokens_revoke_all.html", {"count": selectors.api_tokens_live(user=user).count()}
    )


def _token_label(token: ApiToken) -> str:
    return f"“{token.name}” ({token.prefix}…)" if token.name else f"{token.prefix}…"


@staff_page
def staff_home(request: AuthedHttpRequest) -> HttpResponse:
    """What needs a coordinator now, counted, each with its page; then every staff page."""
    from carematch.directory.selectors import licenses_expiring
    from carematch.measures.selectors import open_alert_count
    from carematch.scheduling.selectors import NEAR_DEADLINE, care_requests_near_deadline_count, crisis_open_count

    counts = selectors.active_users_by_role()
    by_role = [(label, counts.get(value, 0)) for value, label in Role.choices]
    user = request.user
    return render(
        request,
        "accounts/staff_home.html",
        {
            "by_role": by_role,
            "crisis_count": crisis_open_count(),
            "alert_count": open_alert_count(),
            "near_deadline_count": care_requests_near_deadline_count(now=timezone.now()),
            "near_deadline_hours": int(NEAR_DEADLINE.total_seconds() // 3600),
            "expiring_count": licenses_expiring(
                within_days=STAFF_HOME_EXPIRING_DAYS, today=timezone.localdate()
            ).count(),
            "expiring_days": STAFF_HOME_EXPIRING_DAYS,
            "shows_admin": shows_admin(user),
        },
    )


STAFF_HOME_EXPIRING_DAYS = 30


def shows_admin(user: User) -> bool:
    """Whether the Django admin has anything for this person. Admins (superusers) have it all;
    coordinators have no model permissions on purpose: their work goes through the staff pages,
    which apply the services' rules and record access, while the admin edits rows directly. So
    a coordinator is not shown a link to an admin that would only say they may do nothing."""
    return bool(user.is_superuser or user.get_all_permissions())


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language switch on every page: Django's own (the cookie, back to the same page),
    and for a logged-in person their account's language too, so emails follow."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        # Django would accept any language it knows; only those offered here are kept.
        next_url = request.POST.get("next", "")
        safe = url_has_allowed_host_and_scheme(
            next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
        return redirect(next_url if safe and next_url else "/")
    response = i18n_views.set_language(request)
    if request.user.is_authenticated:
        services.user_language_set(user=request.user, language=language)
    return response
