"""The coverage form a client fills in from their insurance card."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import Relationship


class CoverageForm(forms.Form):
    payer = forms.ChoiceField(label="Your insurer")
    plan_id = forms.CharField(label="Plan ID (optional)", required=False, max_length=60,
                              help_text="If your card shows one.")
    member_id = forms.CharField(label="Member ID", max_length=80, help_text="As printed on your insurance card.")
    relationship = forms.ChoiceField(label="Whose plan is it?", choices=Relationship.choices,
                                     widget=forms.RadioSelect, initial=Relationship.SELF)
    subscriber_first_name = forms.CharField(label="Subscriber's first name", max_length=35,
                                            help_text="The person the plan is in the name of (you, if it is yours).")
    subscriber_last_name = forms.CharField(label="Subscriber's last name", max_length=60)
    subscriber_birth_date = forms.DateField(label="Subscriber's date of birth",
                                            widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, payers: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["payer"].choices = [("", "Choose your insurer"), *payers.items()]  # type: ignore[attr-defined]


class EligibilityCheckForm(forms.Form):
    """Nothing to fill in: the button asks for a check now."""


class DiagnosisForm(forms.Form):
    code = forms.CharField(label="ICD-10-CM code", max_length=10, help_text="For example F41.1 or F43.10.")


class TaxIdForm(forms.Form):
    tax_id = forms.CharField(label="Tax ID", max_length=11, required=False,
                             help_text="Your EIN (12-3456789), or your SSN (123-45-6789) if you have no EIN. "
                                       "It is printed on your clients' superbills. Leave empty to remove it.")


class SuperbillForm(forms.Form):
    provider = forms.TypedChoiceField(label="Therapist", coerce=int, widget=forms.HiddenInput)
    start = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = providers  # type: ignore[attr-defined]
