"""Reads for the results and compare pages: what a person chooses a therapist by."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from carematch.directory import payers, photos
from carematch.directory.models import Provider
from carematch.lib import vocab
from carematch.scheduling.selectors import provider_openings

# A free consultation call is shown with its soonest times within this long, at most this many.
CALLS_WITHIN = dt.timedelta(days=14)
CALLS_SHOWN = 3

FIRST_LINE_CHARS = 140
_SENTENCE_END = re.compile(r"(?<=[.!?])\s|\n")


def first_line(statement: str, *, limit: int = FIRST_LINE_CHARS) -> str:
    """The first sentence of a statement, at most `limit` characters (cut at a word, with an
    ellipsis, when the sentence is longer)."""
    text = statement.strip()
    if not text:
        return ""
    sentence = _SENTENCE_END.split(text, maxsplit=1)[0].strip()
    if len(sentence) <= limit:
        return sentence
    cut = sentence[:limit - 1]
    if " " in cut:
        cut = cut[:cut.rindex(" ")]
    return cut.rstrip(" ,;:-") + "…"


@dataclass(frozen=True)
class Approach:
    label: str
    explanation: str


@dataclass(frozen=True)
class Card:
    """A provider as the results and compare pages show them."""

    id: int
    name: str
    initials: str
    credentials: tuple[str, ...]
    pronouns: str
    statement_line: str
    photo_url: str | None
    specialties: tuple[str, ...]  # labels, the provider's own order
    concerns: tuple[str, ...]
    approaches: tuple[Approach, ...]
    communities: tuple[str, ...]
    languages: tuple[str, ...]
    formats: tuple[str, ...]
    self_pay_rate: int
    sliding_scale: tuple[int, int] | None
    insurance: tuple[str, ...]  # payer labels
    # A free 15-minute consultation call: how it happens (labels; empty when none is offered)
    # and its soonest free times (UTC).
    call_formats: tuple[str, ...] = ()
    call_times: tuple[dt.datetime, ...] = ()

    @property
    def offers_call(self) -> bool:
        return bool(self.call_formats)


def _labels(slugs: Sequence[str], table: Mapping[str, str]) -> tuple[str, ...]:
    """The labels of `slugs` in the active language (a vocabulary's are in the catalogue)."""
    return tuple(vocab.label(table, slug) for slug in slugs if slug in table)


def _call_times(provider: Provider, now: dt.datetime) -> tuple[dt.datetime, ...]:
    if not provider.offers_consultations:
        return ()
    starts = provider_openings(provider=provider, start=now, end=now + CALLS_WITHIN, now=now, kind="consultation")
    return tuple(starts[:CALLS_SHOWN])


def match_cards(*, provider_ids: Sequence[int], now: dt.datetime | None = None) -> dict[int, Card]:
    """The cards of these providers, by id, read in one query (and, for each provider who
    offers a free consultation call, its soonest times from the openings engine)."""
    now = now or timezone.now()
    rows = Provider.objects.filter(pk__in=list(provider_ids)).only(
        "id", "first_name", "last_name", "credentials", "pronouns", "bio", "photo_small", "specialties", "concerns",
        "approaches", "communities", "languages", "formats", "self_pay_rate", "sliding_scale_min",
        "sliding_scale_max", "insurance", "offers_consultations", "consultation_formats", "timezone",
        "min_notice_hours", "works_holidays",
    )
    cards = {}
    for provider in rows:
        low, high = provider.sliding_scale_min, provider.sliding_scale_max
        cards[provider.pk] = Card(
            id=provider.pk,
            name=f"{provider.first_name} {provider.last_name}",
            initials=(provider.first_name[:1] + provider.last_name[:1]).upper(),
            credentials=tuple(provider.credentials),
            pronouns=provider.pronouns,
            statement_line=first_line(provider.bio),
            photo_url=photos.url(provider.photo_small),
            specialties=_labels([s for s in provider.specialties if s in provider.concerns], vocab.CONCERNS),
            concerns=_labels(provider.concerns, vocab.CONCERNS),
            approaches=tuple(Approach(vocab.label(vocab.APPROACHES, slug),
                                      vocab.label(vocab.APPROACH_EXPLANATIONS, slug)
                                      if slug in vocab.APPROACH_EXPLANATIONS else "")
                             for slug in provider.approaches if slug in vocab.APPROACHES),
            communities=_labels(provider.communities, vocab.COMMUNITIES),
            languages=tuple(vocab.language_name(code) for code in provider.languages),
            formats=_labels(provider.formats, vocab.FORMATS),
            # A matched provider is published, so states a fee (provider_published_is_complete).
            self_pay_rate=provider.self_pay_rate or 0,
            sliding_scale=(low, high) if low is not None and high is not None else None,
            insurance=_labels(provider.insurance, payers.KNOWN),
            call_formats=_labels(provider.consultation_formats, vocab.CONSULTATION_FORMATS)
            if provider.offers_consultations else (),
            call_times=_call_times(provider, now),
        )
    return cards


# --- The waitlist, for coordinators ------------------------------------------------------------

PLACED_SHOWN_DAYS = 14


def waitlist_waiting() -> list[Any]:
    """Everyone waiting, longest first, with their client (and its user for the name)."""
    from .models import WaitlistEntry

    return list(WaitlistEntry.objects.filter(status=WaitlistEntry.Status.WAITING)
                .select_related("client__user").order_by("created_at", "id"))


def waitlist_recently_placed(*, now: dt.datetime) -> list[Any]:
    """Entries placed in the last PLACED_SHOWN_DAYS days, most recent first, with their appointment."""
    from .models import WaitlistEntry

    return list(WaitlistEntry.objects.filter(
        status=WaitlistEntry.Status.PLACED, placed_at__gte=now - dt.timedelta(days=PLACED_SHOWN_DAYS),
    ).select_related("client__user", "appointment__provider").order_by("-placed_at", "-id"))


def waitlist_asked(request: Mapping[str, Any], *, payer_names: Mapping[str, str]) -> list[tuple[str, str]]:
    """What a waiting person asked for, in words, from the stored request (label, value);
    `payer_names` (directory.selectors.payer_names, read once for the whole list) names the payer."""
    formats = {"telehealth": "online", "in_person": "in person", "any": "online or in person"}
    asked = [
        ("State", vocab.STATES.get(str(request.get("state") or ""), "not given")),
        ("How", formats.get(str(request.get("format") or "any"), str(request.get("format")))),
        ("Help with", ", ".join(vocab.CONCERNS.get(str(c), str(c)) for c in _listed(request.get("concerns")))
         or "not said"),
        ("Language", ", ".join(vocab.language_name(str(code)) for code in _listed(request.get("languages")))
         or "any"),
    ]
    insurance = request.get("insurance")
    if insurance:
        asked.append(("Paying", f"with {payer_names.get(str(insurance), str(insurance))}"))
    else:
        most = request.get("self_pay_max")
        asked.append(("Paying", f"themselves, up to ${most} a session" if most else "themselves"))
    return asked


def _listed(value: object) -> list[object]:
    if value is None or value == "":
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]
