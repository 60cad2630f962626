"""The library on the JSON API: published articles, for anyone (no token)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router

from carematch.lib.errors import InvalidInput
from carematch.lib.vocab import CONCERNS
from carematch.openapi import errors

from . import selectors
from .schemas import ArticleFilter, ArticlesOut

router = Router(tags=["library"])


@router.get("/articles", auth=None, response={200: ArticlesOut, **errors(422)})
def list_articles(request: HttpRequest, filters: Query[ArticleFilter]) -> Any:
    """Published articles of the library, each reviewed by a clinician, newest review first;
    with `concern`, only those about it (422 for a concern carematch does not know)."""
    if filters.concern is not None and filters.concern not in CONCERNS:
        raise InvalidInput.for_fields({"concern": "is not a known concern"}, summary="Unknown concern",
                                      listing="names_and_problems")
    items = [{
        "slug": a.slug, "title": a.title, "summary": a.summary, "concerns": a.concerns,
        "reviewed_by": a.reviewed_by, "reviewed_on": a.reviewed_on,
        "url": settings.SITE_URL + reverse("learn:article", args=[a.slug]),
    } for a in selectors.published_articles(concern=filters.concern)]
    return {"items": items, "count": len(items)}
