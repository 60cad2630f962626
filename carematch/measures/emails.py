"""Emails of the measures app: questionnaire links, their reminders, and alert notices; and
the questionnaire paragraph that appointment confirmations and reminders carry.

Emails carry no answers, scores or notes. A questionnaire email says only that a short
questionnaire is waiting and gives its private link; an alert notice says only that an
alert is waiting and where to see it, without naming the client.
"""

from __future__ import annotations

import logging
import re

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext

from carematch.accounts.models import Role, User
from carematch.lib.crisis import crisis_line
from carematch.lib.language import speaking
from carematch.lib.timezones import moment_label, zone
from carematch.scheduling.models import Appointment

from . import cadence, links
from .instruments import INSTRUMENTS
from .models import PROVIDER_ALERT_KINDS, Alert, QuestionnaireRequest

logger = logging.getLogger("carematch.measures.emails")

SUBJECTS = {
    False: gettext_noop("A short questionnaire from carematch"),
    True: gettext_noop("Reminder: your carematch questionnaire"),
}


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)) + "\n"


def _names(request: QuestionnaireRequest) -> str:
    return _(" and ").join(INSTRUMENTS[code].name for code in request.instruments)


def questionnaire_context(request: QuestionnaireRequest) -> dict[str, object]:
    client = request.client
    return {
        "name": client.first_name,
        "names": _names(request),
        "count": len(request.instruments),
        "url": links.questionnaire_url(request.salt),
        "until": moment_label(request.expires_at.astimezone(zone(client.timezone))),
        "provider_name": request.provider.display_name if request.provider else "",
        "account_url": settings.SITE_URL + reverse("measures:my_questionnaires"),
        "crisis_line": crisis_line(),
    }


def questionnaire_email_send(*, request: QuestionnaireRequest, reminder: bool) -> int:
    """Email the client their questionnaire link (or its reminder); the number sent."""
    request = QuestionnaireRequest.objects.select_related("client__user", "provider").get(pk=request.pk)
    email = request.client.user.email
    if not email:
        return 0
    with speaking(request.client.user):  # in the client's own language
        context = questionnaire_context(request) | {"reminder": reminder}
        body = _tidy(render_to_string("measures/email/questionnaire.txt", context))
        message = EmailMessage(subject=_(SUBJECTS[reminder]), body=body, to=[email])
    with get_connection() as connection:
        return int(connection.send_messages([message]) or 0)


def alert_recipients(alert: Alert) -> list[str]:
    """Coordinators always; the client's provider too for a safety alert."""
    people = User.objects.filter(role=Role.COORDINATOR, is_active=True).order_by("pk")
    emails = [user.email for user in people if user.email]
    if alert.kind in PROVIDER_ALERT_KINDS and alert.provider is not None:
        provider_email = alert.provider.user.email if alert.provider.user is not None else alert.provider.email
        if provider_email and provider_email not in emails:
            emails.insert(0, provider_email)
    return emails


def alert_notice_send(*, alert_id: int) -> int:
    """Tell the people who must look at an open alert that it is waiting; the number sent."""
    alert = Alert.objects.select_related("provider__user").filter(pk=alert_id).first()
    if alert is None or not alert.is_open:
        return 0
    recipients = alert_recipients(alert)
    if not recipients:
        logger.warning("alert %s has nobody to tell by email", alert_id)
        return 0
    staff = set(User.objects.filter(role__in=(Role.COORDINATOR, Role.ADMIN), email__in=recipients)
                .values_list("email", flat=True))

    def body_for(address: str) -> str:
        # Coordinators' alerts live under /staff/; a provider's under /provider/.
        page = "measures:staff_alerts" if address in staff else "measures:alerts"
        return _tidy(render_to_string("measures/email/alert.txt", {
            "safety": alert.kind in PROVIDER_ALERT_KINDS,
            "alerts_url": settings.SITE_URL + reverse(page),
        }))

    messages = [EmailMessage(subject=pgettext("staff", "A carematch alert needs your attention"),
                             body=body_for(address), to=[address]) for address in recipients]
    with get_connection() as connection:
        sent = int(connection.send_messages(messages) or 0)
    logger.info("sent %s notices of alert %s", sent, alert_id)
    return sent


# --- In appointment emails -------------------------------------------------------------------


def appointment_paragraph(*, kind: str, appointment: Appointment, role: str) -> str:
    """The questionnaire paragraph of a client's appointment email, or "".

    The booking confirmation carries the baseline's link; the reminder a day before carries
    the link of the questionnaire before that session, and the after-session question."""
    if role != "client" or appointment.client is None:
        return ""
    now = timezone.now()
    parts = []
    request = QuestionnaireRequest.objects.filter(appointment=appointment).first()
    if (
        request is not None and not request.is_closed and request.expires_at > now
        and cadence.link_in_email(kind=kind, reason=request.reason)
    ):
        parts.append(render_to_string("measures/email/_session_questionnaire.txt",
                                      questionnaire_context(request) | {"baseline": request.reason == "baseline"}))
    if kind == "reminder":
        parts.append(render_to_string("measures/email/_after_session.txt", {
            "rating_url": settings.SITE_URL + reverse("measures:session_rating", args=[appointment.pk]),
        }))
    return "\n".join(part.strip() for part in parts if part.strip())


def with_questionnaire_link(body: str, *, kind: str, appointment: Appointment, role: str) -> str:
    """`body` with the questionnaire paragraph placed before its closing crisis line.

    Never raises: an appointment email goes out even when the paragraph cannot be made."""
    try:
        paragraph = appointment_paragraph(kind=kind, appointment=appointment, role=role)
    except Exception:
        logger.exception("could not add the questionnaire to the %s email of appointment %s", kind, appointment.pk)
        return body
    if not paragraph:
        return body
    head, found, tail = body.rpartition(crisis_line())
    if not found:
        return body.rstrip("\n") + "\n\n" + paragraph + "\n"
    return head.rstrip("\n") + "\n\n" + paragraph + "\n\n" + found + tail
