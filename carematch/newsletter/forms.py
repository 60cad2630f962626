from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from .models import TOPICS


class SubscribeForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email for the newsletter"), max_length=254,
                             error_messages={"required": gettext_lazy("Enter your email address."),
                                             "invalid": gettext_lazy("Enter an email address, like name@example.org.")})
    topics = forms.MultipleChoiceField(
        label=gettext_lazy("What to send"),
        choices=list(TOPICS.items()),
        initial=list(TOPICS),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one topic.")},
    )


class TopicsForm(forms.Form):
    topics = forms.MultipleChoiceField(
        label=gettext_lazy("Send me"),
        choices=list(TOPICS.items()),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": gettext_lazy("Choose at least one topic, or unsubscribe below.")},
    )
