"""The network a forecast runs over, as plain rows: the directory (what the match engine
reads), the time already taken (booked sessions, live holds, time off) and what the last
90 days say about demand. No Django here: carematch/capacity/selectors.py reads the rows
once from the database, and everything after that is arrays and lists.

Extra hours are extra providers: `with_extra` adds, for each `Extra`, as many made-up
providers of that kind as the hours need (at most EXTRA_HOURS_EACH weekly hours each,
every day of the week from 9:00 on the state's clock), licensed in the state, treating every
concern and every age. `with_hours_multiplied` gives every provider twins with the same
weekly windows: the same network with k times the hours.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from carematch.lib import vocab
from carematch.lib.timezones import STATE_ZONE
from carematch.matching.engine.directory import Directory, LicenseRow, ProviderRow, WindowRow, build_directory
from carematch.matching.engine.scoring import Effect

EXTRA_HOURS_EACH = 40  # weekly hours of one made-up provider: a full-time clinician
EXTRA_DAY_START = 9  # local hour their weekday windows begin
EXTRA_ID_BASE = 10**15  # ids of made-up providers: above any real one
TWIN_ID_STEP = 10**13
EXTRA_LICENSE_YEARS = 5


@dataclass(frozen=True)
class ProviderKind:
    """What a provider offers that requests may need: a language besides English, the
    payers they take (none: people paying themselves only; they always see those too) and
    a format."""

    language: str = "en"
    payers: tuple[str, ...] = ()
    format: str = "telehealth"
    zip: str | None = None  # where an in-person provider sees people

    def label(self) -> str:
        """The kind in words, after "a provider who": "speaks es and en, takes aetna, online"."""
        from django.utils.translation import pgettext

        speaks = (
            pgettext("staff", "speaks %(language)s")
            if self.language == "en"
            else pgettext("staff", "speaks %(language)s and en")
        ) % {"language": self.language}
        pays = (
            pgettext("staff", "takes %(payers)s and people paying themselves") % {"payers": ", ".join(self.payers)}
            if self.payers
            else pgettext("staff", "sees people paying themselves")
        )
        where = (
            pgettext("staff", "online")
            if self.format == "telehealth"
            else pgettext("staff", "in person near %(zip)s") % {"zip": self.zip}
        )
        return ", ".join([speaks, pays, where])

    def as_dict(self) -> dict[str, str | None]:
        return {
            "language": self.language,
            "payer": "+".join(self.payers) or None,
            "format": self.format,
            "zip": self.zip,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, str | None]) -> ProviderKind:
        return cls(
            language=data.get("language") or "en",
            payers=tuple((data.get("payer") or "").split("+")) if data.get("payer") else (),
            format=data.get("format") or "telehealth",
            zip=data.get("zip"),
        )


@dataclass(frozen=True)
class Extra:
    state: str
    hours: int  # weekly
    kind: ProviderKind = ProviderKind()


@dataclass(frozen=True)
class Network:
    providers: tuple[ProviderRow, ...]
    licenses: tuple[LicenseRow, ...]
    windows: tuple[WindowRow, ...]
    effects: Mapping[int, Mapping[str, Effect]] = field(default_factory=dict)
    match_unverified: bool = False
    # Already taken, by provider id: [start, end) in whole seconds since 1970 UTC: booked
    # sessions and live holds, and time off.
    blocked: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    away: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)
    # Each provider's new clients of the last 14 days, as booking instants (seconds).
    recent_new: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    extras: tuple[Extra, ...] = ()

    def directory(self) -> Directory:
        return build_directory(
            providers=self.providers,
            licenses=self.licenses,
            windows=self.windows,
            effects=self.effects,
            match_unverified=self.match_unverified,
        )

    def states(self) -> list[str]:
        """States where a bookable provider holds a license, most providers first."""
        bookable = {row.id for row in self.providers if row.accepting_new}
        counts: dict[str, int] = {}
        for lic in self.licenses:
            if lic.provider_id in bookable and lic.status != "rejected":
                counts[lic.state] = counts.get(lic.state, 0) + 1
        return sorted(counts, key=lambda state: (-counts[state], state))

    def payers(self) -> list[str]:
        return sorted({slug for row in self.providers for slug in row.insurance})

    def median_self_pay(self) -> int:
        rates = sorted(row.self_pay_rate for row in self.providers if row.accepting_new)
        return rates[len(rates) // 2] if rates else 150


def _extra_rows(
    network: Network, extra: Extra, first_id: int, today: dt.date
) -> tuple[list[ProviderRow], list[LicenseRow], list[WindowRow]]:
    from carematch.lib import geo

    kind = extra.kind
    located = geo.zip_location(kind.zip) if kind.format == "in_person" and kind.zip else None
    formats = ["telehealth", "in_person"] if located else ["telehealth"]
    languages = ["en"] if kind.language == "en" else [kind.language, "en"]
    zone = STATE_ZONE.get(extra.state, "America/New_York")
    providers, licenses, windows = [], [], []
    remaining, number = extra.hours, 0
    while remaining > 0:
        hours = min(EXTRA_HOURS_EACH, remaining)
        remaining -= hours
        pid = first_id + number
        number += 1
        providers.append(
            ProviderRow(
                id=pid,
                npi=f"extra-{pid}",
                first_name="Extra",
                last_name=f"provider {number}",
                credentials=["LCSW"],
                gender="",
                languages=languages,
                concerns=list(vocab.CONCERNS),
                approaches=[],
                populations=list(vocab.POPULATIONS),
                formats=formats,
                insurance=list(kind.payers),
                self_pay_rate=network.median_self_pay(),
                accepting_new=True,
                timezone=zone,
                min_notice_hours=0,
                works_holidays=False,
                latitude=located[0] if located else None,
                longitude=located[1] if located else None,
            )
        )
        licenses.append(LicenseRow(pid, extra.state, today.replace(year=today.year + EXTRA_LICENSE_YEARS), "verified"))
        # Spread over the whole week (people ask on weekends too), whole hours from 9:00,
        # the first days taking the rest.
        for weekday in range(7):
            day_hours = hours // 7 + (1 if weekday < hours % 7 else 0)
            if day_hours:
                end_hour = min(23, EXTRA_DAY_START + day_hours)
                windows.append(WindowRow(pid, weekday, dt.time(EXTRA_DAY_START), dt.time(end_hour)))
    return providers, licenses, windows


def with_extra(network: Network, extras: Sequence[Extra], *, today: dt.date) -> Network:
    """The network with made-up providers for `extras` (added to any it has already)."""
    providers, licenses, windows = list(network.providers), list(network.licenses), list(network.windows)
    next_id = EXTRA_ID_BASE + sum(math.ceil(e.hours / EXTRA_HOURS_EACH) for e in network.extras)
    for extra in extras:
        if extra.hours <= 0:
            continue
        rows = _extra_rows(network, extra, next_id, today)
        next_id += len(rows[0])
        providers += rows[0]
        licenses += rows[1]
        windows += rows[2]
    return dataclasses.replace(
        network,
        providers=tuple(providers),
        licenses=tuple(licenses),
        windows=tuple(windows),
        extras=network.extras + tuple(extras),
    )


def with_hours_multiplied(network: Network, factor: int) -> Network:
    """The network with `factor` times every provider's weekly hours: each provider gets
    factor - 1 twins, with the same licenses and windows (and nothing booked yet)."""
    providers, licenses, windows = list(network.providers), list(network.licenses), list(network.windows)
    for twin in range(1, factor):
        shift = twin * TWIN_ID_STEP
        providers += [row._replace(id=row.id + shift, npi=f"{row.npi}-{twin}") for row in network.providers]
        licenses += [row._replace(provider_id=row.provider_id + shift) for row in network.licenses]
        windows += [row._replace(provider_id=row.provider_id + shift) for row in network.windows]
    return dataclasses.replace(network, providers=tuple(providers), licenses=tuple(licenses), windows=tuple(windows))
