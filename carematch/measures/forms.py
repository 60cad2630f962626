"""Forms of the measures pages. They read input; the rules are in services and scoring."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from carematch.accounts.models import Client
from carematch.lib.errors import DomainError

from . import services
from .instruments import DIFFICULTY_OPTIONS, INSTRUMENTS, ITEM_OPTIONS, Instrument
from .models import Cadence

ITEM_CHOICES = [(str(option.value), option.label) for option in ITEM_OPTIONS]
DIFFICULTY_CHOICES = [(str(option.value), option.label) for option in DIFFICULTY_OPTIONS]
RATING_CHOICES = [(str(n), str(n)) for n in range(11)]


def item_field(code: str, number: int) -> str:
    return f"{code}_{number}"


def difficulty_field(code: str) -> str:
    return f"{code}_difficulty"


@dataclass(frozen=True)
class Section:
    """One questionnaire on the page: its wording and its bound fields."""

    instrument: Instrument
    items: list[forms.BoundField]
    difficulty: forms.BoundField


class QuestionnaireForm(forms.Form):
    """One or more questionnaires on one page: every item a group of four radio buttons."""

    def __init__(self, *args: Any, instruments: Sequence[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.instruments = [INSTRUMENTS[code] for code in instruments]
        for spec in self.instruments:
            for item in spec.items:
                self.fields[item_field(spec.code, item.number)] = forms.TypedChoiceField(
                    label=f"{item.number}. {item.text}", choices=ITEM_CHOICES, coerce=int, widget=forms.RadioSelect,
                    error_messages={"required": format_lazy(_("Choose an answer for question {number}."),
                                                            number=item.number)},
                )
            self.fields[difficulty_field(spec.code)] = forms.TypedChoiceField(
                label=spec.difficulty.text, choices=DIFFICULTY_CHOICES, coerce=int, empty_value=None, required=False,
                widget=forms.RadioSelect, help_text=_("Optional."),
            )

    def sections(self) -> list[Section]:
        return [
            Section(
                spec, [self[item_field(spec.code, item.number)] for item in spec.items],
                self[difficulty_field(spec.code)],
            )
            for spec in self.instruments
        ]

    def responses(self) -> list[services.Response]:
        data = self.cleaned_data
        return [
            services.Response(
                spec.code, [data[item_field(spec.code, item.number)] for item in spec.items],
                data.get(difficulty_field(spec.code)),
            )
            for spec in self.instruments
        ]

    def add_service_errors(self, exc: DomainError) -> None:
        """Put a service's field problems on the questions they are about."""
        placed = False
        single = self.instruments[0].code if len(self.instruments) == 1 else None
        for name, problem in exc.fields.items():
            code, _, rest = name.partition(".") if single is None else (single, "", name)
            field = None
            if rest.startswith("answers."):
                index = rest.removeprefix("answers.")
                field = item_field(code, int(index) + 1) if index.isdigit() else None
            elif rest == "difficulty":
                field = difficulty_field(code)
            if field in self.fields:
                self.add_error(field, problem[:1].upper() + problem[1:] + ".")
                placed = True
        if not placed:
            self.add_error(None, exc.detail)


class AcknowledgeForm(forms.Form):
    note = forms.CharField(
        label=pgettext_lazy("staff", "What did you do?"), max_length=services.NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=pgettext_lazy("staff", "Required. For example: called the client, safety plan reviewed, next "
                                         "contact agreed."),
        error_messages={"required": pgettext_lazy("staff", "Write a note saying what you did.")},
    )


class CadenceForm(forms.Form):
    cadence = forms.ChoiceField(
        label=pgettext_lazy("staff", "When should your clients be asked the PHQ-9 and GAD-7?"), choices=Cadence.choices,
        widget=forms.RadioSelect,
        help_text=pgettext_lazy("staff", "Every client is also asked once before their first session with you."),
    )


class SendNowForm(forms.Form):
    client = forms.ModelChoiceField(
        label=pgettext_lazy("staff", "Client"), queryset=Client.objects.none(),
        empty_label=pgettext_lazy("staff", "Choose a client"),
        error_messages={"required": pgettext_lazy("staff", "Choose a client."),
                        "invalid_choice": pgettext_lazy("staff", "Choose one of your clients.")},
    )
    instruments = forms.MultipleChoiceField(
        label=pgettext_lazy("staff", "Questionnaires"),
        choices=[(code, spec.name) for code, spec in INSTRUMENTS.items()],
        widget=forms.CheckboxSelectMultiple, initial=list(INSTRUMENTS),
        error_messages={"required": pgettext_lazy("staff", "Choose at least one questionnaire.")},
    )

    def __init__(self, *args: Any, clients: QuerySet[Client], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[Client]", self.fields["client"]).queryset = clients


class SessionRatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How well did this session work for you?"), choices=RATING_CHOICES, coerce=int,
        widget=forms.RadioSelect, help_text=_("0 means not at all, 10 means very well."),
        error_messages={"required": _("Choose a number from 0 to 10.")},
    )
