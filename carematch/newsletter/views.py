"""The newsletter's pages: the sign-up form (footer and library), the confirmation link,
topic preferences and unsubscribing (with a button, or in one click from a mail client)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from carematch.accounts.throttle import client_address
from carematch.lib.errors import DomainError, TooManyRequests

from . import services
from .forms import SubscribeForm, TopicsForm
from .models import CONSENT_TEXT, TOPICS, Subscriber, SubscriberStatus

ANSWER = gettext_noop("Thank you. If this address can receive email, we have sent it a link to confirm. "
                      "Nothing is sent until you use it, and the link works for 7 days.")


@require_http_methods(["GET", "POST"])
def subscribe(request: HttpRequest) -> HttpResponse:
    form = SubscribeForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_request(email=form.cleaned_data["email"], topics=form.cleaned_data["topics"],
                                          address=client_address(request))
        except TooManyRequests as error:
            form.add_error(None, error.detail)
            status = 429
        except DomainError as error:
            for name, problem in error.fields.items():
                form.add_error(
                    name if name in form.fields else None,
                    gettext("%(field)s %(problem)s.") % {"field": name.capitalize(), "problem": problem},
                )
        else:
            return redirect("newsletter:sent")
    return render(request, "newsletter/subscribe.html", {"form": form, "consent": gettext(CONSENT_TEXT)}, status=status)


@require_GET
def sent(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/sent.html", {"answer": gettext(ANSWER)})


@require_http_methods(["GET", "POST"])
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (so that a mail scanner opening the link confirms nothing); POST confirms."""
    if request.method == "POST":
        try:
            services.subscription_confirm(token=token, address=client_address(request))
        except DomainError as error:
            return render(request, "newsletter/confirm.html", {"problem": error.detail}, status=410)
        messages.success(request, gettext("You are subscribed. Every newsletter has a link to change topics or leave."))
        return redirect("newsletter:confirmed")
    found = services.confirmation_valid(token=token)
    if found is None:
        return render(
            request,
            "newsletter/confirm.html",
            {"problem": "This link has been used or has expired. Sign up again to get a new one."},
            status=410,
        )
    return render(
        request,
        "newsletter/confirm.html",
        {"topics": [TOPICS[t] for t in found.subscriber.topics if t in TOPICS], "consent": gettext(CONSENT_TEXT)},
    )


@require_GET
def confirmed(request: HttpRequest) -> HttpResponse:
    return render(request, "newsletter/confirmed.html")


def _subscriber(token: str) -> Subscriber:
    found = services.subscriber_for_token(token)
    if found is None:
        raise Http404("This link is not valid.")
    return found


@require_http_methods(["GET", "POST"])
def preferences(request: HttpRequest, token: str) -> HttpResponse:
    subscriber = _subscriber(token)
    form = TopicsForm(request.POST if request.method == "POST" else None, initial={"topics": subscriber.topics})
    if request.method == "POST" and subscriber.status == SubscriberStatus.CONFIRMED and form.is_valid():
        services.subscription_topics_set(
            subscriber=subscriber, topics=form.cleaned_data["topics"], address=client_address(request)
        )
        messages.success(request, gettext("Your topics are saved."))
        return redirect("newsletter:preferences", token=token)
    return render(request, "newsletter/preferences.html", {"subscriber": subscriber, "form": form, "token": token})


@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """The link in the email's text: a page that asks, and a button (a form with its CSRF token)."""
    subscriber = _subscriber(token)
    if request.method == "POST":
        services.subscription_end(subscriber=subscriber, address=client_address(request))
        return render(request, "newsletter/unsubscribed.html")
    return render(request, "newsletter/unsubscribe.html", {"subscriber": subscriber, "token": token})


@csrf_exempt
@require_POST
def one_click(request: HttpRequest, token: str) -> HttpResponse:
    """RFC 8058 one-click unsubscribe: the mail client POSTs `List-Unsubscribe=One-Click` here,
    with no session and no CSRF token. The token in the address is the only key; this does
    one thing only (unsubscribe that subscriber), so it is the one page exempt from CSRF."""
    subscriber = _subscriber(token)
    services.subscription_end(subscriber=subscriber, address=client_address(request))
    return HttpResponse("You are unsubscribed.\n", content_type="text/plain; charset=utf-8")
