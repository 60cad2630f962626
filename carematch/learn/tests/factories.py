from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from carematch.learn import services
from carematch.learn.models import Article


def article(*, slug: str = "first-session", publish: bool = True, body: str = "Some **helpful** words.",
            reviewed_on: dt.date | None = None, by: Any = None, **overrides: Any) -> Article:
    values: dict[str, Any] = {
        "title": f"About {slug.replace('-', ' ')}", "summary": "A short summary.", "author": "Editorial team",
        "reviewer_name": "Dr. Test Reviewer", "reviewer_credentials": "PhD", "concerns": ["anxiety"],
        "reviewed_on": reviewed_on or timezone.localdate() - dt.timedelta(days=10),
    }
    values.update(overrides)
    made = services.article_create(by=by, slug=slug, body=body, **values)
    return services.article_publish(article=made, by=by) if publish else made
