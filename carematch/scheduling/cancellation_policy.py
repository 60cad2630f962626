"""The practice's cancellation policy, from the settings (CAREMATCH_CANCELLATION_NOTICE_HOURS,
CAREMATCH_LATE_CANCEL_FEE, CAREMATCH_NO_SHOW_FEE), and the same words for it wherever it is
shown: before booking, in the confirmation and when cancelling or moving a session."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


def notice() -> dt.timedelta:
    """How long before a session a client may cancel or move it without it counting as late."""
    return dt.timedelta(hours=settings.CANCELLATION_NOTICE_HOURS)


def notice_hours() -> int:
    return int(settings.CANCELLATION_NOTICE_HOURS)


def _hours(hours: int) -> str:
    return ngettext("%(hours)s hour", "%(hours)s hours", hours) % {"hours": hours}


def policy_sentences() -> list[str]:
    """The policy in plain sentences, fees included (or said to be none)."""
    hours = notice_hours()
    if hours == 0:
        sentences = [_("You can cancel or move a session at any time before it starts.")]
    else:
        sentences = [_("Please cancel or move a session at least %(notice)s before it starts: doing it later "
                       "counts as a late cancellation.") % {"notice": _hours(hours)}]
        late_fee = int(settings.LATE_CANCEL_FEE)
        sentences.append(_("A late cancellation carries a $%(fee)s fee.") % {"fee": late_fee} if late_fee
                         else _("There is no fee for a late cancellation."))
    no_show_fee = int(settings.NO_SHOW_FEE)
    sentences.append(_("Missing a session without cancelling carries a $%(fee)s fee.") % {"fee": no_show_fee}
                     if no_show_fee else _("There is no fee for a missed session."))
    return sentences


def policy_text() -> str:
    return " ".join(policy_sentences())
