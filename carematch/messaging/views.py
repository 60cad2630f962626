"""The messages pages, for every role: the list of one's conversations (/messages/), starting
one, a conversation (/messages/<id>/: read it, write in it, retract within minutes). They
work without JavaScript (a form post, then a redirect); a small script (static/js/messages.js)
adds new messages without a reload. Rules live in the services and the access policy."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from carematch.access import audit, policy
from carematch.access.models import Action
from carematch.accounts.http import AuthedHttpRequest
from carematch.accounts.models import Role, User
from carematch.lib.errors import Conflict, DomainError, Forbidden, TooManyRequests
from carematch.lib.timezones import when_label

from . import selectors, services
from .forms import MessageForm, StartForm
from .models import Conversation, Message

CRISIS_FLAG = "messaging_crisis_shown_for"


def _viewer_zone(user: User) -> str:
    if policy.has_role(user, Role.CLIENT) and getattr(user, "client", None) is not None:
        return str(user.client.timezone)
    if policy.has_role(user, Role.PROVIDER) and getattr(user, "provider", None) is not None:
        return str(user.provider.timezone)
    return "UTC"


def _inbox_page(request: AuthedHttpRequest, form: StartForm | None = None, status: int = 200) -> HttpResponse:
    conversations = list(selectors.conversations_of(user=request.user))
    start_choices = selectors.start_choices(user=request.user)
    # One event per client the page names: in the list of conversations or among those one may
    # write to (never what was written).
    named = dict.fromkeys([c.client_id for c in conversations]
                          + [choice.client_id for choice in start_choices if choice.client_id is not None])
    audit.record_many(request, action=Action.VIEW, resource_type="message_contacts",
                      items=[(client_id, client_id) for client_id in named])
    viewer_zone = _viewer_zone(request.user)
    rows = [{
        "conversation": c, "with": selectors.other_party(conversation=c, viewer=request.user),
        "unread": getattr(c, "unread", 0),
        "when": when_label(c.last_message_at, viewer_zone) if c.last_message_at else "",
    } for c in conversations]
    choices = [(choice.value, choice.label) for choice in start_choices]
    return render(request, "messaging/inbox.html", {
        "rows": rows, "form": form or StartForm(choices=choices), "can_start": bool(choices),
        "reply_hours": settings.MESSAGE_REPLY_HOURS,
    }, status=status)


@login_required
def inbox(request: AuthedHttpRequest) -> HttpResponse:
    return _inbox_page(request)


@login_required
@require_POST
def start(request: AuthedHttpRequest) -> HttpResponse:
    choices = [(choice.value, choice.label) for choice in selectors.start_choices(user=request.user)]
    form = StartForm(request.POST, choices=choices)
    if not form.is_valid():
        return _inbox_page(request, form, status=400)
    chosen = form.cleaned_data["with_whom"]
    with audit.write(request, action=Action.CREATE, resource_type="conversation") as change:
        try:
            if chosen == "care_team":
                conversation, _ = services.conversation_start(by=request.user, care_team=True)
            else:
                conversation, _ = services.conversation_start(
                    by=request.user, with_user=selectors.user_by_id(user_id=int(chosen)))
        except DomainError:
            change.reject()
            form.add_error("with_whom", gettext("You cannot write to this person here."))
            return _inbox_page(request, form, status=400)
        change.resource_id, change.client = conversation.pk, conversation.client_id
    return redirect("messaging:conversation", conversation_id=conversation.pk)


def _visible_or_404(request: AuthedHttpRequest, conversation_id: int, action: str) -> Conversation:
    conversation = selectors.conversation_by_id(conversation_id=conversation_id)
    if conversation is None or not policy.conversation_visible(request.user, conversation):
        audit.denied(request, action=action, resource_type="conversation", resource_id=conversation_id,
                     client=conversation.client_id if conversation else None)
        raise Http404("No conversation with that id.")
    return conversation


def _message_rows(messages_: list[Message], viewer: User, viewer_zone: str) -> list[dict[str, Any]]:
    now = timezone.now()
    return [{
        "message": m, "sender": selectors.sender_label(message=m, viewer=viewer), "mine": m.sender_id == viewer.pk,
        "when": when_label(m.sent_at, viewer_zone),
        "retracted_when": when_label(m.retracted_at, viewer_zone) if m.retracted_at else "",
        "retractable": m.sender_id == viewer.pk and not m.is_retracted and now - m.sent_at <= services.RETRACT_WINDOW,
    } for m in messages_]


@login_required
def conversation(request: AuthedHttpRequest, conversation_id: int) -> HttpResponse:
    """GET: the conversation (its messages sent to the viewer are then read). POST: send."""
    if request.method == "POST":
        found = _visible_or_404(request, conversation_id, Action.CREATE)
        form = MessageForm(request.POST)
        status = 400
        with audit.write(request, action=Action.CREATE, resource_type="message", client=found.client_id,
                         form=form) as change:
            if form.is_valid():
                try:
                    sent = services.message_send(conversation=found, sender=request.user,
                                                 body=form.cleaned_data["body"])
                except DomainError as exc:
                    change.reject()
                    form.add_error("body" if "body" in exc.fields else None, exc.detail)
                    status = 429 if isinstance(exc, TooManyRequests) else 400
                else:
                    change.resource_id = sent.message.pk
                    if sent.crisis:
                        request.session[CRISIS_FLAG] = found.pk
                    else:
                        messages.success(request, gettext("Your message was sent."))
                    return redirect("messaging:conversation", conversation_id=found.pk)
        return _conversation_page(request, found, form, status=status)
    found = _visible_or_404(request, conversation_id, Action.VIEW)
    audit.record(request, action=Action.VIEW, resource_type="conversation", resource_id=found.pk,
                 client=found.client_id)
    return _conversation_page(request, found, MessageForm())


def _conversation_page(request: AuthedHttpRequest, found: Conversation, form: MessageForm,
                       status: int = 200) -> HttpResponse:
    services.messages_read(conversation=found, by=request.user)
    crisis = request.session.pop(CRISIS_FLAG, None) == found.pk
    viewer_zone = _viewer_zone(request.user)
    rows = _message_rows(selectors.messages_in(conversation=found), request.user, viewer_zone)
    last_id = rows[-1]["message"].pk if rows else 0
    return render(request, "messaging/conversation.html", {
        "conversation": found, "with": selectors.other_party(conversation=found, viewer=request.user),
        "rows": rows, "form": form, "crisis": crisis, "reply_hours": settings.MESSAGE_REPLY_HOURS,
        "poll_url": reverse("api-v1:list_messages", kwargs={"conversation_id": found.pk}),
        "poll_seconds": settings.MESSAGE_POLL_SECONDS, "last_id": last_id,
        "read_url": reverse("messaging:mark_read", args=[found.pk]),
        "is_client": policy.is_client_side(request.user, found),
        "can_write": not found.is_closed, "message_words": json.dumps({
            "retracted": gettext("Message retracted."),
            "newOne": gettext("New message from {sender}: {body}"),
            "newRetracted": gettext("New message from {sender} (retracted)."),
            "newMany": gettext("{count} new messages."),
        }),
    }, status=status)


@login_required
@require_POST
def mark_read(request: AuthedHttpRequest, conversation_id: int) -> HttpResponse:
    """The page's script saw new messages arrive while the conversation was on screen: they
    are read (up to the message id `up_to`). Without the script, opening the page does this."""
    found = _visible_or_404(request, conversation_id, Action.UPDATE)
    up_to = selectors.message_in(conversation=found, message_id=request.POST.get("up_to", ""))
    with audit.write(request, action=Action.UPDATE, resource_type="conversation", resource_id=found.pk,
                     client=found.client_id):
        if up_to is None:
            raise BadRequest("up_to must name a message of this conversation")
        services.messages_read(conversation=found, by=request.user, up_to=up_to)
    return HttpResponse(status=204)


@login_required
@require_POST
def retract(request: AuthedHttpRequest, message_id: int) -> HttpResponse:
    message = selectors.message_by_id(message_id=message_id)
    if message is None or not policy.conversation_visible(request.user, message.conversation):
        audit.denied(request, action=Action.UPDATE, resource_type="message", resource_id=message_id,
                     client=message.conversation.client_id if message else None)
        raise Http404("No message with that id.")
    try:
        with audit.write(request, action=Action.UPDATE, resource_type="message", resource_id=message.pk,
                         client=message.conversation.client_id) as change:
            try:
                services.message_retract(message=message, by=request.user)
            except Conflict as exc:
                change.reject()
                messages.error(request, exc.detail)
            else:
                messages.success(request, gettext("Your message was retracted."))
    except Forbidden as exc:
        raise PermissionDenied(exc.detail) from None
    return redirect("messaging:conversation", conversation_id=message.conversation_id)
