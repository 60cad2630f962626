"""Account pages: sign up, log in and out, password reset, the account page, staff home."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required, user_passes_test
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from carematch.access.policy import is_staff_member
from carematch.lib.errors import DomainError

from . import services, throttle
from .forms import EmailAuthenticationForm, SignUpForm
from .middleware import limit_idle_session
from .models import Client, LoginAttempt, Role, User

_FORM_FIELD_FOR = {"password": "password1"}


@require_http_methods(["GET", "POST"])
def sign_up(request: HttpRequest) -> HttpResponse:
    """Create a client account.

    Signing up with an email that already has an account says so: a vaguer answer would
    confuse the many people who simply forgot they had signed up. So that this answer is not
    a way to test many addresses for accounts, sign-ups are throttled per address
    (accounts.throttle). Log-in failures and password reset answer the same for unknown
    emails as for known ones.
    """
    if request.user.is_authenticated:
        return redirect("accounts:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        address = throttle.client_address(request)
        if throttle.sign_up_refused(address=address):
            form.add_error(None, throttle.TOO_MANY_SIGN_UPS)
            return render(request, "accounts/signup.html", {"form": form})
        try:
            user = services.client_sign_up(
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password1"],
                preferred_name=form.cleaned_data["preferred_name"],
            )
        except DomainError as exc:
            services.login_attempt_record(
                kind=LoginAttempt.Kind.SIGN_UP, email=form.cleaned_data["email"], address=address, succeeded=False
            )
            first = next(iter(exc.fields), "")
            field = _FORM_FIELD_FOR.get(first, first)
            form.add_error(field if field in form.fields else None, exc.detail)
        else:
            services.login_attempt_record(
                kind=LoginAttempt.Kind.SIGN_UP, email=user.email, address=address, succeeded=True
            )
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, "Welcome to carematch. Your account is ready.")
            return redirect("accounts:home")
    return render(request, "accounts/signup.html", {"form": form})


class LogInView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        # Django's login() gives the session a new key; the idle limit applies from here.
        response = super().form_valid(form)
        limit_idle_session(self.request)
        return response


class LogOutView(auth_views.LogoutView):
    next_page = "home"

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, "You have logged out.")
        return response


@require_POST
@login_required
def log_out_everywhere(request: HttpRequest) -> HttpResponse:
    """End every session of this person, this one included."""
    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    services.user_sessions_end(user=user)
    logout(request)
    messages.info(request, "You have been logged out on every device, including this one.")
    return redirect("accounts:login")


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "accounts/password_reset_form.html"
    email_template_name = "accounts/email/password_reset.txt"
    subject_template_name = "accounts/email/password_reset_subject.txt"
    success_url = reverse_lazy("accounts:password_reset_done")


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "accounts/password_reset_done.html"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"
    success_url = reverse_lazy("accounts:password_reset_complete")


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "accounts/password_reset_complete.html"


@login_required
def account_home(request: HttpRequest) -> HttpResponse:
    """The person's upcoming sessions, shown in their own time zone."""
    from carematch.lib.timezones import in_zone, long_label
    from carematch.scheduling.models import Appointment, Status

    user = request.user
    assert isinstance(user, User)  # noqa: S101 - login_required
    upcoming = Appointment.objects.none()
    zone_name = None
    client = Client.objects.filter(user=user).first() if user.role == Role.CLIENT else None
    provider = getattr(user, "provider", None) if user.role == Role.PROVIDER else None
    if client is not None:
        upcoming, zone_name = Appointment.objects.filter(client=client), client.timezone
    elif provider is not None:
        upcoming, zone_name = Appointment.objects.filter(provider=provider), provider.timezone
    sessions = [
        {"appointment": a, "when": long_label(in_zone(a.start, zone_name or "UTC"))}
        for a in upcoming.filter(status=Status.BOOKED, end__gt=timezone.now()).select_related("provider")[:20]
    ]
    return render(request, "accounts/home.html", {"sessions": sessions, "has_sessions_list": zone_name is not None})


@user_passes_test(is_staff_member)
def staff_home(request: HttpRequest) -> HttpResponse:
    counts = dict(User.objects.filter(is_active=True).values("role").annotate(n=Count("id")).values_list("role", "n"))
    by_role = [(label, counts.get(value, 0)) for value, label in Role.choices]
    return render(request, "accounts/staff_home.html", {"by_role": by_role})
