"""`{% suggested_articles concerns=... %}`: the library's suggestions on other apps' pages,
through one include (learn/includes/suggested.html). Never placed in or above the crisis
resources, which stay alone and first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template

from carematch.learn import selectors

register = template.Library()


@register.inclusion_tag("learn/includes/suggested.html")
def suggested_articles(concerns: Iterable[str] | None = None, plan: Iterable[Any] | None = None,
                       appointment: Any = None, heading: str = "Reading that may help") -> dict[str, Any]:
    """Articles for the person's `concerns` (the intake's answers), for the coping activities of
    a `plan` (the progress page's items), or, for an `appointment` that is its client's first
    session and still to come, the articles about starting therapy."""
    if appointment is not None:
        articles = selectors.first_session_articles() if selectors.first_session_upcoming(
            appointment=appointment) else []
    else:
        kinds = [item["view"].activity.kind for item in (plan or []) if item["view"].activity.is_active]
        articles = selectors.suggested_articles(concerns=concerns or (), activities=kinds)
    return {"articles": articles, "heading": heading}


@register.simple_tag
def overdue_review_count() -> int:
    """For the staff home: how many articles are past their clinical review date."""
    return selectors.overdue_review_count()
