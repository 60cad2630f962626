"""Small networks and demands for the forecast's tests: plain rows, no database."""

from __future__ import annotations

import datetime as dt

from carematch.capacity.demand import Demand, RequestKind
from carematch.capacity.network import Network
from carematch.matching.engine.directory import LicenseRow, ProviderRow, WindowRow

# A Monday with no federal holiday or change of the clocks in the four weeks after it.
START = int(dt.datetime(2026, 9, 14, 6, tzinfo=dt.UTC).timestamp())
TODAY = dt.date(2026, 9, 14)


def provider(pid: int, *, state: str = "CO", languages: tuple[str, ...] = ("en",), insurance: tuple[str, ...] = (),
             weekly: tuple[tuple[int, int, int], ...] = ((0, 9, 13), (2, 9, 13))) -> tuple[
        ProviderRow, LicenseRow, list[WindowRow]]:
    """A provider licensed in `state`, treating anxiety and depression in adults, online,
    with windows (weekday, from hour, to hour) on Denver's clock."""
    row = ProviderRow(
        id=pid, npi=f"{1000000000 + pid}", first_name="Test", last_name=f"Provider {pid}", credentials=["LPC"],
        gender="female", languages=list(languages), concerns=["anxiety", "depression"], approaches=["cbt"],
        populations=["adults"], formats=["telehealth"], insurance=list(insurance), self_pay_rate=120,
        accepting_new=True, timezone="America/Denver", min_notice_hours=0, works_holidays=False,
        latitude=None, longitude=None,
    )
    windows = [WindowRow(pid, day, dt.time(start), dt.time(end)) for day, start, end in weekly]
    return row, LicenseRow(pid, state, dt.date(2030, 1, 1), "verified"), windows


def network(*providers: tuple[ProviderRow, LicenseRow, list[WindowRow]]) -> Network:
    return Network(providers=tuple(p[0] for p in providers), licenses=tuple(p[1] for p in providers),
                   windows=tuple(w for p in providers for w in p[2]))


def demand(rate: float, *kinds: tuple[RequestKind, float], follow_ups: float = 1.0) -> Demand:
    return Demand(arrivals_per_day=rate, kinds=tuple(k for k, _ in kinds), weights=tuple(w for _, w in kinds),
                  no_show=0.1, cancel=0.1, follow_ups=follow_ups)


ENGLISH = RequestKind(state="CO", age=30, concerns=("anxiety",), languages=("en",), format="telehealth",
                      self_pay_max=200)
SPANISH = RequestKind(state="CO", age=30, concerns=("anxiety",), languages=("es",), format="telehealth",
                      self_pay_max=200)
