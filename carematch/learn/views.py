"""The library's pages: the public list and articles, the Atom feed, and the staff pages
where coordinators write, review and publish articles."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.syndication.views import Feed
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carematch.access.decorators import staff_page
from carematch.lib.errors import DomainError
from carematch.lib.vocab import CONCERNS

from . import selectors, services
from .forms import ArticleForm
from .models import Article, default_review_interval
from .rendering import render_markdown


def _newsletter_form() -> Any:
    from carematch.newsletter.forms import SubscribeForm

    return SubscribeForm()


@require_GET
def library(request: HttpRequest) -> HttpResponse:
    concern = request.GET.get("concern", "")
    if concern and concern not in CONCERNS:
        concern = ""
    return render(request, "learn/list.html", {
        "articles": selectors.published_articles(concern=concern or None),
        # The vocabulary's labels, in the page's language where the catalogue has them.
        "concerns": [(value, gettext(str(label))) for value, label in CONCERNS.items()], "concern": concern,
        "concern_label": gettext(str(CONCERNS[concern])) if concern else "",
        "subscribe_form": _newsletter_form(), "today": timezone.localdate(),
    })


@require_GET
def article(request: HttpRequest, slug: str) -> HttpResponse:
    found = selectors.published_article(slug=slug)
    if found is None:
        raise Http404("No published article has this address.")
    return render(request, "learn/article.html", {
        "article": found, "html": render_markdown(found.body), "overdue": found.review_overdue(timezone.localdate()),
        "concern_labels": [gettext(str(CONCERNS[c])) for c in found.concerns if c in CONCERNS],
    })


class ArticleFeed(Feed):
    """The newest published articles as an Atom feed."""

    feed_type = Atom1Feed
    title = "carematch: reading between sessions"
    subtitle = "Articles reviewed by clinicians, for anyone looking for or in therapy."

    def link(self) -> str:
        return reverse("learn:library")

    def items(self) -> list[Article]:
        return sorted(selectors.published_articles(), key=lambda a: a.updated_at, reverse=True)[:30]

    def item_title(self, item: Article) -> str:
        return item.title

    def item_description(self, item: Article) -> str:
        return item.summary

    def item_link(self, item: Article) -> str:
        return reverse("learn:article", args=[item.slug])

    def item_author_name(self, item: Article) -> str:
        return item.author

    def item_pubdate(self, item: Article) -> Any:
        return item.published_at

    def item_updateddate(self, item: Article) -> Any:
        return item.updated_at


_article_feed = ArticleFeed()


@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    return _article_feed(request)


# --- Staff -------------------------------------------------------------------------------

def _form_errors(form: ArticleForm, error: DomainError) -> None:
    for name, problem in error.fields.items():
        label = form.fields[name].label if name in form.fields else name
        form.add_error(name if name in form.fields else None, f"{label} {problem}.")
    if not error.fields:
        form.add_error(None, error.detail)


def _values(form: ArticleForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {name: data[name] for name in ("title", "summary", "body", "author", "reviewer_name",
                                          "reviewer_credentials", "reviewed_on", "review_interval_months",
                                          "concerns", "activities", "for_first_session")}


def _staff_article(article_id: int) -> Article:
    found = selectors.article_by_id(article_id=article_id)
    if found is None:
        raise Http404("No article has this number.")
    return found


@staff_page
@require_GET
def staff_list(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    rows = [{"article": a, "overdue": a.review_overdue(today)} for a in selectors.staff_articles()]
    rows.sort(key=lambda row: not row["overdue"])
    return render(request, "learn/staff/list.html", {"rows": rows, "overdue": sum(r["overdue"] for r in rows)})


@staff_page
@require_http_methods(["GET", "POST"])
def staff_create(request: HttpRequest) -> HttpResponse:
    form = ArticleForm(request.POST or None, initial={"review_interval_months": default_review_interval(),
                                                     "author": getattr(request.user, "email", "")})
    preview = ""
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            try:
                made = services.article_create(by=request.user, slug=form.cleaned_data["slug"], **_values(form))
            except DomainError as error:
                _form_errors(form, error)
            else:
                messages.success(request, gettext("The article is saved as a draft."))
                return redirect("learn:staff_edit", article_id=made.pk)
    return render(request, "learn/staff/edit.html", {"form": form, "preview": preview, "article": None})


@staff_page
@require_http_methods(["GET", "POST"])
def staff_edit(request: HttpRequest, article_id: int) -> HttpResponse:
    found = _staff_article(article_id)
    initial = {name: getattr(found, name) for name in ("slug", "title", "summary", "body", "author", "reviewer_name",
                                                      "reviewer_credentials", "reviewed_on", "review_interval_months",
                                                      "concerns", "activities", "for_first_session")}
    data = None
    if request.method == "POST":
        data = request.POST.copy()
        data["slug"] = found.slug  # the address never changes: links to it stay good
    form = ArticleForm(data, initial=initial)
    form.fields["slug"].disabled = True
    preview = ""
    if request.method == "POST" and form.is_valid():
        if "preview" in request.POST:
            preview = render_markdown(form.cleaned_data["body"])
        else:
            try:
                services.article_update(article=found, by=request.user, **_values(form))
            except DomainError as error:
                _form_errors(form, error)
            else:
                messages.success(request, gettext("Saved. The earlier text is kept in the article's history."))
                return redirect("learn:staff_edit", article_id=found.pk)
    return render(request, "learn/staff/edit.html", {
        "form": form, "preview": preview, "article": found, "overdue": found.review_overdue(timezone.localdate()),
    })


@staff_page
@require_POST
def staff_publish(request: HttpRequest, article_id: int) -> HttpResponse:
    found = _staff_article(article_id)
    publish = request.POST.get("publish") == "1"
    try:
        if publish:
            services.article_publish(article=found, by=request.user)
        else:
            services.article_unpublish(article=found, by=request.user)
    except DomainError as error:
        messages.error(request, error.detail)
    else:
        messages.success(request, "Published: anyone can read it now." if publish
                         else "Unpublished: only staff can see it now.")
    return redirect("learn:staff_edit", article_id=found.pk)


@staff_page
@require_GET
def staff_versions(request: HttpRequest, article_id: int) -> HttpResponse:
    found = _staff_article(article_id)
    return render(request, "learn/staff/versions.html", {
        "article": found, "versions": selectors.article_versions(article=found),
    })
