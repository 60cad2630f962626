from __future__ import annotations

from django import forms

from carematch.care.models import ActivityKind
from carematch.lib.vocab import CONCERNS

from .services import BODY_LIMIT, LIMITS


class ArticleForm(forms.Form):
    """What staff write; the service checks it again (and is what the rules live in)."""

    slug = forms.SlugField(label="Address (slug)", max_length=LIMITS["slug"],
                           help_text="The last part of the article's address, e.g. first-session. It cannot change "
                                     "once the article is saved.")
    title = forms.CharField(label="Title", max_length=LIMITS["title"])
    summary = forms.CharField(label="Summary", max_length=LIMITS["summary"],
                              help_text="One or two sentences, shown in lists and in the feed.")
    body = forms.CharField(label="Text (Markdown)", max_length=BODY_LIMIT, strip=True,
                           widget=forms.Textarea(attrs={"rows": 18}),
                           help_text="Markdown: ## for headings, **bold**, *italics*, - lists, [links](https://...). "
                                     "HTML is shown as text, never run.")
    concerns = forms.MultipleChoiceField(label="Concerns it helps with", required=False,
                                         choices=list(CONCERNS.items()), widget=forms.CheckboxSelectMultiple)
    activities = forms.MultipleChoiceField(label="Coping activities it goes with", required=False,
                                           choices=ActivityKind.choices, widget=forms.CheckboxSelectMultiple)
    for_first_session = forms.BooleanField(label="Suggest it to clients waiting for their first session",
                                           required=False)
    author = forms.CharField(label="Author", max_length=LIMITS["author"])
    reviewer_name = forms.CharField(label="Clinical reviewer", max_length=LIMITS["reviewer_name"])
    reviewer_credentials = forms.CharField(label="Reviewer's credentials", max_length=LIMITS["reviewer_credentials"],
                                           help_text="For example: PhD, licensed psychologist.")
    reviewed_on = forms.DateField(label="Review date", widget=forms.DateInput(attrs={"type": "date"}),
                                  help_text="The day the reviewer last checked the article.")
    review_interval_months = forms.IntegerField(label="Review again after (months)", min_value=1, max_value=60)
