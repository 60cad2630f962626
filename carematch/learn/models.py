"""The library: articles staff write in Markdown, each reviewed by a clinician, and every
saved version of each (append-only: the database refuses to rewrite a version)."""

from __future__ import annotations

import calendar
import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q

from carematch.lib.history import Guard


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


def default_review_interval() -> int:
    return int(settings.LEARN_REVIEW_INTERVAL_MONTHS)


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved `months` calendar months on, kept within the month (31 Jan + 1 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class Article(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300)
    # Slugs of carematch.lib.vocab.CONCERNS, and of the plan's coping activities
    # (carematch.care.models.ActivityKind): where the article is suggested.
    concerns = models.JSONField(default=list, blank=True)
    activities = models.JSONField(default=list, blank=True)
    # Suggested on the page of a client's booked first session, while they wait for it.
    for_first_session = models.BooleanField(default=False)
    body = models.TextField()
    reading_minutes = models.PositiveSmallIntegerField()
    author = models.CharField(max_length=120)
    reviewer_name = models.CharField(max_length=120)
    reviewer_credentials = models.CharField(max_length=120)
    reviewed_on = models.DateField()
    review_interval_months = models.PositiveSmallIntegerField(default=default_review_interval)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    is_example = models.BooleanField(default=False)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()

    class Meta:
        ordering = ["title", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="learn_article_status_known"),
            models.CheckConstraint(condition=Q(reading_minutes__gte=1), name="learn_article_reading_time"),
            models.CheckConstraint(condition=Q(review_interval_months__gte=1) & Q(review_interval_months__lte=60),
                                   name="learn_article_review_interval_1_to_60"),
            models.CheckConstraint(condition=~Q(slug="") & ~Q(title="") & ~Q(reviewer_name=""),
                                   name="learn_article_named_and_reviewed"),
            # A published article says when it was published.
            models.CheckConstraint(condition=Q(status=Status.DRAFT) | Q(published_at__isnull=False),
                                   name="learn_article_published_has_date"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def review_due_on(self) -> dt.date:
        return add_months(self.reviewed_on, self.review_interval_months)

    def review_overdue(self, today: dt.date) -> bool:
        return today > self.review_due_on

    @property
    def reviewed_by(self) -> str:
        return f"{self.reviewer_name}, {self.reviewer_credentials}" if self.reviewer_credentials else self.reviewer_name


class ArticleVersion(models.Model):
    """What an article said after one save: written once, never changed (ARTICLE_VERSION_GUARD)."""

    article = models.ForeignKey(Article, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300)
    concerns = models.JSONField(default=list)
    activities = models.JSONField(default=list)
    for_first_session = models.BooleanField(default=False)
    body = models.TextField()
    author = models.CharField(max_length=120)
    reviewer_name = models.CharField(max_length=120)
    reviewer_credentials = models.CharField(max_length=120)
    reviewed_on = models.DateField()
    review_interval_months = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices)
    change = models.CharField(max_length=40)  # "created", "edited", "published", "unpublished"
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    saved_at = models.DateTimeField()

    class Meta:
        ordering = ["article", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["article", "number"], name="learn_version_number_once"),
        ]

    def __str__(self) -> str:
        return f"version {self.number} of article {self.article_id}"


ARTICLE_VERSION_GUARD = Guard(
    "learn_articleversion",
    frozen=("id", "article_id", "number", "title", "summary", "concerns", "activities", "for_first_session", "body",
            "author", "reviewer_name", "reviewer_credentials", "reviewed_on", "review_interval_months", "status",
            "change", "saved_at"),
    refs=("saved_by_id",),
)
