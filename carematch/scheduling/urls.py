from django.urls import path, re_path

from . import views
from .feeds import FEED_TOKEN_PATTERN

app_name = "scheduling"

urlpatterns = [
    # Private calendar feeds
    path("calendar/", views.calendar_feed_page, name="calendar_feed_page"),
    path("calendar/new/", views.calendar_feed_new, name="calendar_feed_new"),
    path("calendar/turn-off/", views.calendar_feed_turn_off, name="calendar_feed_turn_off"),
    re_path(rf"^calendar/feed/(?P<token>{FEED_TOKEN_PATTERN})\.ics$", views.calendar_feed, name="calendar_feed"),
    # The 48-hour clock
    path("staff/clock/", views.clock_page, name="clock"),
    # Crisis follow-up
    path("staff/crisis/", views.crisis_queue, name="crisis_queue"),
    path("staff/crisis/<record_id:crisis_request_id>/outcome/", views.crisis_outcome, name="crisis_outcome"),
]
