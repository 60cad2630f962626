from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as AdminOwnPasswordChangeForm
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    AuthenticationForm,
    PasswordResetForm,
    SetPasswordForm,
    UserChangeForm,
)
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext, gettext_lazy

from carematch.lib.language import speaking

from . import services, throttle
from .models import AccessEndReason, LoginAttempt, User


class SignUpForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    preferred_name = forms.CharField(
        label=gettext_lazy("What should we call you? (optional)"),
        max_length=80,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "nickname"}),
    )
    password1 = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        help_text=gettext_lazy("At least 10 characters; not a common password and not all numbers."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=gettext_lazy("Password again"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", gettext("The two passwords do not match."))
        return data


class LanguageForm(forms.Form):
    """The language of the account's pages and of every email sent to it."""

    # Each language by its own name, marked as that language for screen readers.
    language = forms.ChoiceField(
        label=gettext_lazy("Language"),
        choices=[(code, format_html('<span lang="{}">{}</span>', code, name)) for code, name in settings.LANGUAGES],
        widget=forms.RadioSelect,
    )


class AccountPasswordResetForm(PasswordResetForm):
    """Django's password reset, with the email in the account's own language."""

    def send_mail(self, subject_template_name: str, email_template_name: str, context: dict[str, Any],
                  from_email: str | None, to_email: str, html_email_template_name: str | None = None) -> None:
        with speaking(context.get("user")):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)


class ThrottledAuthenticationForm(AuthenticationForm):
    """Log-in that refuses, before checking the password, an account or address with too
    many recent failures (accounts.throttle), and notes each attempt's outcome."""

    def clean(self) -> dict[str, Any]:
        email, password = self.cleaned_data.get("username"), self.cleaned_data.get("password")
        if not email or not password or self.request is None:
            return super().clean()
        address = throttle.client_address(self.request)
        if throttle.log_in_refused(email=email, address=address):
            raise ValidationError(gettext(throttle.TOO_MANY_LOG_INS), code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            services.login_attempt_record(kind=LoginAttempt.Kind.LOG_IN, email=email, address=address, succeeded=False)
            raise
        services.login_attempt_record(kind=LoginAttempt.Kind.LOG_IN, email=email, address=address, succeeded=True)
        return cleaned


class AdminLogInForm(ThrottledAuthenticationForm, AdminAuthenticationForm):
    pass


class EmailAuthenticationForm(ThrottledAuthenticationForm):
    username = forms.EmailField(
        label=gettext_lazy("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )
    password = forms.CharField(
        label=gettext_lazy("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": gettext_lazy("That email and password do not match an account. Check both and try again."),
        "inactive": gettext_lazy("This account is not active."),
    }


class AdminUserAddForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "role")


class AdminUserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class AuthenticatorCodeForm(forms.Form):
    """A 6-digit code from the person's authenticator app."""

    code = forms.CharField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        max_length=16,
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "inputmode": "numeric", "autocapitalize": "none", "spellcheck": "false",
        }),
    )


class SecondStepForm(forms.Form):
    """The second step of logging in: a code from the app, or a recovery code."""

    code = forms.CharField(
        label=gettext_lazy("Authentication code"),
        max_length=32,
        help_text=gettext_lazy("The 6-digit code your authenticator app shows for carematch. "
                  "Lost your phone? Enter one of your recovery codes instead."),
        widget=forms.TextInput(attrs={
            "autocomplete": "one-time-code", "autocapitalize": "none", "spellcheck": "false", "autofocus": True,
        }),
    )


# --- Setting a password ends all access --------------------------------------------------------
# Django's views save these forms; saving goes through accounts.services.user_password_set,
# which sets the password and ends every session, API token and calendar address of the person.


class ResetPasswordForm(SetPasswordForm):
    """The last step of a password reset: the new password."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"], reason=AccessEndReason.PASSWORD_RESET
        )


class OwnPasswordChangeForm(AdminOwnPasswordChangeForm):
    """A signed-in person changing their own password (the admin's "Change password" page).
    Django keeps the session the change was made in; every other one ends."""

    def save(self, commit: bool = True) -> User:
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["new_password1"], reason=AccessEndReason.PASSWORD_CHANGE
        )


class AdminSetPasswordForm(AdminPasswordChangeForm):
    """An administrator setting someone's password, or turning password log-in off for them."""

    def save(self, commit: bool = True) -> User:
        usable = self.cleaned_data["set_usable_password"]
        return services.user_password_set(
            user=self.user, password=self.cleaned_data["password1"] if usable else None,
            reason=AccessEndReason.PASSWORD_CHANGE,
        )
