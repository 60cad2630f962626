"""`{% session_video appointment user as video %}`: what the session page says about an online
session's video room (carematch/scheduling/video.py), for the person looking at it."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext

from carematch.scheduling import video
from carematch.scheduling.models import Appointment

register = template.Library()


@register.simple_tag
def session_video(appointment: Appointment, user: Any) -> dict[str, Any]:
    config = video.jitsi_config()
    party = ""
    if appointment.client is not None and appointment.client.user_id == getattr(user, "pk", None):
        party = video.Party.CLIENT
    elif appointment.provider.user_id is not None and appointment.provider.user_id == getattr(user, "pk", None):
        party = video.Party.PROVIDER
    via = video.video_via(appointment, config)
    _, closes_at = video.join_window(start=appointment.start, end=appointment.end)
    return {
        "party": str(party), "via": str(via), "ended": timezone.now() >= closes_at,
        "example": via == video.Via.JITSI and config is not None and config.is_example,
        "domain": config.domain if config else "", "no_video_sentence": gettext(video.NO_VIDEO_SENTENCE),
    }


@register.simple_tag
def video_service() -> dict[str, Any]:
    """Whether online sessions have a video service, for the staff home's notice."""
    config = video.jitsi_config()
    return {"configured": config is not None, "example": bool(config and config.is_example),
            "domain": config.domain if config else "", "missing": video.jitsi_missing_settings()}
