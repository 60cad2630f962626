"""The practice's cancellation policy, from the settings (CAREMATCH_CANCELLATION_NOTICE_HOURS,
CAREMATCH_LATE_CANCEL_FEE, CAREMATCH_NO_SHOW_FEE), and the same words for it wherever it is
shown: before booking, in the confirmation and when cancelling or moving a session."""

from __future__ import annotations

import datetime as dt

from django.conf import settings


def notice() -> dt.timedelta:
    """How long before a session a client may cancel or move it without it counting as late."""
    return dt.timedelta(hours=settings.CANCELLATION_NOTICE_HOURS)


def notice_hours() -> int:
    return int(settings.CANCELLATION_NOTICE_HOURS)


def _hours(hours: int) -> str:
    return "1 hour" if hours == 1 else f"{hours} hours"


def policy_sentences() -> list[str]:
    """The policy in plain sentences, fees included (or said to be none)."""
    hours = notice_hours()
    if hours == 0:
        sentences = ["You can cancel or move a session at any time before it starts."]
    else:
        sentences = [f"Please cancel or move a session at least {_hours(hours)} before it starts: doing it later "
                     "counts as a late cancellation."]
        late_fee = int(settings.LATE_CANCEL_FEE)
        sentences.append(f"A late cancellation carries a ${late_fee} fee." if late_fee
                         else "There is no fee for a late cancellation.")
    no_show_fee = int(settings.NO_SHOW_FEE)
    sentences.append(f"Missing a session without cancelling carries a ${no_show_fee} fee." if no_show_fee
                     else "There is no fee for a missed session.")
    return sentences


def policy_text() -> str:
    return " ".join(policy_sentences())
