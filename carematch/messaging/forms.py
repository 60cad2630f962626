from __future__ import annotations

from typing import Any

from django import forms

from .models import BODY_MAX


class MessageForm(forms.Form):
    body = forms.CharField(
        label="Your message", max_length=BODY_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Plain text, up to {BODY_MAX:,} characters. Do not use messages in an emergency.",
        error_messages={"required": "Write a message before sending it.",
                        "max_length": f"Keep the message to {BODY_MAX:,} characters or split it."},
    )


class StartForm(forms.Form):
    with_whom = forms.ChoiceField(label="Write to", error_messages={"required": "Choose who to write to.",
                                                                    "invalid_choice": "Choose who to write to."})

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["with_whom"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type for mypy
        field.choices = [("", "Choose…"), *choices]
