"""The intake: one topic a step, safety first. Answers live in the browser's session until
they are used, so back and forward never lose them and nothing is asked twice."""

from __future__ import annotations

import copy
import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.text import capfirst, format_lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from carematch.directory.selectors import payer_choices
from carematch.lib import geo, vocab
from carematch.lib.languages import language_name
from carematch.lib.timezones import client_zone

from .engine.request import zip_needed
from .engine.types import MatchRequest

SESSION_KEY = "carematch_intake"

COMMON_LANGUAGES = ("en", "es", "zh", "vi", "tl", "ar", "fr", "ko", "ru", "pt", "de", "hi")
DISTANCES = (("5", _("5 miles")), ("10", _("10 miles")), ("25", _("25 miles")), ("50", _("50 miles")),
             ("100", _("100 miles")))
WINDOWS = (48, 72, 168)  # hours ahead the results look: 48 unless the person widened it
NOTE_MAX_CHARS = 1000
PAYMENT_SELF = "self_pay"



def zip_question(question: str) -> str:
    """The error for a ZIP code in another state than the one chosen (geo.zip_in_other_state's question)."""
    return gettext("%(question)s Check the ZIP code, or choose the state you will be in.") % {"question": question}


class SafetyForm(forms.Form):
    in_danger = forms.ChoiceField(
        label=_("Are you in danger right now, or having thoughts of ending your life or hurting yourself or someone "
                "else?"),
        choices=[("yes", _("Yes")), ("no", _("No"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose yes or no.")},
    )


class ConcernsForm(forms.Form):
    concerns = forms.MultipleChoiceField(
        label=_("What would you like help with?"),
        help_text=_("Choose all that fit. You can say more to your therapist."),
        choices=vocab.choices(vocab.CONCERNS), widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one, so we can find someone who helps with it.")},
    )
    approaches = forms.MultipleChoiceField(
        label=_("Do you prefer a particular kind of therapy? (optional)"),
        help_text=_("Leave these empty if you are not sure; your therapist will talk it through with you."),
        choices=vocab.choices(vocab.APPROACHES), widget=forms.CheckboxSelectMultiple, required=False,
    )
    note_for_therapist = forms.CharField(
        label=_("Anything you would like your therapist to know? (optional)"), required=False,
        max_length=NOTE_MAX_CHARS, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(_("In your own words, up to {count} characters. Only the therapist you book will "
                                "see it, and it is stored encrypted."), count=f"{NOTE_MAX_CHARS:,}"),
    )


class FormatForm(forms.Form):
    format = forms.ChoiceField(
        label=_("How would you like to meet?"),
        choices=[("telehealth", _("Online (video)")), ("in_person", _("In person")), ("any", _("Either is fine"))],
        widget=forms.RadioSelect, initial="any",
    )
    max_distance_miles = forms.ChoiceField(
        label=_("How far could you travel to meet in person?"), choices=DISTANCES, initial="25",
    )


class PlaceForm(forms.Form):
    state = forms.ChoiceField(
        label=_("Which state will you be in during sessions?"),
        help_text=_("Therapists can only see you in a state where they are licensed."),
        choices=[("", _("Choose a state")), *sorted(vocab.STATES.items(), key=lambda pair: pair[1])],
    )
    zip = forms.CharField(
        label=_("Your ZIP code"), max_length=10, required=False,
        help_text=_("We use it to find therapists near you and to show times in your time zone."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )

    def __init__(self, *args: Any, format: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The match engine says when a ZIP code is needed; the results page is held to the same rule.
        self.needs_zip = zip_needed(format, asking=True)
        if not self.needs_zip:
            self.fields["zip"].label = _("Your ZIP code (optional)")

    def clean_zip(self) -> str:
        value = str(self.cleaned_data.get("zip", "")).strip()
        if not value:
            if self.needs_zip:
                raise forms.ValidationError(_("We need your ZIP code to find therapists you can meet in person."))
            return ""
        if geo.zip_location(value[:5]) is None or not (len(value) == 5 or (len(value) == 10 and value[5] == "-")):
            raise forms.ValidationError(
                gettext("'%(zip)s' is not a US ZIP code we know. Check the five digits.") % {"zip": value})
        return value[:5]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A ZIP code in another state is asked about, not taken silently: which one is wrong?
        question = geo.zip_in_other_state(data.get("zip") or "", data.get("state") or "")
        if question is not None:
            self.add_error("zip", zip_question(question))
        return data


class AboutForm(forms.Form):
    date_of_birth = forms.DateField(
        label=_("Your date of birth"), help_text=_("Therapists work with certain age groups. We will not ask again."),
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "bday"}),
    )

    def clean_date_of_birth(self) -> dt.date:
        born: dt.date = self.cleaned_data["date_of_birth"]
        today = timezone.localdate()
        if born > today:
            raise forms.ValidationError(_("That date is in the future."))
        if today.year - born.year > 120:
            raise forms.ValidationError(_("Please check the year."))
        return born


class PreferencesForm(forms.Form):
    languages = forms.MultipleChoiceField(
        label=_("Which languages could your sessions be in?"),
        choices=lambda: [(code, capfirst(language_name(code))) for code in COMMON_LANGUAGES],
        widget=forms.CheckboxSelectMultiple,
        initial=["en"], error_messages={"required": _("Choose at least one language.")},
    )
    provider_gender = forms.ChoiceField(
        label=_("Would you prefer a therapist of a particular gender? (optional)"),
        choices=[("", _("No preference")), ("female", _("A woman")), ("male", _("A man")),
                 ("nonbinary", _("A nonbinary person"))],
        required=False, widget=forms.RadioSelect,
    )


def _payment_choices() -> list[tuple[str, str]]:
    return [("", gettext("Choose one")), (PAYMENT_SELF, gettext("I will pay myself")), *payer_choices()]


class PaymentForm(forms.Form):
    payment = forms.ChoiceField(
        label=_("How will you pay?"),
        choices=_payment_choices,
        help_text=_("Choose your insurance to see therapists in its network."),
    )
    self_pay_max = forms.IntegerField(
        label=_("Most you could pay for a session, in dollars (optional)"), min_value=0, max_value=10_000,
        required=False, help_text=_("Only used when you pay yourself."),
        error_messages={"min_value": _("Enter an amount of 0 dollars or more, or leave it empty."),
                        "max_value": _("Enter an amount of at most 10,000 dollars, or leave it empty."),
                        "invalid": _("Enter a whole number of dollars, such as 120, or leave it empty.")},
    )


AMOUNT_LEFT_MAX = Decimal("999999.99")
PLAN_ANSWERS = ("plan_id", "deductible_left_usd", "oop_left_usd")
AMOUNT_LEFT_ERRORS = {
    "min_value": _("Enter an amount of 0 dollars or more, or leave it empty if you are not sure."),
    "max_value": _("Enter an amount of at most 999,999.99 dollars, or leave it empty if you are not sure."),
    "max_decimal_places": _("Enter dollars and cents, with at most two digits after the point."),
    "invalid": _("Enter an amount in dollars, such as 250 or 250.50, or leave it empty if you are not sure."),
}


class PlanForm(forms.Form):
    """Asked only of someone paying with insurance whose payer has plans loaded: which plan,
    and (if they know) what is left of the year's deductible and out-of-pocket maximum. All
    optional: the cost estimates say what they had to assume."""

    plan_id = forms.ChoiceField(label=_("Which plan do you have? (optional)"), required=False)
    deductible_left_usd = forms.DecimalField(
        label=_("How much of your deductible is left this year, in dollars? (optional)"), required=False,
        min_value=0, max_value=AMOUNT_LEFT_MAX, decimal_places=2, error_messages=AMOUNT_LEFT_ERRORS,
        help_text=_("Leave it empty if you are not sure: we will not assume it is met."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )
    oop_left_usd = forms.DecimalField(
        label=_("How much of your out-of-pocket maximum is left this year, in dollars? (optional)"), required=False,
        min_value=0, max_value=AMOUNT_LEFT_MAX, decimal_places=2, error_messages=AMOUNT_LEFT_ERRORS,
        help_text=_("The most your plan has you pay in a year. Leave it empty if you are not sure."),
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
    )

    def __init__(self, *args: Any, plans: list[tuple[str, str]] | None = None, payer_name: str = "",
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["plan_id"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [("", _("I don't know my plan")), *(plans or [])]
        if payer_name:
            field.label = gettext("Which %(payer)s plan do you have? (optional)") % {"payer": payer_name}
        field.help_text = _("Your plan's name is on your insurance card. We use it to estimate what a session "
                            "costs you.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("plan_id"):
            for name in ("deductible_left_usd", "oop_left_usd"):
                if data.get(name) is not None:
                    self.add_error(name, gettext("Choose your plan first: what is left depends on the plan."))
        return data


class TimesForm(forms.Form):
    times_of_day = forms.MultipleChoiceField(
        label=_("What times of day suit you? (optional)"),
        choices=[("morning", _("Mornings (before noon)")), ("afternoon", _("Afternoons (noon to 5 PM)")),
                 ("evening", _("Evenings (after 5 PM)"))],
        widget=forms.CheckboxSelectMultiple, required=False,
    )


@dataclass(frozen=True)
class Step:
    slug: str
    title: str | Promise  # translated when shown
    form: type[forms.Form]


STEPS = (
    Step("safety", _("First, your safety"), SafetyForm),
    Step("help", _("What you would like help with"), ConcernsForm),
    Step("meeting", _("How you would like to meet"), FormatForm),
    Step("place", _("Where you are"), PlaceForm),
    Step("about", _("About you"), AboutForm),
    Step("preferences", _("Language and preferences"), PreferencesForm),
    Step("payment", _("Paying for sessions"), PaymentForm),
    Step("plan", _("Your insurance plan"), PlanForm),
    Step("times", _("Times that suit you"), TimesForm),
)
STEP_SLUGS = tuple(step.slug for step in STEPS)


def default_languages(page_language: str | None) -> list[str]:
    """The session languages the preferences step starts with: the page's when it is one
    the intake offers and not English (a Spanish page: Spanish), else English."""
    code = (page_language or "en").split("-")[0]
    return [code] if code in COMMON_LANGUAGES and code != "en" else ["en"]


def to_session(data: dict[str, Any]) -> dict[str, Any]:
    """Cleaned form data as JSON-friendly values."""
    return {k: (v.isoformat() if isinstance(v, dt.date) else str(v) if isinstance(v, Decimal) else v)
            for k, v in data.items()}


def answers_complete(answers: dict[str, Any]) -> str | None:
    """The first step whose answers are missing, or None when matching can run."""
    needed = {"safety": "in_danger", "help": "concerns", "meeting": "format", "place": "state",
              "about": "date_of_birth", "preferences": "languages", "payment": "payment"}
    for slug in STEP_SLUGS:
        key = needed.get(slug)
        if key and not answers.get(key):
            return slug
    return None


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def match_request(answers: dict[str, Any], *, now: dt.datetime, within_hours: int | None = None) -> MatchRequest:
    if within_hours is None:
        stored = answers.get("within_hours")
        within_hours = stored if stored in WINDOWS else WINDOWS[0]
    born = dt.date.fromisoformat(answers["date_of_birth"])
    payment = answers.get("payment") or PAYMENT_SELF
    return MatchRequest(
        state=answers["state"],
        zip=answers.get("zip") or None,
        age=age_on(born, timezone.localdate()),
        concerns=tuple(answers["concerns"]),
        approaches=tuple(answers.get("approaches") or ()),
        format=answers.get("format", "any"),
        max_distance_miles=float(answers.get("max_distance_miles") or 25),
        languages=tuple(answers.get("languages") or ("en",)),
        provider_gender=answers.get("provider_gender") or None,
        insurance=None if payment == PAYMENT_SELF else payment,
        self_pay_max=answers.get("self_pay_max") if payment == PAYMENT_SELF else None,
        earliest=now,
        within_hours=within_hours,
        limit=5,
        times_of_day=tuple(answers.get("times_of_day") or ()),
        client_timezone=client_zone(zip=answers.get("zip"), state=answers.get("state")),
    )


def suggestion_label(change: dict[str, Any]) -> str:
    """A relaxation of the request, in plain words."""
    if "within_hours" in change:
        hours = int(str(change["within_hours"]))
        if hours % 24 == 0:
            days = hours // 24
            return ngettext("Look up to %(days)s day ahead", "Look up to %(days)s days ahead", days) % {"days": days}
        return ngettext("Look up to %(hours)s hour ahead", "Look up to %(hours)s hours ahead", hours) % {"hours": hours}
    if change.get("format") == "telehealth":
        return gettext("Meet online instead of in person")
    if "max_distance_miles" in change:
        return gettext("Travel up to %(miles)s miles") % {"miles": change["max_distance_miles"]}
    if "languages" in change:
        codes = change["languages"]
        listed = codes if isinstance(codes, list | tuple) else [codes]
        names = [language_name(str(code)) for code in listed]
        return gettext("Include sessions in %(languages)s") % {"languages": gettext(" or ").join(names)}
    if "insurance" in change or "self_pay_max" in change:
        return gettext("Pay for sessions yourself")
    return ", ".join(f"{key}: {value}" for key, value in change.items())


def _field(form: type[forms.Form], name: str) -> forms.Field:
    return copy.deepcopy(form.base_fields[name])


class RefineForm(forms.Form):
    """Refining the results without redoing the intake: the same fields, with the same rules,
    as the intake's steps (copied from their forms), and the ZIP code rule of the place step."""

    format = _field(FormatForm, "format")
    provider_gender = _field(PreferencesForm, "provider_gender")
    times_of_day = _field(TimesForm, "times_of_day")
    languages = _field(PreferencesForm, "languages")
    self_pay_max = _field(PaymentForm, "self_pay_max")

    def __init__(self, *args: Any, answers: dict[str, Any], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {name: answers[name] for name in self.base_fields if name in answers})
        super().__init__(*args, **kwargs)
        self.answers = answers
        self.fields["times_of_day"].label = _("Times of day (optional)")
        self.fields["provider_gender"].label = _("Therapist's gender (optional)")
        self.fields["languages"].label = _("Languages your sessions could be in")
        if (answers.get("payment") or PAYMENT_SELF) != PAYMENT_SELF:
            del self.fields["self_pay_max"]  # insurance pays: a self-pay limit would change nothing
        else:
            self.fields["self_pay_max"].label = _("Most you could pay a session, in dollars (optional)")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "format" in data:
            place = PlaceForm({"state": self.answers.get("state", ""), "zip": self.answers.get("zip", "")},
                              format=data["format"])
            if not place.is_valid() and "zip" in place.errors:
                self.add_error("format", gettext("%(problem)s Add it under “Where you are” in your answers.")
                               % {"problem": place.errors["zip"][0]})
        return data


def change_token(change: dict[str, object]) -> str:
    """A suggested change as the value of its button."""
    return json.dumps(change, sort_keys=True, separators=(",", ":"))


def apply_change(answers: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    """The stored answers with one suggested change (engine.match.relaxations) made, so that
    the results ask exactly what the suggestion counted."""
    changed = dict(answers)
    for name, value in change.items():
        if name == "within_hours":
            changed["within_hours"] = int(value)
        elif name == "format":
            changed["format"] = value
        elif name == "max_distance_miles":
            changed["max_distance_miles"] = str(int(value))
        elif name == "languages":
            changed["languages"] = list(value)
        elif name == "insurance" and value is None:
            changed["payment"], changed["self_pay_max"] = PAYMENT_SELF, None
            for answer in PLAN_ANSWERS:
                changed.pop(answer, None)
        else:
            raise ValueError(f"no such change: {name}")
    return changed
