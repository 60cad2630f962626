"""Forms of the client's journey: choose a format, give details, sign up."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from carematch.lib import geo, vocab
from carematch.lib.timezones import us_zones

from .intake import zip_question


class HoldForm(forms.Form):
    """The time (hidden) and the format. Only the formats offered for this opening are
    choices; the one the person asked for in the intake comes chosen. A single format is no
    choice at all: it is sent as a hidden value and the page says it as a fact."""

    start = forms.CharField(widget=forms.HiddenInput)
    kind = forms.CharField(widget=forms.HiddenInput, required=False)
    format = forms.ChoiceField(label=_("How would you like to meet?"), widget=forms.RadioSelect)

    def __init__(self, *args: Any, formats: list[str], preferred: str | None = None, kind: str = "session",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = vocab.CONSULTATION_FORMATS if kind == "consultation" else vocab.FORMATS
        if kind == "consultation":
            self.fields["format"].label = _("How would you like to talk?")
        choices = [(f, vocab.label(labels, f)) for f in formats if f in labels]
        field = cast(forms.ChoiceField, self.fields["format"])
        field.choices = choices
        self.only_format = choices[0][1] if len(choices) == 1 else ""
        if len(choices) == 1:
            field.widget = forms.HiddenInput()
            field.initial = choices[0][0]
        elif preferred in dict(choices):
            field.initial = preferred


# What the intake may already have asked; the forms below do not ask it again.
KNOWN_FROM_INTAKE = ("state", "zip", "date_of_birth", "timezone")


class ClientDetailsForm(forms.Form):
    """A new client's details. `known` holds what the intake already collected (state, ZIP
    code, date of birth, time zone): those fields are left out, the page shows them as
    facts, and the cleaned data carries them as given (the client service checks them as it
    checks every field)."""

    first_name = forms.CharField(label=_("First name"), max_length=100,
                                 widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    last_name = forms.CharField(label=_("Last name"), max_length=100,
                                widget=forms.TextInput(attrs={"autocomplete": "family-name"}))
    date_of_birth = forms.DateField(
        label=_("Date of birth"), help_text=_("Some therapists work only with certain ages."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )
    state = forms.ChoiceField(
        label=_("Where will you be during sessions?"),
        help_text=_("Therapists can only see you in a state where they are licensed."),
        choices=[("", _("Choose a state")), *sorted(vocab.STATES.items(), key=lambda pair: pair[1])],
    )
    zip = forms.CharField(label=_("ZIP code (optional)"), max_length=10, required=False,
                          widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}))
    timezone = forms.ChoiceField(label=_("Your time zone"), choices=us_zones,
                                 help_text=_("We show every time in this zone."))

    def __init__(self, *args: Any, known: dict[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.known = {name: value for name, value in (known or {}).items() if name in KNOWN_FROM_INTAKE}
        for name in self.known:
            self.fields.pop(name, None)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "zip" in self.fields and "state" in self.fields:
            # A ZIP code in another state is asked about, not taken silently: which one is wrong?
            question = geo.zip_in_other_state(str(data.get("zip") or "").strip(), data.get("state") or "")
            if question is not None:
                self.add_error("zip", zip_question(question))
        data.update(self.known)
        return data


class ClientSignUpForm(ClientDetailsForm):
    email = forms.EmailField(label=_("Email address"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label=_("Choose a password"), strip=False,
                                help_text=_("At least 10 characters; not a common password and not all numbers."),
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    field_order = ["email", "password1", "password2", "first_name", "last_name", "date_of_birth", "state", "zip",
                   "timezone"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords do not match."))
        return data


class CrisisContactForm(forms.Form):
    """Asking a coordinator to reach out, on the crisis page. The rules (a way to reach the
    person, a valid number, the state) are the crisis service's; this form only collects."""

    name = forms.CharField(label=_("Your first name (optional)"), max_length=100, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "given-name"}))
    phone = forms.CharField(label=_("A phone number we can call or text"), max_length=30, required=False,
                            widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}))
    email = forms.EmailField(label=_("Or an email address, if a call is not safe for you"), max_length=254,
                             required=False, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    state = forms.ChoiceField(
        label=_("Which state are you in?"),
        help_text=_("So the coordinator knows your time zone and the services near you."),
        choices=[("", _("Choose a state")), *sorted(vocab.STATES.items(), key=lambda pair: pair[1])],
        error_messages={"required": _("Choose the state you are in.")},
    )
    message = forms.CharField(
        label=_("Anything you would like the coordinator to know (optional)"), max_length=2000, required=False,
        help_text=_("Only the coordinators who call you back see this."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("phone") and not data.get("email") and "phone" not in self.errors \
                and "email" not in self.errors:
            self.add_error("phone", _("Give a phone number (or an email address) so a coordinator can reach you."))
        return data


class RescheduleForm(forms.Form):
    """One of the provider's next openings, as the session's new time (on the viewer's clock)."""

    start = forms.ChoiceField(
        label=_("Choose the new time"), widget=forms.RadioSelect,
        error_messages={"required": _("Choose a new time."),
                        "invalid_choice": _("That time is no longer one of the openings. Choose another.")},
    )

    def __init__(self, *args: Any, openings: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["start"]).choices = [
            (opening["start"].isoformat(), opening["label"]) for opening in openings
        ]

    def clean_start(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.cleaned_data["start"])


class SeriesForm(forms.Form):
    """A standing series after a session (scheduling.services.appointment_series_book)."""

    every_weeks = forms.TypedChoiceField(
        label=_("How often"), coerce=int, choices=[(1, _("Every week")), (2, _("Every two weeks"))], initial=1,
    )
    count = forms.IntegerField(
        label=_("How many sessions"), required=False, min_value=1, max_value=settings.SERIES_MAX_SESSIONS,
        help_text=format_lazy(_("Up to {count}. Leave empty to book until a date."),
                              count=settings.SERIES_MAX_SESSIONS),
    )
    until = forms.DateField(label=_("Until (optional)"), required=False, help_text=_("The last date, e.g. 2027-03-31."),
                            widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not self.errors and data.get("count") is None and data.get("until") is None:
            self.add_error("count", _("Give how many sessions, or an until date."))
        return data
