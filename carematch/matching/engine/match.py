"""Find the providers who fit a request, best first, with their soonest openings.

1. Hard rules that do not depend on time, over the whole directory at once: a license in
   the client's state, a shared language, the age's population, a concern treated, the
   payer or the self-pay limit, and a session format the request allows (in person only
   within the distance asked for). What remains are the candidates.
2. Each candidate's best possible score before its openings are known (`_slot_bound`:
   the soonest opening its notice allows, an opening from every weekly window). In order
   of that bound, a chunk of candidates at a time, and only while a chunk can still
   reach the `limit` best:
3. their openings in the window from their weekly windows (engine/slots.py), which also
   applies notice, holidays and the license's expiry on each session's dates (a
   candidate with none is out), and a tighter bound: the parts that need openings taken
   at the most that time off and claims could leave them;
4. in order of that bound, time off, claims and recent new clients are fetched for a
   batch of them at a time (the first batch is usually all it takes), and exact scores
   are computed until no candidate left can beat the last of the `limit` best.
5. When fewer than `limit` match, each single relaxation of the request is tried and
   those that would find more providers are suggested, most first.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from carematch.lib import geo, vocab
from carematch.lib.licenses import unexpired_on
from carematch.lib.sessions import SESSION

from .directory import APPROACH_BITS, CONCERN_BITS, GENDER_CODES, POPULATION_BITS, Directory
from .reasons import split_reasons, write_facts
from .request import check_request, population_for
from .scoring import combine, done_well, fair_share, measured_concerns, outcomes_part, parts_counted
from .slots import (
    Slots,
    blocked_seconds,
    candidate_slots,
    ceil_seconds,
    instant,
    microseconds,
    without_blocked,
)
from .types import TIMES_OF_DAY, Fact, Match, MatchAnswer, MatchRequest, Opening, Suggestion
from .zones import DAY, offset_of, offset_steps

OPENINGS_SHOWN = 3
FIRST_BATCH = 24
TELEHEALTH, IN_PERSON = 1, 2
# Distances this close to the limit are measured again with carematch.lib.geo, so that
# the engine and everything else draw the line at exactly the same place.
_DISTANCE_RECHECK = 1e-6

IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class Busy:
    """What the database says about some providers for one request: spans they cannot be
    booked in (time off, booked sessions, live holds) and how many new clients booked a
    first session with them recently."""

    blocked: Mapping[int, Sequence[tuple[dt.datetime, dt.datetime]]]
    recent_new_clients: Mapping[int, int]


# (provider ids, start, end) -> Busy for spans overlapping [start, end)
BusyLookup = Callable[[Sequence[int], dt.datetime, dt.datetime], Busy]


@dataclass(frozen=True)
class _Candidates:
    positions: IntArray  # into the directory
    expires: npt.NDArray[np.int32]  # latest license expiry in the state, a day number
    formats: npt.NDArray[np.uint8]  # formats the openings may be offered in (bits)
    parts: dict[str, npt.NDArray[np.float64]]  # score parts known without openings


def _code_bits(codes: Mapping[str, int], words: int, wanted: Sequence[str]) -> npt.NDArray[np.uint64]:
    """The words of a mask with the bits of `wanted` (codes the snapshot has not seen set none)."""
    bits = np.zeros(words, dtype=np.uint64)
    for code in wanted:
        at = codes.get(code)
        if at is not None:
            bits[at // 64] |= np.uint64(1 << (at % 64))
    return bits


def _language_bits(directory: Directory, languages: Sequence[str]) -> npt.NDArray[np.uint64]:
    return _code_bits(directory.language_codes, directory.languages.shape[1], languages)


def _any_bit(words: npt.NDArray[np.uint64], at: IntArray, bits: npt.NDArray[np.uint64]) -> npt.NDArray[np.bool_]:
    """Whether the masks (rows of 64-bit words) of the providers at `at` share a bit with `bits`."""
    if words.shape[1] == 1:
        return (words[at, 0] & bits[0]) != 0
    return ((words[at] & bits) != 0).any(axis=1)


def _mask(items: Sequence[str], table: Mapping[str, int]) -> int:
    mask = 0
    for item in items:
        mask |= table[item]
    return mask


def _miles(directory: Directory, at: IntArray, lat: float, lon: float) -> npt.NDArray[np.float64]:
    """As carematch.lib.geo.miles_between, for many providers."""
    p1, p2 = np.radians(lat), directory.latitude[at]
    dp, dl = p2 - p1, np.radians(directory.longitude_degrees[at] - lon)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * geo.EARTH_RADIUS_MILES * np.arcsin(np.sqrt(np.minimum(1.0, a)))


def _candidates(directory: Directory, request: MatchRequest) -> _Candidates:
    licensed = directory.licenses.get(request.state)
    if licensed is None:
        empty = np.zeros(0, dtype=np.int64)
        return _Candidates(empty, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.uint8), {})
    # No session in the window can fall on a date before this one, on any clock.
    first_date = ceil_seconds(request.earliest) // DAY - 1
    keep = unexpired_on(licensed.expires, first_date)
    at = licensed.providers[keep].astype(np.int64)
    expires = licensed.expires[keep]

    # Each rule narrows the candidates before the next is read: on a large directory most
    # of the state's providers fall at the first rules, so the later ones read few.
    concerns = _mask(request.concerns, CONCERN_BITS)
    rules: list[Callable[[IntArray], npt.NDArray[np.bool_]]] = [
        lambda at: (directory.concerns[at] & concerns) != 0,
        lambda at: (directory.populations[at] & POPULATION_BITS[population_for(request.age)]) != 0,
        lambda at: _any_bit(directory.languages, at, _language_bits(directory, request.languages)),
    ]
    if request.insurance:
        payer = _code_bits(directory.payer_codes, directory.payers.shape[1], [request.insurance])
        rules.append(lambda at: _any_bit(directory.payers, at, payer))
    elif request.self_pay_max is not None:
        most = request.self_pay_max
        rules.append(lambda at: directory.self_pay[at] <= most)
    for rule in rules:
        ok = rule(at)
        at, expires = at[ok], expires[ok]

    offered = directory.formats[at]
    formats = np.zeros(len(at), dtype=np.uint8)
    if request.format in ("telehealth", "any"):
        formats |= offered & TELEHEALTH
    located = geo.zip_location(request.zip) if request.zip else None
    if request.format in ("in_person", "any") and located is not None:
        in_person = (offered & IN_PERSON) != 0
        in_person &= ~np.isnan(directory.latitude[at])
        miles = np.full(len(at), np.inf)
        miles[in_person] = _miles(directory, at[in_person], located[0], located[1])
        near = miles <= request.max_distance_miles
        for i in np.flatnonzero(np.abs(miles - request.max_distance_miles) <= _DISTANCE_RECHECK):
            p = at[i]
            exact = geo.miles_between(
                located[0], located[1], float(directory.latitude_degrees[p]), float(directory.longitude_degrees[p])
            )
            near[i] = exact <= request.max_distance_miles
        formats |= np.where(in_person & near, IN_PERSON, 0).astype(np.uint8)
    keep = formats != 0
    at, expires, formats = at[keep], expires[keep], formats[keep]

    parts = {"concerns": np.bitwise_count(directory.concerns[at] & concerns) / float(len(request.concerns))}
    if request.approaches:
        approaches = _mask(request.approaches, APPROACH_BITS)
        parts["approaches"] = np.bitwise_count(directory.approaches[at] & approaches) / float(len(request.approaches))
    if request.provider_gender:
        parts["gender"] = (directory.gender[at] == GENDER_CODES[request.provider_gender]).astype(np.float64)
    measured = measured_concerns(request)
    if measured:
        parts["outcomes"] = outcomes_part([directory.outcomes[concern][at] for concern in measured])
    return _Candidates(at, expires, formats, parts)


def _local_hours(begins: IntArray, request: MatchRequest) -> IntArray:
    """The hour on the client's clock at which each opening starts."""
    first_day, last_day = ceil_seconds(request.earliest) // DAY - 2, ceil_seconds(request.latest) // DAY + 2
    steps = offset_steps(request.client_timezone, first_day, last_day)
    return ((begins + offset_of(steps, begins)) % DAY) // 3600


