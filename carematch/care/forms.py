"""Forms of the care pages. They read what was typed; the services decide what is allowed."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext, gettext_lazy

from carematch.lib.errors import DomainError

from .models import (
    ACTIVITY_TEXT_MAX,
    GOAL_TEXT_MAX,
    JOURNAL_ENTRY_MAX,
    NOTE_MAX,
    PROVIDER_NOTE_MAX,
    ActivityKind,
    Instrument,
    MeasureChoice,
    Period,
)
from .status import Measure


def _date_input() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _number_input(low: int, high: int) -> forms.NumberInput:
    return forms.NumberInput(attrs={"min": low, "max": high, "inputmode": "numeric"})


def _sentence(problem: str) -> str:
    problem = problem.strip().rstrip(".")
    return problem[:1].upper() + problem[1:] + "."


class ServiceErrorsMixin:
    """Puts a service's problems (`error.fields`) on the form's fields of the same meaning."""

    field_for: dict[str, str] = {}

    def service_field(self, name: str) -> str:
        return self.field_for.get(name, name)

    def add_service_errors(self, error: DomainError) -> None:
        form: Any = self
        if not error.fields:
            form.add_error(None, error.detail)
            return
        for name, problem in error.fields.items():
            field = self.service_field(name)
            form.add_error(field if field in form.fields else None, _sentence(problem))


class GoalForm(ServiceErrorsMixin, forms.Form):
    text = forms.CharField(
        label=gettext_lazy("The goal, in your own words"), max_length=GOAL_TEXT_MAX,
        help_text=gettext_lazy("For example: Talk about hard things without shutting down."),
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measure = forms.ChoiceField(
        label=gettext_lazy("How will you know it is working?"), choices=MeasureChoice.choices, widget=forms.RadioSelect,
    )
    instrument = forms.ChoiceField(
        label=gettext_lazy("Questionnaire"),
        required=False,
        choices=[("", gettext_lazy("Choose a questionnaire")), *Instrument.choices],
    )
    score_below = forms.IntegerField(
        label=gettext_lazy("Aim for a score under"),
        required=False,
        widget=_number_input(1, 27),
        help_text=gettext_lazy(
            "On these questionnaires a lower score means you are feeling better. For example, 10 means the "
            "goal is reached when the PHQ-9 score drops under 10, the usual line for mild symptoms. PHQ-9 "
            "scores run from 0 to 27, GAD-7 scores from 0 to 21."
        ),
    )
    rating_target = forms.IntegerField(
        label=gettext_lazy("Rating to reach, out of 10"),
        required=False,
        widget=_number_input(1, 10),
        help_text=gettext_lazy("For example 8: at least 8 out of 10."),
    )
    target_date = forms.DateField(label=gettext_lazy("By when?"), widget=_date_input())

    def __init__(self, *args: Any, by_client: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not by_client:
            self.fields["text"].label = "The goal, in the client's words"

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        measure = data.get("measure")
        if measure == Measure.QUESTIONNAIRE:
            if data.get("score_below") is None and "score_below" not in self.errors:
                self.add_error("score_below", gettext("Give the score to aim under, for example 10."))
        elif (
            measure == Measure.SELF_RATING and data.get("rating_target") is None and "rating_target" not in self.errors
        ):
            self.add_error("rating_target", gettext("Give the rating to reach."))
        return data

    def service_field(self, name: str) -> str:
        if name == "target":
            measure = self.cleaned_data.get("measure") if hasattr(self, "cleaned_data") else None
            return "score_below" if measure == Measure.QUESTIONNAIRE else "rating_target"
        return name

    def definition(self) -> dict[str, Any]:
        """What the services take: one target, and the questionnaire only where it applies."""
        data = self.cleaned_data
        questionnaire = data["measure"] == Measure.QUESTIONNAIRE
        return {
            "text": data["text"],
            "measure": data["measure"],
            "target_date": data["target_date"],
            "instrument": data["instrument"] if questionnaire else "",
            "target": data["score_below"] if questionnaire else data["rating_target"],
        }

    @staticmethod
    def initial_from(version: Any) -> dict[str, Any]:
        questionnaire = version.measure == Measure.QUESTIONNAIRE
        return {
            "text": version.text,
            "measure": version.measure,
            "instrument": version.instrument,
            "score_below": version.target if questionnaire else None,
            "rating_target": None if questionnaire else version.target,
            "target_date": version.target_date,
        }


class RatingForm(ServiceErrorsMixin, forms.Form):
    rating = forms.IntegerField(
        label=gettext_lazy("Rating, from 0 to 10"),
        widget=_number_input(0, 10),
        help_text=gettext_lazy("0 means no progress at all; 10 means the goal feels fully reached."),
    )
    rated_on = forms.DateField(label=gettext_lazy("Day of the rating"), widget=_date_input())


class ActivityForm(ServiceErrorsMixin, forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("Kind of activity"), choices=ActivityKind.choices, widget=forms.RadioSelect
    )
    text = forms.CharField(
        label=gettext_lazy("In your words"),
        max_length=ACTIVITY_TEXT_MAX,
        required=False,
        help_text=gettext_lazy(
            "Needed for something of your own, e.g. 'Play guitar'. Optional otherwise, e.g. 'a walk after lunch'."
        ),
    )
    times = forms.IntegerField(label=gettext_lazy("How many times"), widget=_number_input(1, 14))
    period = forms.ChoiceField(label=gettext_lazy("Per"), choices=[(Period.DAY, gettext_lazy("Day")),
                                                                           (Period.WEEK, gettext_lazy("Week"))])

    def __init__(self, *args: Any, by_client: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not by_client:
            self.fields["text"].label = "In the client's words"


class CheckInForm(ServiceErrorsMixin, forms.Form):
    done_on = forms.DateField(label=gettext_lazy("When did you do it?"), widget=_date_input())
    mood = forms.IntegerField(
        label=gettext_lazy("How did you feel afterwards, from 0 to 10?"),
        widget=_number_input(0, 10),
        help_text=gettext_lazy("0 is the worst you can feel, 10 the best."),
    )
    note = forms.CharField(
        label=gettext_lazy("A note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("What you did, what helped, what got in the way."),
    )


class NoteForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Note"),
        max_length=PROVIDER_NOTE_MAX,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy(
            "Seen only by you and the practice's administrators; never by the client or other providers."
        ),
    )
    appointment_id = forms.TypedChoiceField(
        label=gettext_lazy("About the session (optional)"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: Any, sessions: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if sessions is None:
            del self.fields["appointment_id"]
        else:
            session_field = self.fields["appointment_id"]
            assert isinstance(session_field, forms.TypedChoiceField)  # noqa: S101 - declared just above
            session_field.choices = [("", "No particular session"), *sessions]


class PracticeForm(ServiceErrorsMixin, forms.Form):
    """'I did this': the practice, how the client feels now (the button they tap), and, when
    their plan has more than one activity it may be, which one."""

    practice = forms.CharField(widget=forms.HiddenInput)
    mood = forms.IntegerField(label=gettext_lazy("How do you feel now, from 0 to 10?"), min_value=0, max_value=10)
    activity_id = forms.TypedChoiceField(
        label=gettext_lazy("Which activity of your plan was this?"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args: Any, activities: list[tuple[int, str]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["activity_id"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared just above
        field.choices = activities or []
        if not activities:
            field.widget = forms.HiddenInput()


class JournalEntryForm(ServiceErrorsMixin, forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Write something"),
        max_length=JOURNAL_ENTRY_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "Only you can read your journal, unless you choose to share an entry with your provider."
        ),
    )


class ShareForm(ServiceErrorsMixin, forms.Form):
    provider_id = forms.TypedChoiceField(label=gettext_lazy("Share with"), coerce=int)

    def __init__(self, *args: Any, providers: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["provider_id"]
        assert isinstance(field, forms.TypedChoiceField)  # noqa: S101 - declared just above
        field.choices = providers
