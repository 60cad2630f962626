"""`{{ moment|when:zone_name }}`: a moment in the site's one format (carematch.lib.timezones
.moment_label) on the clock of `zone_name`, UTC when the reader has no zone of their own
(coordinators and admins keep none)."""

from __future__ import annotations

import datetime as dt

from django import template

from carematch.lib.timezones import is_time_zone, when_label

register = template.Library()


@register.filter
def when(moment: dt.datetime | None, zone_name: str = "") -> str:
    if moment is None:
        return ""
    return when_label(moment, zone_name if zone_name and is_time_zone(zone_name) else "UTC")