def _preferred(begins: IntArray, request: MatchRequest) -> npt.NDArray[np.bool_]:
    """Which openings start at a time of day the client chose, on the client's clock."""
    hours = _local_hours(begins, request)
    chosen = np.zeros(len(begins), dtype=np.bool_)
    for name in request.times_of_day:
        low, high = TIMES_OF_DAY[name]
        chosen |= (hours >= low) & (hours < high)
    return chosen


def _times_counts(begins: IntArray, request: MatchRequest) -> dict[str, int]:
    """How many openings fall in each time of day the client chose, on the client's clock."""
    hours = _local_hours(begins, request)
    return {name: int(((hours >= TIMES_OF_DAY[name][0]) & (hours < TIMES_OF_DAY[name][1])).sum())
            for name in request.times_of_day}


def shown_order(preferred: Sequence[bool], shown: int = 3) -> list[int]:
    """Which of a provider's openings (soonest first) a match shows, in the order shown: those
    at a time of day the client chose first, then the others, each soonest first, `shown` in all."""
    chosen = [at for at, yes in enumerate(preferred) if yes]
    others = [at for at, yes in enumerate(preferred) if not yes]
    return (chosen + others)[:shown]


class _Calendar:
    """What the database said about providers during one request: blocked spans (whole
    seconds) and recent new clients, each provider read once up to the furthest time any
    search of the request needed."""

    def __init__(self, lookup: BusyLookup, earliest: dt.datetime):
        self.lookup, self.earliest = lookup, earliest
        self.blocked: dict[int, list[tuple[int, int]]] = {}
        self.recent: dict[int, int] = {}
        self.read_until: dict[int, dt.datetime] = {}

    def read(self, provider_ids: Sequence[int], until: dt.datetime) -> None:
        wanted = [pid for pid in provider_ids if pid not in self.read_until or self.read_until[pid] < until]
        if not wanted:
            return
        answer = self.lookup(wanted, self.earliest, until)
        for pid in wanted:
            spans = answer.blocked.get(pid, ())
            self.blocked[pid] = blocked_seconds(spans)
            self.recent[pid] = int(answer.recent_new_clients.get(pid, 0))
            self.read_until[pid] = until


