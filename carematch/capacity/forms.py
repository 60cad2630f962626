"""The staff page's form: the options of `carematch simulate`, each problem named by its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import pgettext_lazy

from carematch.lib.errors import InvalidInput

from . import forecast

PAGE_MOST_REPLICATIONS = 50


class ForecastForm(forms.Form):
    days = forms.IntegerField(
        label=pgettext_lazy("staff", "Days to simulate"), min_value=1, max_value=forecast.MAX_DAYS, initial=28
    )
    states = forms.CharField(
        label=pgettext_lazy("staff", "States (optional)"),
        required=False,
        max_length=200,
        help_text=pgettext_lazy(
            "staff", "Two-letter codes separated by spaces or commas, e.g. CO NM. Empty: every state."
        ),
    )
    arrivals_per_day = forms.FloatField(
        label=pgettext_lazy("staff", "Requests a day (optional)"),
        required=False,
        min_value=0,
        max_value=forecast.MAX_ARRIVALS_PER_DAY,
        help_text=pgettext_lazy(
            "staff", "Empty: the last 90 days' rate when they had 28 requests or more, else 0.1 a bookable provider."
        ),
    )
    from_history = forms.BooleanField(
        label=pgettext_lazy(
            "staff", "Take the rate, the mix and the no-show and cancellation rates from the last 90 days"
        ),
        required=False,
    )
    extra_hours = forms.CharField(
        label=pgettext_lazy("staff", "Extra weekly hours (optional)"),
        required=False,
        max_length=300,
        help_text=pgettext_lazy(
            "staff",
            "STATE:HOURS separated by spaces, e.g. CO:10 NM:20; a kind after a colon, e.g. "
            "CO:10:language=es,payer=aetna+cigna.",
        ),
    )
    target = forms.IntegerField(
        label=pgettext_lazy("staff", "Target: percent seen within 48 hours"), min_value=1, max_value=100, initial=90
    )
    replications = forms.IntegerField(
        label=pgettext_lazy("staff", "Replications"), min_value=2, max_value=PAGE_MOST_REPLICATIONS, initial=20
    )
    seed = forms.IntegerField(
        label=pgettext_lazy("staff", "Seed"),
        min_value=0,
        max_value=2**32 - 1,
        initial=2026,
        help_text=pgettext_lazy("staff", "The same seed and options give the same figures."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        try:
            data["options"] = forecast.check_options(
                days=data["days"],
                states=(data.get("states") or "").replace(",", " ").split(),
                arrivals_per_day=data.get("arrivals_per_day"),
                from_history=bool(data.get("from_history")),
                extra_hours=(data.get("extra_hours") or "").split(),
                target=data["target"] / 100,
                seed=data["seed"],
                replications=data["replications"],
            )
        except InvalidInput as exc:
            for name, problem in exc.fields.items():
                field = name if name in self.fields else None
                self.add_error(field, problem)
        return data
