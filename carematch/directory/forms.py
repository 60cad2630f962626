"""Forms for the directory's pages. They collect input; the services in services.py decide
what is valid, and their problems come back onto the fields here."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone

from carematch.lib import vocab
from carematch.lib.errors import DomainError
from carematch.lib.languages import LANGUAGES
from carematch.lib.timezones import US_ZONES, zone

from . import selectors, validation
from .models import LicenseStatus, Provider

MAX_ROSTER_BYTES = 20 * 1024 * 1024
DAY_CHOICES = [
    (0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"), (6, "Sunday"),
]
# The languages most spoken at home in the US after English (Census ACS); others go in "Other languages".
COMMON_LANGUAGES = (
    "en", "es", "zh", "tl", "vi", "ar", "fr", "ko", "ru", "ht", "de", "pt", "hi", "it", "pl", "ja", "fa", "ur",
)
_LANGUAGE_BY_NAME = {name.lower(): code for code, name in LANGUAGES.items()}
_YES_NO = [("", "Any"), ("yes", "Yes"), ("no", "No")]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] if text else text


def add_service_errors(form: forms.Form, error: DomainError) -> None:
    """Puts a service's problems (`error.fields`) onto the form fields of the same names."""
    if not error.fields:
        form.add_error(None, error.detail)
        return
    for name, problem in error.fields.items():
        form.add_error(name if name in form.fields else None, _sentence(problem))


def _checkboxes() -> forms.CheckboxSelectMultiple:
    return forms.CheckboxSelectMultiple(attrs={"class": "choices"})


def _number(help_text: str) -> forms.CharField:
    return forms.CharField(
        required=False, max_length=12, help_text=help_text,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )


def _any_payer() -> list[tuple[str, str]]:
    return [("", "Any"), *selectors.payer_choices()]