class _Search:
    """One request against the directory: candidates, their openings, and the calendar."""

    def __init__(
        self, directory: Directory, request: MatchRequest, *, now: dt.datetime, calendar: _Calendar,
        read_until: dt.datetime,
    ):
        self.directory, self.request, self.now, self.calendar = directory, request, now, calendar
        # Blocked spans are read up to a session past the window: an opening that starts in
        # the window may end after it.
        self.read_until = max(read_until, request.latest + SESSION)
        self.candidates = _candidates(directory, request)
        self.ids = directory.ids[self.candidates.positions]
        # Openings are computed a part at a time, only for the candidates that need them
        # (`_best`, `part_slots`).
    def part_slots(self, start: int, stop: int) -> Slots:
        """Openings, before time off and claims, of the candidates start..stop-1 (their
        positions in these slots count from `start`)."""
        part = slice(start, stop)
        return candidate_slots(
            self.directory, self.candidates.positions[part], license_expires=self.candidates.expires[part],
            earliest=self.request.earliest, latest=self.request.latest, now=self.now,
            client_zone=self.request.client_timezone,
        )

    def known(self, j: int) -> bool:
        pid = int(self.ids[j])
        return pid in self.calendar.read_until and self.calendar.read_until[pid] >= self.read_until

    def fetch(self, js: Sequence[int]) -> None:
        """Read time off, claims and recent new clients of the candidates `js` not read yet."""
        self.calendar.read([int(self.ids[j]) for j in js], self.read_until)

    def recent_new_clients(self, j: int) -> int:
        return self.calendar.recent[int(self.ids[j])]


