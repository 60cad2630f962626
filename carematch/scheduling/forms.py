"""Forms of the scheduling pages: a coordinator's outcome of a crisis contact attempt."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import CrisisOutcome
from .services import NOTE_MAX


class CrisisOutcomeForm(forms.Form):
    outcome = forms.ChoiceField(
        label="What happened?", choices=CrisisOutcome.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose what happened."},
    )
    note = forms.CharField(
        label="Note", max_length=NOTE_MAX, widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required. What you did and agreed, e.g. called, safety plan reviewed, next call tomorrow.",
        error_messages={"required": "Write a note saying what you did."},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Radio buttons are not described by their error the way one input is: name it on each.
        if self.is_bound and "outcome" in self.errors:
            self.fields["outcome"].widget.attrs["aria-describedby"] = f"{self['outcome'].auto_id}_error"
