"""The coverage form a client fills in from their insurance card."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from .models import Relationship


class CoverageForm(forms.Form):
    payer = forms.ChoiceField(label=gettext_lazy("Your insurer"))
    plan_id = forms.CharField(label=gettext_lazy("Plan ID (optional)"), required=False, max_length=60,
                              help_text=gettext_lazy("If your card shows one."))
    member_id = forms.CharField(
        label=gettext_lazy("Member ID"), max_length=80, help_text=gettext_lazy("As printed on your insurance card.")
    )
    relationship = forms.ChoiceField(
        label=gettext_lazy("Whose plan is it?"),
        choices=Relationship.choices,
        widget=forms.RadioSelect,
        initial=Relationship.SELF,
    )
    subscriber_first_name = forms.CharField(
        label=gettext_lazy("Subscriber's first name"),
        max_length=35,
        help_text=gettext_lazy("The person the plan is in the name of (you, if it is yours)."),
    )
    subscriber_last_name = forms.CharField(label=gettext_lazy("Subscriber's last name"), max_length=60)
    subscriber_birth_date = forms.DateField(
        label=gettext_lazy("Subscriber's date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, payers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [("", gettext_lazy("Choose your insurer")), *payers.items()]  # type: ignore[attr-defined]


class EligibilityCheckForm(forms.Form):
    """Nothing to fill in: the button asks for a check now."""


class DiagnosisForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("staff", "ICD-10-CM code"),
        max_length=10,
        help_text=pgettext_lazy("staff", "For example F41.1 or F43.10."),
    )


class TaxIdForm(forms.Form):
    tax_id = forms.CharField(
        label=pgettext_lazy("staff", "Tax ID"),
        max_length=11,
        required=False,
        help_text=pgettext_lazy(
            "staff",
            "Your EIN (12-3456789), or your SSN (123-45-6789) if you have no EIN. "
            "It is printed on your clients' superbills. Leave empty to remove it.",
        ),
    )


class SuperbillForm(forms.Form):
    provider = forms.TypedChoiceField(label=gettext_lazy("Therapist"), coerce=int, widget=forms.HiddenInput)
    start = forms.DateField(label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=gettext_lazy("To"), widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = providers  # type: ignore[attr-defined]


MAX_FILE_BYTES = 5 * 1024 * 1024


class CoverageFileForm(forms.Form):
    """A benefits file or a fee schedule to import."""

    file = forms.FileField(
        label=pgettext_lazy("staff", "CSV file"),
        help_text=pgettext_lazy("staff", "A CSV file saved as UTF-8, up to 5 MB."),
        error_messages={
            "required": pgettext_lazy("staff", "Choose the file to import."),
            "empty": pgettext_lazy("staff", "This file is empty. Choose the file to import."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    dry_run = forms.BooleanField(label=pgettext_lazy("staff", "Check only, write nothing"), required=False)

    def __init__(self, *args: object, label: str, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["file"].label = label

    def clean_file(self) -> str:
        """The file's text. Read here so a bad upload is an error on this field, not a failed import."""
        upload: UploadedFile = self.cleaned_data["file"]
        raw = upload.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise forms.ValidationError(
                pgettext("staff", "This file is larger than 5 MB. Split it into smaller files.")
            )
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(
                f"This file is not UTF-8 text (byte {exc.start + 1} cannot be read). "
                "Save it as “CSV UTF-8” and upload it again."
            ) from None
        if not text.strip():
            raise forms.ValidationError(pgettext("staff", "This file is empty. Choose the file to import."))
        return text
