"""Writing the library: every write of an article goes through here and keeps a version."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from carematch.care.models import ActivityKind
from carematch.lib.errors import Conflict, InvalidInput
from carematch.lib.vocab import CONCERNS

from .models import Article, ArticleVersion, Status, default_review_interval
from .rendering import reading_minutes

SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LIMITS = {"slug": 80, "title": 160, "summary": 300, "author": 120, "reviewer_name": 120,
          "reviewer_credentials": 120}
LABELS = {"slug": "Address (slug)", "title": "Title", "summary": "Summary", "body": "Text", "author": "Author",
          "reviewer_name": "Clinical reviewer", "reviewer_credentials": "Reviewer's credentials",
          "reviewed_on": "Review date", "review_interval_months": "Review interval", "concerns": "Concerns",
          "activities": "Coping activities"}
BODY_LIMIT = 60_000


def _clean(*, slug: str, title: str, summary: str, body: str, author: str, reviewer_name: str,
           reviewer_credentials: str, reviewed_on: dt.date | None, review_interval_months: int | None,
           concerns: list[str], activities: list[str], today: dt.date) -> dict[str, Any]:
    problems: dict[str, str] = {}
    values: dict[str, Any] = {
        "slug": slug.strip(), "title": title.strip(), "summary": summary.strip(), "body": body.strip(),
        "author": author.strip(), "reviewer_name": reviewer_name.strip(),
        "reviewer_credentials": reviewer_credentials.strip(),
    }
    for name, value in values.items():
        if not value:
            problems[name] = "is required"
        elif name in LIMITS and len(value) > LIMITS[name]:
            problems[name] = f"must be at most {LIMITS[name]} characters"
        elif "\x00" in value:
            problems[name] = "must not contain NUL characters"
    if "slug" not in problems and not SLUG.match(values["slug"]):
        problems["slug"] = "must be lower-case letters, digits and single hyphens (e.g. first-session)"
    if "body" not in problems and len(values["body"]) > BODY_LIMIT:
        problems["body"] = f"must be at most {BODY_LIMIT:,} characters"
    if reviewed_on is None:
        problems["reviewed_on"] = "is required"
    elif reviewed_on > today:
        problems["reviewed_on"] = "cannot be in the future"
    interval = default_review_interval() if review_interval_months is None else review_interval_months
    if not 1 <= interval <= 60:
        problems["review_interval_months"] = "must be from 1 to 60 months"
    unknown = sorted(set(concerns) - set(CONCERNS))
    if unknown:
        problems["concerns"] = f"are not known concerns: {', '.join(unknown)}"
    unknown = sorted(set(activities) - set(ActivityKind.values))
    if unknown:
        problems["activities"] = f"are not known coping activities: {', '.join(unknown)}"
    if problems:
        raise InvalidInput.for_fields(problems, labels=LABELS)
    values.update(reviewed_on=reviewed_on, review_interval_months=interval,
                  concerns=[c for c in CONCERNS if c in set(concerns)],
                  activities=[a for a in ActivityKind.values if a in set(activities)],
                  reading_minutes=reading_minutes(values["body"]))
    return values


def _keep_version(article: Article, *, change: str, by: Any, now: dt.datetime) -> ArticleVersion:
    last = article.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return ArticleVersion.objects.create(
        article=article, number=last + 1, title=article.title, summary=article.summary,
        concerns=article.concerns, activities=article.activities, for_first_session=article.for_first_session,
        body=article.body, author=article.author,
        reviewer_name=article.reviewer_name, reviewer_credentials=article.reviewer_credentials,
        reviewed_on=article.reviewed_on, review_interval_months=article.review_interval_months,
        status=article.status, change=change, saved_by=by if getattr(by, "pk", None) else None, saved_at=now,
    )


def article_create(*, by: Any, slug: str, title: str, summary: str, body: str, author: str, reviewer_name: str,
                   reviewer_credentials: str, reviewed_on: dt.date | None, concerns: list[str] = (),  # type: ignore[assignment]
                   activities: list[str] = (),  # type: ignore[assignment]
                   review_interval_months: int | None = None, for_first_session: bool = False,
                   is_example: bool = False, now: dt.datetime | None = None) -> Article:
    """A new draft article, and its first version. The address (slug) is taken once."""
    now = now or timezone.now()
    values = _clean(slug=slug, title=title, summary=summary, body=body, author=author, reviewer_name=reviewer_name,
                    reviewer_credentials=reviewer_credentials, reviewed_on=reviewed_on,
                    review_interval_months=review_interval_months, concerns=list(concerns),
                    activities=list(activities), today=timezone.localdate(now))
    try:
        with transaction.atomic():
            article = Article.objects.create(**values, for_first_session=for_first_session, is_example=is_example,
                                             status=Status.DRAFT, created_at=now, updated_at=now)
            _keep_version(article, change="created", by=by, now=now)
    except IntegrityError as error:
        if Article.objects.filter(slug=values["slug"]).exists():
            raise InvalidInput.for_fields({"slug": "is already the address of another article"},
                                          labels=LABELS) from error
        raise
    return article


def article_update(*, article: Article, by: Any, title: str, summary: str, body: str, author: str,
                   reviewer_name: str, reviewer_credentials: str, reviewed_on: dt.date | None,
                   concerns: list[str] = (),  # type: ignore[assignment]
                   activities: list[str] = (),  # type: ignore[assignment]
                   review_interval_months: int | None = None, for_first_session: bool = False,
                   now: dt.datetime | None = None) -> Article:
    """New text or review details for `article` (its address stays), kept as a new version."""
    now = now or timezone.now()
    values = _clean(slug=article.slug, title=title, summary=summary, body=body, author=author,
                    reviewer_name=reviewer_name, reviewer_credentials=reviewer_credentials, reviewed_on=reviewed_on,
                    review_interval_months=review_interval_months, concerns=list(concerns),
                    activities=list(activities), today=timezone.localdate(now))
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.for_first_session = for_first_session
        locked.updated_at = now
        locked.save()
        _keep_version(locked, change="edited", by=by, now=now)
    return locked


def article_publish(*, article: Article, by: Any, now: dt.datetime | None = None) -> Article:
    return _set_status(article=article, by=by, status=Status.PUBLISHED, now=now or timezone.now())


def article_unpublish(*, article: Article, by: Any, now: dt.datetime | None = None) -> Article:
    return _set_status(article=article, by=by, status=Status.DRAFT, now=now or timezone.now())


def _set_status(*, article: Article, by: Any, status: str, now: dt.datetime) -> Article:
    with transaction.atomic():
        locked = Article.objects.select_for_update().get(pk=article.pk)
        if locked.status == status:
            raise Conflict(f"The article is already {Status(status).label.lower()}.")
        locked.status = status
        if status == Status.PUBLISHED:
            locked.published_at = now
        locked.updated_at = now
        locked.save()
        _keep_version(locked, change="published" if status == Status.PUBLISHED else "unpublished", by=by, now=now)
    return locked