class ProviderProfileForm(forms.Form):
    """The public profile, as the provider keeps it (and a coordinator for them)."""

    pronouns = forms.CharField(
        label="Pronouns", required=False, max_length=200, help_text="Optional, e.g. she/her or they/them.",
    )
    bio = forms.CharField(
        label="Your personal statement",
        required=False,
        strip=False,
        help_text="In your own words: who you work with and how. Up to 1,500 characters.",
        widget=forms.Textarea(attrs={"rows": 8, "maxlength": validation.MAX_BIO_CHARS}),
    )
    first_session = forms.CharField(
        label="What a first session with me is like",
        required=False,
        strip=False,
        help_text="What happens, what to bring, how it feels. Up to 600 characters.",
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": validation.MAX_FIRST_SESSION_CHARS}),
    )
    years_in_practice = _number("Whole years, from 0 to 80. Optional.")
    education = forms.CharField(
        label="Education", required=False, max_length=1000,
        help_text="Degrees and where, e.g. MA Counseling, University of Denver. Up to 300 characters.",
    )
    concerns = forms.MultipleChoiceField(
        label="What you help with", required=False, choices=list(vocab.CONCERNS.items()), widget=_checkboxes()
    )
    specialties = forms.MultipleChoiceField(
        label="Your specialties", required=False, widget=_checkboxes(),
        help_text="Up to 3 of what you help with, shown first on your profile.",
    )
    approaches = forms.MultipleChoiceField(
        label="Approaches you use", required=False, choices=list(vocab.APPROACHES.items()), widget=_checkboxes()
    )
    communities = forms.MultipleChoiceField(
        label="Communities you centre in your work", required=False, choices=list(vocab.COMMUNITIES.items()),
        widget=_checkboxes(),
    )
    populations = forms.MultipleChoiceField(
        label="Who you see", required=False, choices=list(vocab.POPULATIONS.items()), widget=_checkboxes()
    )
    languages = forms.MultipleChoiceField(label="Languages you hold sessions in", required=False, widget=_checkboxes())
    other_languages = forms.CharField(
        label="Other languages",
        required=False,
        max_length=300,
        help_text="Names or two-letter codes, separated by commas, e.g. Somali, am.",
    )
    formats = forms.MultipleChoiceField(
        label="How you meet clients", required=False, choices=list(vocab.FORMATS.items()), widget=_checkboxes()
    )
    insurance = forms.MultipleChoiceField(
        label="Insurance you accept", required=False, choices=selectors.payer_choices, widget=_checkboxes()
    )
    self_pay_rate = forms.CharField(
        label="Self-pay rate",
        max_length=12,
        help_text="Whole US dollars per session, e.g. 120.",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    sliding_scale_min = _number("Lowest fee of your sliding scale, whole US dollars. Leave both blank for none.")
    sliding_scale_max = _number("Highest fee of your sliding scale, at most your self-pay rate.")
    accepting_new = forms.BooleanField(label="I am taking new clients", required=False)
    timezone = forms.ChoiceField(label="Your time zone", required=False,
                                 help_text="Your weekly hours are in this zone.")
    min_notice_hours = forms.CharField(
        label="Minimum notice",
        max_length=12,
        help_text="Hours between booking and the session, e.g. 24. At most two weeks (336 hours).",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    works_holidays = forms.BooleanField(label="Offer openings on US federal holidays", required=False)
    video_link = forms.CharField(
        label="Your own video link",
        required=False,
        help_text="Optional. An https:// address of your own video room, used for all your online sessions instead "
                  "of carematch's video rooms. Clients get it only on their session's join page, shortly before the "
                  "session. Leave blank to use carematch's.",
        widget=forms.TextInput(attrs={"inputmode": "url", "autocomplete": "off", "spellcheck": "false"}),
    )
    offers_consultations = forms.BooleanField(
        label="I offer a free 15-minute consultation call", required=False,
        help_text="Clients can book one inside your weekly hours, like a session.",
    )
    consultation_formats = forms.MultipleChoiceField(
        label="How the consultation call happens", required=False,
        choices=list(vocab.CONSULTATION_FORMATS.items()), widget=_checkboxes(),
    )
    clients_book_series = forms.BooleanField(
        label="Clients may book a series after a session themselves", required=False,
        help_text="The same time every week or every two weeks; each date is checked like any booking.",
    )

    def __init__(self, *args: Any, provider: Provider, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "pronouns": provider.pronouns,
                "bio": provider.bio,
                "first_session": provider.first_session,
                "years_in_practice": "" if provider.years_in_practice is None else provider.years_in_practice,
                "education": provider.education,
                "specialties": provider.specialties,
                "communities": provider.communities,
                "sliding_scale_min": "" if provider.sliding_scale_min is None else provider.sliding_scale_min,
                "sliding_scale_max": "" if provider.sliding_scale_max is None else provider.sliding_scale_max,
                "concerns": provider.concerns,
                "approaches": provider.approaches,
                "populations": provider.populations,
                "languages": [code for code in provider.languages if code in LANGUAGES],
                "formats": provider.formats,
                "insurance": provider.insurance,
                "self_pay_rate": provider.self_pay_rate,
                "accepting_new": provider.accepting_new,
                "timezone": provider.timezone,
                "min_notice_hours": provider.min_notice_hours,
                "works_holidays": provider.works_holidays,
                "video_link": provider.video_link,
                "offers_consultations": provider.offers_consultations,
                "consultation_formats": provider.consultation_formats,
                "clients_book_series": provider.clients_book_series,
            },
        )
        super().__init__(*args, **kwargs)
        zones = [("", "Choose your time zone")] if not provider.timezone else []
        zones += list(US_ZONES) if provider.timezone in dict(US_ZONES) or not provider.timezone else [
            (provider.timezone, provider.timezone), *US_ZONES]
        cast(forms.ChoiceField, self.fields["timezone"]).choices = zones
        shown = [*COMMON_LANGUAGES, *(code for code in provider.languages if code not in COMMON_LANGUAGES)]
        cast(forms.MultipleChoiceField, self.fields["languages"]).choices = [
            (code, vocab.language_name(code)) for code in shown if code in LANGUAGES
        ]
        # Specialties are chosen from the concerns: those on file, and those ticked in this submission.
        ticked = self.data.getlist("concerns") if self.is_bound and hasattr(self.data, "getlist") else []
        own = set(provider.concerns) | {slug for slug in ticked if slug in vocab.CONCERNS}
        cast(forms.MultipleChoiceField, self.fields["specialties"]).choices = [
            (slug, label) for slug, label in vocab.CONCERNS.items() if slug in own
        ]
        self.fields["years_in_practice"].label = "Years in practice"
        self.fields["sliding_scale_min"].label = "Sliding scale from"
        self.fields["sliding_scale_max"].label = "Sliding scale up to"

    def clean_other_languages(self) -> list[str]:
        entries = [entry.strip() for entry in self.cleaned_data["other_languages"].split(",")]
        # A language's English name is understood too; codes and anything unknown go to the service as typed.
        return [_LANGUAGE_BY_NAME.get(entry.lower(), entry) for entry in entries if entry]

    def profile_changes(self) -> dict[str, Any]:
        """The cleaned values, shaped as `services.provider_profile_update` takes them."""
        data = dict(self.cleaned_data)
        data["languages"] = [*data["languages"], *data.pop("other_languages")]
        if not data.get("timezone"):
            data.pop("timezone", None)  # not chosen (yet): the zone on file stays
        return data


class PhotoForm(forms.Form):
    """A photo upload. The field only collects the file: what it is, and whether it is kept, is
    decided by decoding it (carematch/directory/photos.py, through the service)."""

    photo = forms.FileField(
        label="Photo",
        help_text="A JPEG, PNG or WebP image, at most 5 MB. It is cropped to a square; anything stored in the "
                  "file besides the picture (such as where it was taken) is removed.",
        error_messages={
            "required": "Choose a photo to upload.",
            "empty": "This file is empty. Choose a photo to upload.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", None)
        super().__init__(*args, **kwargs)


class WindowForm(forms.Form):
    weekday = forms.TypedChoiceField(label="Day", choices=DAY_CHOICES, coerce=int)
    start = forms.CharField(
        label="Start time",
        max_length=10,
        help_text="24-hour clock, e.g. 09:00.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 6}),
    )
    end = forms.CharField(
        label="End time",
        max_length=10,
        help_text="24-hour clock, e.g. 17:00.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 6}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "window")
        super().__init__(*args, **kwargs)


_LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class TimeOffForm(forms.Form):
    """Start and end are read as wall-clock times in the provider's own time zone."""

    start = forms.DateTimeField(
        label="Starts",
        input_formats=_LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_FORMATS[0]),
    )
    end = forms.DateTimeField(
        label="Ends",
        input_formats=_LOCAL_FORMATS,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=_LOCAL_FORMATS[0]),
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        help_text="Private: only you and coordinators see it. Up to 200 characters.",
    )

    def __init__(self, *args: Any, time_zone: str, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "time_off")
        super().__init__(*args, **kwargs)
        self.time_zone = time_zone

    def full_clean(self) -> None:
        # Django's DateTimeField makes naive input aware in the current time zone, and refuses
        # a wall-clock time that happens twice or never (daylight-saving changes) there.
        with timezone.override(zone(self.time_zone)):
            super().full_clean()


class DirectorySearchForm(forms.Form):
    name = forms.CharField(label="Name", required=False, max_length=100)
    state = forms.ChoiceField(
        label="Licensed in",
        required=False,
        choices=[("", "Any state"), *sorted(vocab.STATES.items(), key=lambda item: item[1])],
        help_text="Licenses there that are current, verified or still waiting for verification.",
    )
    concern = forms.ChoiceField(
        label="Helps with", required=False, choices=[("", "Anything"), *vocab.CONCERNS.items()]
    )
    payer = forms.ChoiceField(label="Accepts insurance", required=False, choices=_any_payer)
    accepting = forms.ChoiceField(label="Taking new clients", required=False, choices=_YES_NO)

    def filters(self) -> dict[str, Any]:
        """The cleaned values, shaped as `selectors.provider_search` takes them."""
        data = self.cleaned_data
        accepting = {"yes": True, "no": False}.get(data["accepting"])
        return {
            "name": data["name"].strip() or None,
            "state": data["state"] or None,
            "concern": data["concern"] or None,
            "payer": data["payer"] or None,
            "accepting_new": accepting,
        }


class LicenseStatusForm(forms.Form):
    status = forms.ChoiceField(label="Status", choices=LicenseStatus.choices)


class RosterImportForm(forms.Form):
    roster = forms.FileField(
        label="Roster file",
        help_text="A CSV file saved as UTF-8, up to 20 MB.",
        error_messages={
            "required": "Choose the roster file to import.",
            "empty": "This file is empty. Choose the roster file to import.",
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(label="Check only, write nothing", required=False)
    partial = forms.BooleanField(label="Import the good rows even if some are bad", required=False)

    def clean_roster(self) -> str:
        """The file's text. Read here so a bad upload is an error on this field, not a failed import."""
        upload: UploadedFile = self.cleaned_data["roster"]
        if upload.size is not None and upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError(
                f"This file is {upload.size / 1024 / 1024:.1f} MB; a roster can be at most 20 MB. "
                "Split it into smaller files."
            )
        raw = upload.read(MAX_ROSTER_BYTES + 1)
        if len(raw) > MAX_ROSTER_BYTES:
            raise forms.ValidationError("This file is larger than 20 MB. Split it into smaller files.")
        try:
            return raw.decode("utf-8-sig")  # a byte-order mark, as spreadsheet programs write, is not data
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"This file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            ) from None


class ProfileClaimForm(forms.Form):
    """Who follows an invitation: their NPI and their date of birth or a licence number on
    file, and the password of their new account."""

    npi = forms.CharField(label="Your NPI", max_length=10, help_text="The 10 digits of your National Provider "
                                                                     "Identifier.")
    birth_date = forms.DateField(label="Your date of birth", required=False, help_text="As YYYY-MM-DD. Give this "
                                 "or a licence number.", widget=forms.DateInput(attrs={"type": "date"}))
    licence_number = forms.CharField(label="Or one of your licence numbers", required=False, max_length=40)
    password = forms.CharField(label="Choose a password", widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), max_length=128)
    password_again = forms.CharField(label="The password again", widget=forms.PasswordInput(
        attrs={"autocomplete": "new-password"}), max_length=128)

    def clean(self) -> dict[str, Any]:
        cleaned = cast(dict[str, Any], super().clean())
        if not cleaned.get("birth_date") and not str(cleaned.get("licence_number", "")).strip() \
                and "birth_date" not in self.errors:
            self.add_error("licence_number", "Give your date of birth or one of your licence numbers.")
        if cleaned.get("password") and cleaned.get("password_again") != cleaned.get("password"):
            self.add_error("password_again", "The two passwords are not the same.")
        return cleaned


class LicenceForm(forms.Form):
    state = forms.ChoiceField(label="State", choices=[("", "Choose a state"), *vocab.STATES.items()])
    license_type = forms.CharField(label="Licence type", max_length=20, help_text="e.g. LPC, LCSW, PsyD")
    number = forms.CharField(label="Licence number", max_length=40)
    expires = forms.DateField(label="Expires on", help_text="As YYYY-MM-DD.",
                              widget=forms.DateInput(attrs={"type": "date"}))


class PayerForm(forms.Form):
    name = forms.CharField(
        label="Payer's name", max_length=200,
        help_text="As people know it, e.g. Summit Health Plan.",
        error_messages={"required": "Enter the payer's name."},
    )
    slug = forms.CharField(
        label="Short code (optional)", max_length=40, required=False,
        help_text="Lower-case letters, digits, '-' or '_'; used in rosters, plans and the API. Made from the name "
                  "when left empty. It cannot be changed later.",
    )


class ProviderContactForm(forms.Form):
    """Where a provider's link to claim their profile goes, and what confirms who follows it."""

    email = forms.CharField(
        label="Email for the link", max_length=320, required=False,
        help_text="The provider's own address: the link to claim the profile is sent here.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    birth_date = forms.DateField(
        label="Date of birth (optional)", required=False,
        help_text="Asked when they follow the link, to confirm who they are; a licence number on file does too. "
                  "Never shown or exported.",
        widget=forms.DateInput(attrs={"type": "date", "autocomplete": "off"}),
        error_messages={"invalid": "Enter the date as YYYY-MM-DD."},
    )
