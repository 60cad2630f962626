"""The library's public pages, feed and API; drafts are never public; every save keeps a
version the database will not let anyone rewrite; an article past its review interval is
flagged to coordinators and marked on its page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction
from django.test import override_settings
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.learn import selectors, services
from carematch.learn.demo import ARTICLES, seed_demo_articles
from carematch.learn.models import Article, ArticleVersion
from carematch.lib.errors import InvalidInput
from carematch.tests.helpers import assert_error_shape

from .factories import article

pytestmark = pytest.mark.django_db


def test_the_library_lists_published_articles_by_concern_and_never_drafts(client):
    article(slug="anxious-mornings", concerns=["anxiety"])
    article(slug="grief-at-work", concerns=["grief", "work"])
    article(slug="still-a-draft", concerns=["anxiety"], publish=False)
    everything = client.get("/learn/").content.decode()
    assert "About anxious mornings" in everything and "About grief at work" in everything
    assert "still a draft" not in everything
    anxiety = client.get("/learn/?concern=anxiety").content.decode()
    assert "About anxious mornings" in anxiety and "About grief at work" not in anxiety
    assert client.get("/learn/still-a-draft/").status_code == 404
    assert client.get("/learn/anxious-mornings/").status_code == 200


def test_the_api_lists_articles_in_the_documented_shape(client):
    article(slug="anxious-mornings", concerns=["anxiety", "sleep"], reviewer_name="Dr. Lee",
            reviewer_credentials="PsyD", reviewed_on=dt.date(2026, 5, 1))
    article(slug="grief-at-work", concerns=["grief"])
    article(slug="draft", concerns=["anxiety"], publish=False)
    with override_settings(SITE_URL="https://care.example.org"):
        body = client.get("/api/v1/articles?concern=anxiety").json()
    assert body == {"count": 1, "items": [{
        "slug": "anxious-mornings", "title": "About anxious mornings", "summary": "A short summary.",
        "concerns": ["anxiety", "sleep"], "reviewed_by": "Dr. Lee, PsyD", "reviewed_on": "2026-05-01",
        "url": "https://care.example.org/learn/anxious-mornings/",
    }]}
    assert client.get("/api/v1/articles").json()["count"] == 2


def test_an_unknown_concern_is_a_422_naming_the_parameter(client):
    body = assert_error_shape(client.get("/api/v1/articles?concern=astrology"), 422, "invalid_input")
    assert body["fields"] == {"concern": "is not a known concern"}


def test_the_atom_feed_has_published_articles_only(client):
    article(slug="anxious-mornings")
    article(slug="draft", publish=False)
    response = client.get("/learn/feed.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    text = response.content.decode()
    assert "About anxious mornings" in text and "/learn/anxious-mornings/" in text and "About draft" not in text


def test_every_save_keeps_a_version_and_versions_cannot_be_rewritten():
    editor = UserFactory(role=Role.COORDINATOR)
    made = article(slug="first-session", body="First text.", by=editor)
    services.article_update(article=made, by=editor, title="New title", summary="New summary", body="Second text.",
                            author="Editorial team", reviewer_name="Dr. Test Reviewer", reviewer_credentials="PhD",
                            reviewed_on=made.reviewed_on, concerns=["stress"])
    versions = list(made.versions.order_by("number").values_list("number", "change", "body", "title"))
    assert versions == [(1, "created", "First text.", "About first session"),
                        (2, "published", "First text.", "About first session"),
                        (3, "edited", "Second text.", "New title")]
    with pytest.raises(DatabaseError), transaction.atomic():
        ArticleVersion.objects.filter(article=made, number=1).update(body="Rewritten history.")
    assert made.versions.get(number=1).body == "First text."


def test_bad_input_names_each_field():
    with pytest.raises(InvalidInput) as caught:
        services.article_create(by=None, slug="Not A Slug", title="", summary="s", body="b", author="a",
                                reviewer_name="r", reviewer_credentials="c", reviewed_on=None,
                                concerns=["astrology"], review_interval_months=0)
    assert set(caught.value.fields) == {"slug", "title", "reviewed_on", "review_interval_months", "concerns"}
    assert not Article.objects.exists()


def test_an_address_is_taken_once():
    article(slug="first-session")
    with pytest.raises(InvalidInput) as caught:
        article(slug="first-session")
    assert caught.value.fields == {"slug": "is already the address of another article"}


@override_settings(LEARN_REVIEW_INTERVAL_MONTHS=12)
def test_an_article_past_its_review_interval_is_flagged_to_coordinators_and_on_its_page(client):
    today = timezone.localdate()
    article(slug="overdue", reviewed_on=today - dt.timedelta(days=400))
    article(slug="current", reviewed_on=today - dt.timedelta(days=30))
    article(slug="short-interval", reviewed_on=today - dt.timedelta(days=70), review_interval_months=2)
    assert selectors.overdue_review_count() == 2
    assert "due for review" in client.get("/learn/overdue/").content.decode()
    assert "due for review" not in client.get("/learn/current/").content.decode()
    client.force_login(UserFactory(role=Role.COORDINATOR))
    staff = client.get("/staff/articles/").content.decode()
    assert "2 articles are past their clinical review date" in staff
    assert staff.count("Overdue</span>") == 2
    assert "2</strong> articles past their clinical review date" in client.get("/staff/").content.decode()


def test_a_review_interval_is_counted_in_calendar_months():
    made = article(slug="leap", reviewed_on=dt.date(2026, 1, 31), review_interval_months=1)
    assert made.review_due_on == dt.date(2026, 2, 28)
    assert not made.review_overdue(dt.date(2026, 2, 28)) and made.review_overdue(dt.date(2026, 3, 1))


def test_staff_write_preview_publish_and_see_history(client):
    client.force_login(UserFactory(role=Role.COORDINATOR))
    form = {"slug": "new-one", "title": "A new one", "summary": "Summary.", "body": "## Part\n\n<script>x</script>",
            "concerns": ["anxiety"], "author": "Team", "reviewer_name": "Dr. R", "reviewer_credentials": "PhD",
            "reviewed_on": timezone.localdate().isoformat(), "review_interval_months": "12"}
    preview = client.post("/staff/articles/new/", {**form, "preview": "1"})
    assert preview.status_code == 200 and "<h2>Part</h2>" in preview.content.decode()
    assert not Article.objects.exists()
    saved = client.post("/staff/articles/new/", {**form, "save": "1"})
    made = Article.objects.get()
    assert saved.status_code == 302 and made.status == "draft"
    assert client.get("/learn/new-one/").status_code == 404
    client.post(f"/staff/articles/{made.pk}/publish/", {"publish": "1"})
    assert client.get("/learn/new-one/").status_code == 200
    client.post(f"/staff/articles/{made.pk}/", {**form, "slug": "changed", "title": "Renamed", "save": "1"})
    made.refresh_from_db()
    assert (made.slug, made.title) == ("new-one", "Renamed")
    history = client.get(f"/staff/articles/{made.pk}/versions/").content.decode()
    assert "Version 3: edited" in history and "Version 1: created" in history
    client.post(f"/staff/articles/{made.pk}/publish/", {"publish": "0"})
    assert client.get("/learn/new-one/").status_code == 404


def test_a_staff_form_error_names_the_field(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    response = client.post("/staff/articles/new/", {"slug": "x", "save": "1"})
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    assert not Article.objects.exists()


def test_suggestions_follow_concerns_and_plan_activities():
    article(slug="breathing", concerns=["anxiety"], activities=["deep_breathing"])
    article(slug="grief", concerns=["grief"])
    article(slug="first", concerns=[], for_first_session=True)
    assert [a.slug for a in selectors.suggested_articles(concerns=["anxiety"])] == ["breathing"]
    assert [a.slug for a in selectors.suggested_articles(activities=["deep_breathing"])] == ["breathing"]
    assert selectors.suggested_articles() == []
    assert [a.slug for a in selectors.first_session_articles()] == ["first"]


def test_the_demo_articles_are_seeded_once_as_reviewed_example_content():
    assert len(ARTICLES) == 10
    assert seed_demo_articles() == "Example articles: 10 written, 0 already there."
    assert seed_demo_articles() == "Example articles: 0 written, 10 already there."
    published = selectors.published_articles()
    assert len(published) == 10 and all(a.is_example and a.reviewer_name for a in published)
    activities = {kind for a in published for kind in a.activities}
    assert activities == {"exercise", "meditation", "deep_breathing", "creative_expression", "reaching_out"}
