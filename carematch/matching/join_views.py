"""The join page of an online session: its video room, for its two parties, in its window
(carematch/scheduling/video.py). Emails, calendar files and the session page link here,
never to a room or a token."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carematch.accounts.http import AuthedHttpRequest
from carematch.lib.errors import NotFound
from carematch.lib.timezones import when_label
from carematch.scheduling import video
from carematch.scheduling.access_log import joining_party
from carematch.scheduling.video import JoinState, Party

# A page that hands over no room because there is none to join says so with 409, as the API does.
_CONFLICT_STATES = frozenset({JoinState.CLOSED, JoinState.CANCELLED, JoinState.IN_PERSON})


@login_required
def appointment_join(request: AuthedHttpRequest, appointment_id: int) -> HttpResponse:
    from .views import _journey_stop

    try:
        found, party = joining_party(request, appointment_id)
    except NotFound:
        return _journey_stop(request, title=_("We could not find that session"),
                             lead=_("It may belong to another account."),
                             link=(reverse("accounts:home"), _("See your sessions")))
    zone_name = found.client.timezone if party == Party.CLIENT and found.client else found.provider.timezone
    now = timezone.now()
    config = video.jitsi_config()
    join = video.join_for(appointment=found, party=party, now=now, config=config)
    response = render(request, "matching/appointment_join.html", {
        "appointment": found, "provider": found.provider, "join": join, "for_provider": party == Party.PROVIDER,
        "when": when_label(found.start, zone_name),
        "opens_label": when_label(join.opens_at, zone_name),
        "closes_label": when_label(join.closes_at, zone_name),
        "countdown": video.countdown_words(join.opens_at - now),
        "countdown_phrases": json.dumps(video.countdown_phrases()),
        "now": now, "no_video_sentence": _(video.NO_VIDEO_SENTENCE), "jitsi_domain": config.domain if config else "",
    }, status=409 if join.state in _CONFLICT_STATES else 200)
    # The page may carry a signed room address: never kept by a cache, never sent on as a referrer.
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
