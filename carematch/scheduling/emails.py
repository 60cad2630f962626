"""Emails about appointments: confirmation, reminder, cancellation and reschedule; and the
coordinators' emails about a person who asked to be contacted (which name nobody).

The client and the provider each get their own email, with times in their own zone
(`Client.timezone`, `Provider.timezone`). Emails carry no clinical content: only when,
how and with whom, the join link or the address, and how to cancel or move the session.
Every email ends with the crisis line.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from carematch.accounts.models import STAFF_ROLES, Role
from carematch.lib.crisis import crisis_line
from carematch.lib.language import speaking
from carematch.lib.timezones import when_label
from carematch.measures.emails import with_questionnaire_link

from . import cancellation_policy, feeds, video
from .models import Appointment, Format, Series, Status
from .reminders import reminder_promise

CRISIS_LINE = "If you are in crisis, call or text 988 (Suicide & Crisis Lifeline) or call 911."
KINDS = ("booked", "reminder", "cancelled", "rescheduled")
ATTACH_CALENDAR = frozenset({"booked", "rescheduled"})

# Subjects, in English (marked for the catalogue; translated into the recipient's language).
SUBJECTS = {
    ("booked", "client"): gettext_noop("Your session is booked"),
    ("booked", "provider"): gettext_noop("New session booked"),
    ("reminder", "client"): gettext_noop("Reminder: your session is coming up"),
    ("reminder", "provider"): gettext_noop("Reminder: a session is coming up"),
    ("cancelled", "client"): gettext_noop("Your session is cancelled"),
    ("cancelled", "provider"): gettext_noop("A session is cancelled"),
    ("rescheduled", "client"): gettext_noop("Your session has a new time"),
    ("rescheduled", "provider"): gettext_noop("A session has a new time"),
}
CONSULTATION_SUBJECTS = {
    ("booked", "client"): gettext_noop("Your free 15-minute consultation is booked"),
    ("booked", "provider"): gettext_noop("New free 15-minute consultation booked"),
    ("reminder", "client"): gettext_noop("Reminder: your free 15-minute consultation is coming up"),
    ("reminder", "provider"): gettext_noop("Reminder: a free 15-minute consultation is coming up"),
    ("cancelled", "client"): gettext_noop("Your free 15-minute consultation is cancelled"),
    ("cancelled", "provider"): gettext_noop("A free 15-minute consultation is cancelled"),
    ("rescheduled", "client"): gettext_noop("Your free 15-minute consultation has a new time"),
    ("rescheduled", "provider"): gettext_noop("A free 15-minute consultation has a new time"),
}


@dataclass(frozen=True)
class Recipient:
    role: str  # "client" or "provider"
    email: str
    name: str
    timezone: str
    language: str = "en"  # the account's: the email is written in it


join_link = video.join_page


def map_link(address: str) -> str:
    """A map of an in-person session's address (an OpenStreetMap search: no account, no tracking
    key)."""
    return "https://www.openstreetmap.org/search?" + urlencode({"query": address})


def recipients(appointment: Appointment) -> list[Recipient]:
    """The client, then the provider (at their account's address, else their directory email)."""
    people = []
    client = appointment.client
    # A closed account (inactive, its address replaced) is never written to again.
    if client is not None and client.user.email and client.user.is_active and client.closed_at is None:
        people.append(Recipient("client", client.user.email, client.first_name, client.timezone,
                                client.user.language))
    provider = appointment.provider
    provider_email = provider.user.email if provider.user is not None else provider.email
    if provider_email:
        people.append(Recipient("provider", provider_email, provider.first_name, provider.timezone,
                                provider.user.language if provider.user is not None else "en"))
    return people


def _cancelled_by(appointment: Appointment, recipient: Recipient) -> str:
    role = appointment.cancelled_by_role
    if role == recipient.role:
        return _("You")
    if role == Role.PROVIDER:
        return _("Your provider")
    if role == Role.CLIENT:
        return pgettext("staff", "The client")
    if role in STAFF_ROLES:
        return _("A carematch coordinator")
    return _("Someone at carematch")


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def render_email(*, kind: str, appointment: Appointment, recipient: Recipient) -> tuple[str, str]:
    """The subject and the plain-text body of one email, in the recipient's language."""
    if kind not in KINDS:
        raise ValueError(f"unknown appointment email {kind!r}")
    with speaking(recipient.language):
        return _render_email(kind=kind, appointment=appointment, recipient=recipient)


def _render_email(*, kind: str, appointment: Appointment, recipient: Recipient) -> tuple[str, str]:
    provider = appointment.provider
    telehealth = appointment.format == Format.TELEHEALTH
    link, has_room = join_link(appointment) if telehealth else ("", False)
    in_person = appointment.format == Format.IN_PERSON
    address = ", ".join(part for part in (provider.address, provider.zip) if part) if in_person else ""
    context = {
        "kind": kind,
        "for_provider": recipient.role == "provider",
        "name": recipient.name,
        "provider_name": provider.display_name,
        "when": when_label(appointment.start, recipient.timezone),
        "old_when": (
            when_label(appointment.rescheduled_from, recipient.timezone) if appointment.rescheduled_from else ""
        ),
        "format_label": str(Format(appointment.format).label),
        "consultation": appointment.is_consultation,
        "telehealth": telehealth,
        "join_link": link if has_room else "",
        "no_video_link": telehealth and not has_room,
        "address": address,
        "map_link": map_link(address) if address else "",
        "cancelled_by": _cancelled_by(appointment, recipient) if kind == "cancelled" else "",
        "cancelled_by_you": appointment.cancelled_by_role == recipient.role,
        "attached": kind in ATTACH_CALENDAR,
        # Only what the booking planned (scheduling/reminders.py): nothing when no reminder comes.
        "reminder_promise": (
            reminder_promise(start=appointment.start, due=appointment.reminder_due_at)
            if kind in ATTACH_CALENDAR else ""
        ),
        "account_url": settings.SITE_URL + reverse("accounts:home"),
        "calendar_url": settings.SITE_URL + reverse("scheduling:calendar_feed_page"),
        "crisis_line": crisis_line(),
        "cancellation_policy": cancellation_policy.policy_text(),
    }
    body = _tidy(render_to_string(f"scheduling/email/{kind}.txt", context))
    body = with_questionnaire_link(body, kind=kind, appointment=appointment, role=recipient.role)
    subjects = CONSULTATION_SUBJECTS if appointment.is_consultation else SUBJECTS
    return _(subjects[(kind, recipient.role)]), body


def appointment_messages(*, kind: str, appointment: Appointment) -> list[EmailMessage]:
    """One email per party; confirmations and new times carry the session as an .ics file
    in the recipient's own zone."""
    messages = []
    for recipient in recipients(appointment):
        subject, body = render_email(kind=kind, appointment=appointment, recipient=recipient)
        message = EmailMessage(subject=subject, body=body, to=[recipient.email])
        if kind in ATTACH_CALENDAR:
            with speaking(recipient.language):
                ics = feeds.calendar_file(
                    [appointment], viewer_timezone=recipient.timezone, for_provider=recipient.role == "provider"
                )
            message.attach(f"carematch-session-{appointment.pk}.ics", ics, "text/calendar")
        messages.append(message)
    return messages


def appointment_emails_send(*, kind: str, appointment: Appointment) -> int:
    """Send the emails of `kind` about `appointment`; the number sent."""
    messages = appointment_messages(kind=kind, appointment=appointment)
    if not messages:
        return 0
    with get_connection() as connection:
        return int(connection.send_messages(messages) or 0)


# --- Crisis follow-up: to coordinators (and, escalated, admins) ---------------------------------
# These emails say only that someone is waiting and where to look: no name, number, state or
# message. Email is not a safe place for them, and the queue records who looked.

CRISIS_NOTICE_ROLES = (Role.COORDINATOR,)
CRISIS_ESCALATION_ROLES = (Role.COORDINATOR, Role.ADMIN)
CRISIS_NOTICE_SUBJECT = "A person asked to be contacted"


def crisis_subject(*, escalation: bool) -> str:
    if escalation:
        return pgettext("staff", "Still waiting: a person asked to be contacted %(minutes)s minutes ago") % {
            "minutes": settings.CRISIS_ESCALATE_MINUTES}
    return pgettext("staff", CRISIS_NOTICE_SUBJECT)


def crisis_recipients(roles: tuple[str, ...]) -> list[str]:
    """The addresses of every active account with one of `roles`, once each."""
    from carematch.accounts.models import User

    addresses = User.objects.filter(role__in=roles, is_active=True).exclude(email="").order_by("pk")
    return list(dict.fromkeys(addresses.values_list("email", flat=True)))


def crisis_email_body(*, escalation: bool) -> str:
    return _tidy(render_to_string("scheduling/email/crisis_request.txt", {
        "escalation": escalation,
        "minutes": settings.CRISIS_ESCALATE_MINUTES,
        "queue_url": settings.SITE_URL + reverse("scheduling:crisis_queue"),
        "callback_hours": settings.CRISIS_CALLBACK_HOURS,
    }))


def crisis_emails_send(*, escalation: bool, roles: tuple[str, ...]) -> int | None:
    """One email to each person with one of `roles`; the number sent, or None when there is
    nobody to send to."""
    recipients = crisis_recipients(roles)
    if not recipients:
        return None
    subject, body = crisis_subject(escalation=escalation), crisis_email_body(escalation=escalation)
    messages = [EmailMessage(subject=subject, body=body, to=[address]) for address in recipients]
    with get_connection() as connection:
        return int(connection.send_messages(messages) or 0)


# --- A kind note after a missed session ------------------------------------------------------------

NO_SHOW_SUBJECT = gettext_noop("We missed you today")


def no_show_note_send(*, appointment: Appointment) -> bool:
    """One email to the client (never blaming them) with a link to book again with the same
    provider; whether it was sent. Nobody to write to (a closed account), nothing sent."""
    client = next((person for person in recipients(appointment) if person.role == "client"), None)
    if client is None:
        return False
    with speaking(client.language):
        body = _tidy(render_to_string("scheduling/email/no_show.txt", {
            "name": client.name,
            "provider_name": appointment.provider.display_name,
            "when": when_label(appointment.start, client.timezone),
            "book_url": settings.SITE_URL + reverse("matching:book_opening", args=[appointment.provider_id]),
            "no_show_fee": settings.NO_SHOW_FEE,
            "policy": cancellation_policy.policy_text(),
            "crisis_line": crisis_line(),
        }))
        subject = _(NO_SHOW_SUBJECT)
    with get_connection() as connection:
        return bool(connection.send_messages([EmailMessage(subject=subject, body=body, to=[client.email])]))


# --- A series booked: one email to each party about all its sessions --------------------------------

SERIES_SUBJECTS = {
    "client": gettext_noop("Your sessions are booked"), "provider": gettext_noop("A series of sessions is booked"),
}


def series_messages(*, series: Series) -> list[EmailMessage]:
    """One email per party: each session booked in the recipient's zone, the dates not booked
    (with the reason, for the provider), which reminders come, and every session as one .ics."""
    sessions = list(series.appointments.filter(status=Status.BOOKED).select_related("provider", "client")
                    .order_by("start"))
    if not sessions:
        return []
    messages = []
    for recipient in recipients(sessions[0]):
        with speaking(recipient.language):
            messages.append(_series_message(series, sessions, recipient))
    return messages


def _series_message(series: Series, sessions: list[Appointment], recipient: Recipient) -> EmailMessage:
    """One party's email about a series, in their language."""
    first = sessions[0]
    for_provider = recipient.role == "provider"
    skipped = [
        when_label(dt.datetime.fromisoformat(skip["start"]), recipient.timezone)
        + (f": {skip['reason']}" if for_provider else "")
        for skip in series.skipped
    ]
    body = _tidy(render_to_string("scheduling/email/series_booked.txt", {
        "for_provider": for_provider,
        "name": recipient.name,
        "provider_name": first.provider.display_name,
        "every_weeks": series.every_weeks,
        "format_label": str(Format(first.format).label),
        "sessions": [when_label(session.start, recipient.timezone) for session in sessions],
        "skipped": skipped,
        # Later sessions are further ahead than the first: they have at least its reminders.
        "reminder_promise": reminder_promise(start=first.start, due=first.reminder_due_at, each=True),
        "cancellation_policy": cancellation_policy.policy_text(),
        "account_url": settings.SITE_URL + reverse("accounts:home"),
        "crisis_line": crisis_line(),
    }))
    message = EmailMessage(subject=_(SERIES_SUBJECTS[recipient.role]), body=body, to=[recipient.email])
    message.attach(f"carematch-series-{series.pk}.ics",
                   feeds.calendar_file(sessions, viewer_timezone=recipient.timezone, for_provider=for_provider),
                   "text/calendar")
    return message


def series_emails_send(*, series: Series) -> int:
    messages = series_messages(series=series)
    if not messages:
        return 0
    with get_connection() as connection:
        return int(connection.send_messages(messages) or 0)
