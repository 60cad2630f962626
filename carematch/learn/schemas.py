from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class ArticleFilter(Schema):
    concern: str | None = Field(None, description="Only articles about this concern (a slug of the concern "
                                                  "vocabulary, e.g. anxiety).")


class ArticleOut(Schema):
    slug: str
    title: str
    summary: str
    concerns: list[str]
    reviewed_by: str = Field(description="The clinician who reviewed it, with their credentials.")
    reviewed_on: dt.date
    url: str = Field(description="The article's page.")


class ArticlesOut(Schema):
    items: list[ArticleOut]
    count: int
