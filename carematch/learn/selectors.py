"""Reads of the library, for its pages, the API, the feed and the pages that suggest articles."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from django.db.models import QuerySet
from django.utils import timezone

from carematch.scheduling.models import Appointment
from carematch.scheduling.models import Status as AppointmentStatus

from .models import Article, ArticleVersion, Status


def published_articles(*, concern: str | None = None) -> list[Article]:
    """Published articles, newest review first; only those about `concern` when given."""
    found = list(Article.objects.filter(status=Status.PUBLISHED).order_by("-reviewed_on", "title", "id"))
    return [a for a in found if concern in a.concerns] if concern else found


def published_article(*, slug: str) -> Article | None:
    return Article.objects.filter(slug=slug, status=Status.PUBLISHED).first()


def published_articles_by_slug(*, slugs: Sequence[str]) -> tuple[list[Article], list[str]]:
    """The published articles named by `slugs` in that order, and the slugs that name none."""
    found = {a.slug: a for a in Article.objects.filter(slug__in=list(slugs), status=Status.PUBLISHED)}
    return [found[s] for s in slugs if s in found], [s for s in slugs if s not in found]


def article_by_slug(*, slug: str) -> Article | None:
    return Article.objects.filter(slug=slug).first()


def staff_articles() -> QuerySet[Article]:
    return Article.objects.order_by("status", "title", "id")


def article_by_id(*, article_id: int) -> Article | None:
    return Article.objects.filter(pk=article_id).first()


def article_versions(*, article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("saved_by").order_by("-number")


def overdue_review_count(*, today: dt.date | None = None) -> int:
    """How many articles (published or not) are past their clinical review interval: the
    number coordinators see flagged."""
    today = today or timezone.localdate()
    return sum(1 for a in Article.objects.only("reviewed_on", "review_interval_months") if a.review_overdue(today))


def suggested_articles(*, concerns: Iterable[str] = (), activities: Iterable[str] = (), limit: int = 3
                       ) -> list[Article]:
    """Published articles for the person's concerns and plan activities, the most relevant first
    (most matches, then an article about the first session and what to expect, then the newest
    review)."""
    wanted_concerns, wanted_activities = set(concerns), set(activities)
    if not wanted_concerns and not wanted_activities:
        return []
    scored = []
    for article in published_articles():
        score = len(wanted_concerns & set(article.concerns)) + len(wanted_activities & set(article.activities))
        if score:
            scored.append((-score, article))
    scored.sort(key=lambda pair: pair[0])
    return [article for _, article in scored[:limit]]


def first_session_articles(*, limit: int = 3) -> list[Article]:
    """What helps while waiting for a first session: published articles marked for it."""
    return [a for a in published_articles() if a.for_first_session][:limit]


def first_session_upcoming(*, appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """Whether `appointment` is its client's first session and still to come."""
    now = now or timezone.now()
    if appointment.client_id is None or appointment.status != AppointmentStatus.BOOKED or appointment.start <= now:
        return False
    return not Appointment.objects.filter(
        client_id=appointment.client_id, start__lt=appointment.start,
        status__in=[AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED],
    ).exists()