def _soonness(first: IntArray, request: MatchRequest) -> npt.NDArray[np.float64]:
    """1 - (first - earliest) / window, from exact microsecond counts (below 2**53, so
    exact as floats too: the division is the one Python does for timedelta / timedelta)."""
    waited = first * 1_000_000 - microseconds(request.earliest)
    return 1.0 - waited.astype(np.float64) / float(request.within_hours * 3_600_000_000)


def _match(search: _Search, j: int, openings: IntArray, score: float) -> tuple[Match, tuple[Fact, ...]]:
    """The match (its reasons still to be written) and every fact about it."""
    directory, request = search.directory, search.request
    p = int(search.candidates.positions[j])
    bits = int(search.candidates.formats[j])
    formats = tuple(name for name, bit in (("telehealth", TELEHEALTH), ("in_person", IN_PERSON)) if bits & bit)
    preferred = _preferred(openings, request).tolist() if request.times_of_day else [False] * len(openings)
    shown = tuple(
        Opening(start=instant(int(openings[at])), end=instant(int(openings[at])) + SESSION, formats=formats)
        for at in shown_order(preferred, OPENINGS_SHOWN)
    )
    miles = None
    if "in_person" in formats and request.zip:
        located = geo.zip_location(request.zip)
        if located is not None:
            miles = geo.miles_between(
                located[0], located[1], float(directory.latitude_degrees[p]), float(directory.longitude_degrees[p])
            )
    has_concerns, has_approaches = int(directory.concerns[p]), int(directory.approaches[p])
    has_specialties = int(directory.specialties[p])
    language_bits = directory.languages[p]
    speaks = []
    for code in request.languages:
        at = directory.language_codes.get(code)
        if at is not None and int(language_bits[at // 64]) >> (at % 64) & 1:
            speaks.append(code)
    gender_code = int(directory.gender[p])
    measured = measured_concerns(request)
    facts = write_facts(
        request=request,
        treated=[c for c in request.concerns if has_concerns & CONCERN_BITS[c]],
        specialises=[c for c in request.concerns if has_specialties & CONCERN_BITS[c]],
        done_well=done_well(measured, [float(directory.outcomes[concern][p]) for concern in measured]),
        offered=[a for a in request.approaches if has_approaches & APPROACH_BITS[a]],
        self_pay_rate=int(directory.self_pay[p]),
        speaks=speaks,
        gender=list(vocab.GENDERS)[gender_code] if gender_code >= 0 else "",
        formats=formats,
        miles=miles,
        times=_times_counts(openings, request),
        first_start=instant(int(openings[0])),
    )
    return Match(
        provider_id=int(directory.ids[p]),
        npi=directory.npis[p],
        name=directory.names[p],
        credentials=directory.credentials[p],
        score=score,
        reasons=(),
        openings=shown,
        self_pay_rate=int(directory.self_pay[p]),
    ), facts


def explained(found: Sequence[tuple[Match, Sequence[Fact]]]) -> tuple[tuple[Match, ...], tuple[Fact, ...]]:
    """The matches with their reasons (what sets each apart) and what they all share."""
    split = split_reasons([facts for _, facts in found])
    matches = tuple(dataclasses.replace(match, reasons=tuple(fact.text for fact in card))
                    for (match, _), card in zip(found, split.cards, strict=True))
    return matches, split.shared


def _slot_bound(search: _Search, at: IntArray) -> npt.NDArray[np.float64]:
    """Each candidate at `at`'s best possible score before its openings are computed: the
    parts known without openings as they are, soonness as if the first opening came as
    soon as its notice allows, fair share as if every weekly window gave an opening every
    week and no new client had booked, and times of day at 1. Each part is at least the
    one the exact score has and `combine` adds them in a fixed order with positive weights
    (each rounding step is monotone), so no candidate's score exceeds this bound, to the bit."""
    directory, request, candidates = search.directory, search.request, search.candidates
    positions = candidates.positions[at]
    parts = {name: values[at] for name, values in candidates.parts.items()}
    earliest_s, now_s = ceil_seconds(request.earliest), ceil_seconds(search.now)
    parts["soonness"] = _soonness(np.maximum(earliest_s, now_s + directory.notice_seconds[positions]), request)
    first_day, last_day = earliest_s // DAY - 1, ceil_seconds(request.latest) // DAY + 1
    weeks = (last_day - first_day) // 7 + 1  # as candidate_slots: each template at most once a week
    most = (directory.slot_ptr[positions + 1] - directory.slot_ptr[positions]) * weeks
    parts["fair_share"] = most / (most + 1.0)
    parts["times_of_day"] = np.ones(len(at))
    return np.asarray(combine(parts, parts_counted(request)), dtype=np.float64)


FIRST_CHUNK = 256


def _exact_scores(
    search: _Search, chunk: IntArray, chunk_j: list[int], slots: Slots, chosen: npt.NDArray[np.float64],
    ks: list[int], scored: dict[int, float | None], counted: tuple[str, ...],
) -> None:
    """Exact scores (into `scored`) of the chunk's candidates at `ks`, their calendars read:
    those with nothing blocked all at once, from their openings in `slots` (the same numbers,
    to the bit: `combine` and the parts' divisions are the same on arrays), the others one
    at a time. None for one left without an opening."""
    blocked, request, candidates, counts = search.calendar.blocked, search.request, search.candidates, slots.counts
    free = [k for k in ks if not blocked[int(search.ids[chunk_j[k]])]]
    if free:
        at = np.array(free, dtype=np.int64)
        n = counts[at]
        recent = np.array([search.recent_new_clients(chunk_j[k]) for k in free], dtype=np.int64)
        parts: dict[str, Any] = {name: values[chunk[at]] for name, values in candidates.parts.items()}
        parts["soonness"] = _soonness(slots.begins[slots.ptr[at]], request)
        parts["fair_share"] = n / (n + recent + 1)
        if request.times_of_day:
            parts["times_of_day"] = chosen[at] / n
        scored.update(zip(free, np.asarray(combine(parts, counted), dtype=np.float64).tolist(), strict=True))
    for k in ks:
        if k in scored:
            continue
        j = chunk_j[k]
        openings = without_blocked(slots.of(k), blocked[int(search.ids[j])])
        if not len(openings):
            scored[k] = None
            continue
        one: dict[str, float] = {name: float(values[j]) for name, values in candidates.parts.items()}
        one["soonness"] = float(_soonness(openings[:1], request)[0])
        one["fair_share"] = fair_share(len(openings), search.recent_new_clients(j))
        if request.times_of_day:
            one["times_of_day"] = int(_preferred(openings, request).sum()) / len(openings)
        scored[k] = combine(one, counted)


def _best(search: _Search, *, prune: bool = True) -> list[tuple[Match, tuple[Fact, ...]]]:
    """The `limit` best candidates by exact score (ties by provider id), with their openings.

    Candidates are taken in order of a bound known without their openings (`_slot_bound`),
    a chunk at a time, and only the chunks that can still reach the best `limit` have their
    openings computed (on a large directory, most candidates never do). Within a chunk the
    tighter bound that openings give orders them, and time off, claims and recent new
    clients are read a batch at a time. `prune=False` computes every candidate's openings
    in one chunk (the same answer: a property test holds the two together)."""
    request, candidates = search.request, search.candidates
    counted = parts_counted(request)
    total = len(search.ids)
    if not total:
        return []
    if prune:
        coarse = _slot_bound(search, np.arange(total))
        chunks_order = np.lexsort((search.ids, -coarse))
        coarse_bounds = coarse.tolist()
    else:
        chunks_order = np.arange(total)
        coarse_bounds = []

    top: list[tuple[float, int, int, IntArray]] = []  # (-score, id, j, openings), best first
    batch = _first_batch(request.limit)

    def beaten(bound: float, pid: int) -> bool:
        """Whether a candidate with this bound (and id) can no longer enter the best `limit`."""
        if len(top) < request.limit:
            return False
        last_score, last_id = -top[request.limit - 1][0], top[request.limit - 1][1]
        return bound < last_score or (bound == last_score and pid > last_id)

    start, size = 0, FIRST_CHUNK if prune else total
    while start < total:
        chunk = chunks_order[start:start + size]
        start, size = start + size, size * 2
        first_j = int(chunk[0])
        if prune and beaten(coarse_bounds[first_j], int(search.ids[first_j])):
            break  # the chunks left are ordered by the same bound: none can enter
        slots = candidate_slots(
            search.directory, candidates.positions[chunk], license_expires=candidates.expires[chunk],
            earliest=request.earliest, latest=request.latest, now=search.now, client_zone=request.client_timezone,
        )
        counts = slots.counts
        has_slots = np.flatnonzero(counts > 0)
        if not len(has_slots):
            continue
        first = slots.begins[slots.ptr[has_slots]]
        bound_parts = {name: values[chunk[has_slots]] for name, values in candidates.parts.items()}
        bound_parts["soonness"] = _soonness(first, request)
        n = counts[has_slots]
        bound_parts["fair_share"] = n / (n + 1.0)
        chosen: npt.NDArray[np.float64] = np.zeros(len(counts))
        if request.times_of_day:
            owner = np.repeat(np.arange(len(counts)), counts)
            chosen = np.asarray(np.bincount(owner, weights=_preferred(slots.begins, request), minlength=len(counts)),
                                dtype=np.float64)
            bound_parts["times_of_day"] = (chosen[has_slots] > 0).astype(np.float64)
        bound = combine(bound_parts, counted)
        ids = search.ids[chunk[has_slots]]
        local = has_slots[np.lexsort((ids, -bound))]  # positions in the chunk, best bound first
        bound_of = np.full(len(counts), -1.0)
        bound_of[has_slots] = bound
        bounds = bound_of.tolist()
        chunk_j = chunk.tolist()
        local_order = local.tolist()
        scored: dict[int, float | None] = {}  # chunk position -> exact score (None: no opening left)

        for rank, k in enumerate(local_order):
            j = chunk_j[k]
            pid = int(search.ids[j])
            if beaten(bounds[k], pid):
                break
            if k not in scored:
                window = local_order[rank:rank + batch]
                if not search.known(j):
                    search.fetch([chunk_j[m] for m in window])
                    batch *= 2
                _exact_scores(search, chunk, chunk_j, slots, chosen,
                              [m for m in window if m not in scored and search.known(chunk_j[m])], scored, counted)
            exact = scored[k]
            if exact is None or beaten(exact, pid):
                continue
            openings = without_blocked(slots.of(k), search.calendar.blocked[pid])
            bisect.insort(top, (-exact, pid, j, openings))
            del top[request.limit:]
    return [_match(search, j, openings, -negative) for negative, _, j, openings in top]


class _Counting:
    """A suggestion's search: counts candidates with an opening after time off and claims, in
    the candidates' order, computing their openings a part at a time, only as far as the count
    needs (a large directory has tens of thousands of candidates; a suggestion counts a few)."""

    FIRST_PART = 512

    def __init__(self, search: _Search, exclude: set[int]):
        self.search, self.exclude = search, exclude
        self.done = 0  # candidates whose openings are computed
        self.part = self.FIRST_PART
        self.pending: list[tuple[int, IntArray]] = []  # (candidate, openings before blocking), in order

    def _next_part(self) -> bool:
        total = len(self.search.ids)
        if self.done >= total:
            return False
        start, stop = self.done, min(total, self.done + self.part)
        slots = self.search.part_slots(start, stop)
        for k in np.flatnonzero(slots.counts > 0).tolist():
            if int(self.search.ids[start + k]) not in self.exclude:
                self.pending.append((start + k, slots.of(k)))
        self.done, self.part = stop, self.part * 2
        return True

    def first(self, count: int) -> list[int]:
        """The first `count` candidates (with openings before blocking) still to count."""
        while len(self.pending) < count and self._next_part():
            pass
        return [j for j, _ in self.pending[:count]]

    def more(self, most: int) -> int:
        """How many candidates have an opening, counting up to `most` (as `_more` of old: in
        order, their time off and claims read a batch at a time)."""
        found, batch = 0, _first_batch(most)
        while found < most:
            js = self.first(batch)
            if not js:
                break
            chunk = self.pending[:batch]
            self.search.fetch([j for j, _ in chunk])
            for j, begins in chunk:
                if len(without_blocked(begins, self.search.calendar.blocked[int(self.search.ids[j])])):
                    found += 1
                    if found == most:
                        break
            del self.pending[:batch]
            batch *= 2
        return found


def _first_batch(limit: int) -> int:
    return max(FIRST_BATCH, 4 * limit)


def relaxations(request: MatchRequest) -> list[dict[str, object]]:
    """Single changes to a request that can only find more providers of some kind, in the
    order they are suggested when they find equally many."""
    changes: list[dict[str, object]] = []
    for hours in (72, 168):
        if request.within_hours < hours:
            changes.append({"within_hours": hours})
    if request.format == "in_person":
        changes.append({"format": "telehealth"})
    if request.format != "telehealth" and request.zip:
        wider = next((miles for miles in (50, 100) if request.max_distance_miles < miles), None)
        if wider is not None:
            changes.append({"max_distance_miles": wider})
    if "en" not in request.languages:
        changes.append({"languages": [*request.languages, "en"]})
    if request.insurance is not None:
        changes.append({"insurance": None})
    return changes


def relaxed(request: MatchRequest, change: Mapping[str, object]) -> MatchRequest:
    # Each change holds values of the request's own fields (relaxations()), lists as tuples.
    values: dict[str, Any] = {name: tuple(value) if isinstance(value, list) else value
                              for name, value in change.items()}
    return dataclasses.replace(request, **values)


def find_matches(
    directory: Directory, request: MatchRequest, *, now: dt.datetime, busy: BusyLookup, prune: bool = True,
) -> MatchAnswer:
    """The best `request.limit` matches, and suggestions when there are fewer (`prune`: see `_best`)."""
    check_request(request, now=now)
    calendar = _Calendar(busy, request.earliest)
    matches, shared = explained(
        _best(_Search(directory, request, now=now, calendar=calendar, read_until=request.latest), prune=prune))
    suggestions: list[Suggestion] = []
    if len(matches) < request.limit:
        found = {match.provider_id for match in matches}
        room = request.limit - len(matches)
        tries = [(change, relaxed(request, change)) for change in relaxations(request)]
        # Relaxations only widen the window: reading each provider once, as far as the
        # widest needs, serves them all.
        furthest = max((wider.latest for _, wider in tries), default=request.latest) + SESSION
        searches = [(change, _Counting(_Search(directory, wider, now=now, calendar=calendar, read_until=furthest),
                                       found))
                    for change, wider in tries]
        # The first batch of every relaxation in one read: usually the only one.
        calendar.read(sorted({int(counting.search.ids[j]) for _, counting in searches
                              for j in counting.first(_first_batch(room))}), furthest)
        for change, counting in searches:
            more = counting.more(room)
            if more:
                suggestions.append(Suggestion(change=change, more_matches=more))
        suggestions.sort(key=lambda suggestion: -suggestion.more_matches)
    return MatchAnswer(matches=matches, suggestions=tuple(suggestions), shared=shared)
