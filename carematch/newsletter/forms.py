from __future__ import annotations

from django import forms

from .models import TOPICS


class SubscribeForm(forms.Form):
    email = forms.EmailField(label="Email for the newsletter", max_length=254,
                             error_messages={"required": "Enter your email address.",
                                             "invalid": "Enter an email address, like name@example.org."})
    topics = forms.MultipleChoiceField(label="What to send", choices=list(TOPICS.items()), initial=list(TOPICS),
                                       widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "Choose at least one topic."})


class TopicsForm(forms.Form):
    topics = forms.MultipleChoiceField(label="Send me", choices=list(TOPICS.items()),
                                       widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "Choose at least one topic, or unsubscribe below."})
