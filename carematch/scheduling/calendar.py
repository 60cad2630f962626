"""iCalendar (RFC 5545) files for appointments, with the right TZID and a stable UID."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vText

from carematch.lib.timezones import when_label, zone

from . import video
from .models import Appointment, Format, Status

PRODID = "-//carematch//appointments//EN"


def appointment_uid(appointment: Appointment) -> str:
    # Stable across reschedules and re-downloads, so calendars update the one event.
    host = (settings.ALLOWED_HOSTS or ["carematch.local"])[0].lstrip(".") or "carematch.local"
    return f"appointment-{appointment.pk}@{host}"


def appointment_event(appointment: Appointment, *, viewer_timezone: str) -> Event:
    local = zone(viewer_timezone)
    event = Event()
    event.add("uid", appointment_uid(appointment))
    event.add("dtstamp", dt.datetime.now(dt.UTC))
    event.add("dtstart", appointment.start.astimezone(local))
    event.add("dtend", appointment.end.astimezone(local))
    provider = appointment.provider
    how = Format(appointment.format).label
    # The time is said in words too, on the viewer's clock, as on every page and email: a
    # calendar showing the summary alone (a widget, a printed agenda) still says it the same way.
    when = when_label(appointment.start, viewer_timezone)
    # In the active language: the page's, or the reader's (`speaking`) for an email or a feed.
    said = {"name": provider.display_name, "when": when, "how": str(how).lower()}
    if appointment.is_consultation:
        event.add("summary", _("Free 15-minute consultation with %(name)s, %(when)s") % said)
        description = _("%(when)s: %(how)s free 15-minute consultation with %(name)s, booked through "
                        "carematch.") % said
    else:
        event.add("summary", _("Therapy session with %(name)s, %(when)s") % said)
        description = _("%(when)s: %(how)s session with %(name)s, booked through carematch.") % said
    if appointment.format == Format.TELEHEALTH:
        # The join page, never the room or a token: calendars are synced, shared and kept.
        link, has_room = video.join_page(appointment)
        if has_room:
            description += " " + _("Join from %(link)s (the room opens 10 minutes before the start).") % {
                "link": link}
            event.add("url", link)
        else:
            description += " " + _("The therapist sends the link to the video room.")
    event.add("description", description)
    if appointment.format == Format.IN_PERSON and provider.address:
        event.add("location", vText(f"{provider.address}, {provider.zip}"))
    event.add("status", "CANCELLED" if appointment.status == Status.CANCELLED else "CONFIRMED")
    # RFC 5545: SEQUENCE grows with every significant change (a reschedule, the cancellation),
    # so calendars replace their copy of the event with this one.
    event.add("sequence", appointment.sequence)
    return event


def calendar_for(appointments: list[Appointment], *, viewer_timezone: str, name: str = "carematch") -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", name)
    for appointment in appointments:
        cal.add_component(appointment_event(appointment, viewer_timezone=viewer_timezone))
    cal.add_missing_timezones()
    return bytes(cal.to_ical())


def appointment_ics(appointment: Appointment, *, viewer_timezone: str) -> bytes:
    return calendar_for([appointment], viewer_timezone=viewer_timezone)
