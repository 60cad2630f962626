from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy

from .models import BODY_MAX


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"), max_length=BODY_MAX, strip=True,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=format_lazy(gettext_lazy("Plain text, up to {max} characters. Do not use messages in an emergency."),
                              max=BODY_MAX),
        error_messages={"required": gettext_lazy("Write a message before sending it."),
                        "max_length": format_lazy(gettext_lazy("Keep the message to {max} characters or split it."),
                                                  max=BODY_MAX)},
    )


class StartForm(forms.Form):
    with_whom = forms.ChoiceField(
        label=gettext_lazy("Write to"),
        error_messages={
            "required": gettext_lazy("Choose who to write to."),
            "invalid_choice": gettext_lazy("Choose who to write to."),
        },
    )

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["with_whom"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - narrows the type for mypy
        field.choices = [("", "Choose…"), *choices]
