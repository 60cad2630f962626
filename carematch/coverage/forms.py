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
