"""A demo practice in motion, all synthetic: nobody here is a real person.

The demo provider (the network's first provider, whose account is provider@demo.carematch.test)
gets a caseload: clients who asked for care weeks ago and have had weekly sessions since, with
PHQ-9 and GAD-7 scores before each session (most improving, one getting worse, with an answer
that opens a safety alert), goals, coping activities with check-ins, an upcoming session each,
a weekly series and a short exchange of messages; someone new has booked a free consultation
call. Around them, other providers of the network
have had new clients over the last 30 days, so that the 48-hour clock and the outcome estimates
have figures to show; a few people still wait (one close to 48 hours), two are on the
waitlist, and one person has asked a coordinator to contact them.

Everything goes through the services every other caller uses, so every booking rule holds:
a session in the past is booked as it would have been then (the service's `now` at the time of
booking, before the provider's notice) and its attendance recorded after it started. The same
seed gives the same practice; once seeded, it is left as it is (running the seed again
changes nothing)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from carematch.accounts.models import Client, User
from carematch.accounts.services import client_create
from carematch.directory.models import License, LicenseStatus, Provider
from carematch.lib.errors import DomainError
from carematch.lib.timezones import STATE_ZONE
from carematch.matching.engine.types import MatchRequest
from carematch.matching.services import waitlist_join
from carematch.measures.models import Instrument
from carematch.measures.services import Response, assessments_record
from carematch.messaging.services import conversation_start, message_send
from carematch.scheduling.models import Appointment, CrisisChannel, Kind
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.services import (
    appointment_attendance_mark,
    appointment_book,
    appointment_series_book,
    care_request_open,
    crisis_request_create,
)

from .models import ActivityKind, Period
from .services import activity_add, check_in_record, goal_create, goal_rating_record
from .status import Measure

EMAIL_DOMAIN = "demo.carematch.test"
MARKER_EMAIL = f"caseload-01@{EMAIL_DOMAIN}"  # the first client seeded: present means seeded

# The demo provider's caseload: PHQ-9 totals before each weekly session (the last one is the
# latest), and the GAD-7 totals beside them. Most improve; one gets worse, and their latest
# PHQ-9 answers the question about thoughts of self-harm above 0: an open safety alert.
CASELOAD = (
    # weeks in care, PHQ-9 course, GAD-7 course, alert on the latest PHQ-9
    (9, (19, 17, 15, 14, 12, 10, 9, 8, 6), (15, 14, 12, 11, 10, 9, 7, 7, 5), False),
    (7, (14, 13, 12, 10, 9, 8, 7), (12, 12, 10, 9, 8, 8, 6), False),
    (6, (11, 11, 9, 8, 8, 6), (16, 14, 13, 11, 9, 8), False),
    (5, (9, 10, 12, 14, 17), (8, 9, 11, 12, 14), True),
    (4, (16, 14, 12, 11), (10, 10, 9, 8), False),
    (1, (13,), (11,), False),
)
GOALS = (
    "Get through a work week without calling in sick.",
    "Sleep through the night most nights.",
    "Talk to my sister about hard things without shutting down.",
    "Go back to the Saturday running group.",
    "Feel less on edge in the mornings.",
    "Cook dinner at home three nights a week.",
)
ACTIVITIES = (
    (ActivityKind.DEEP_BREATHING, "", 1, Period.DAY),
    (ActivityKind.EXERCISE, "", 3, Period.WEEK),
    (ActivityKind.REACHING_OUT, "", 2, Period.WEEK),
    (ActivityKind.MEDITATION, "", 1, Period.DAY),
    (ActivityKind.OWN, "Write three lines in a notebook before bed", 1, Period.DAY),
    (ActivityKind.CREATIVE_EXPRESSION, "", 1, Period.WEEK),
)
CHECK_IN_NOTES = ("", "Easier than last time.", "Hard to start, glad I did.", "", "Felt calmer after.",
                  "Only five minutes today.")
MESSAGES = (
    ("client", "Hi, is it all right if I join Thursday's session from my car? I will be parked, not driving."),
    ("provider", "Of course, as long as you are parked somewhere you can talk freely. See you Thursday."),
    ("client", "Thank you. The breathing exercise helped before my review at work."),
)
SESSION_MINUTES = 50
NETWORK_PROVIDERS = 6  # other providers with new clients over the last 30 days
NETWORK_CLIENTS = 8  # new clients each


@dataclass(frozen=True)
class Practice:
    provider: Provider
    provider_user: User


def seed_demo_practice(*, seed: int, now: dt.datetime) -> str:
    """Seed the practice once; what happened, in a line."""
    provider = Provider.objects.select_related("user").filter(user__email__iexact=f"provider@{EMAIL_DOMAIN}").first()
    if provider is None or provider.user is None:
        return "Demo practice: skipped (it needs the demo provider: seed at least one provider)."
    if User.objects.filter(email__iexact=MARKER_EMAIL).exists():
        return "Demo practice already present; left as it is."
    rng = random.Random(seed * 15_485_863 + 5)  # noqa: S311 - synthetic demo data, reproducible on purpose
    names = _names(seed)
    practice = Practice(provider, provider.user)
    state = _home_state(provider)
    clients = [
        _client(f"caseload-{n + 1:02d}", names, state=state, rng=rng, now=now) for n in range(len(CASELOAD))
    ]
    sessions = 0
    for n, (client, (weeks, phq9, gad7, alert)) in enumerate(zip(clients, CASELOAD, strict=True)):
        sessions += _caseload_client(practice, client, n=n, weeks=weeks, phq9=phq9, gad7=gad7, alert=alert,
                                     rng=rng, now=now)
    _messages(practice, clients[0], now=now)
    series = _weekly_series(practice, clients[0], now=now)
    history = _network_history(exclude=provider, names=names, rng=rng, now=now)
    waiting = _waiting(practice, state=state, names=names, rng=rng, now=now)
    crisis_request_create(channel=CrisisChannel.PAGE, name=names.pop(), email=f"reach-me@{EMAIL_DOMAIN}",
                          state=state, message="Please call me back this evening, things are getting heavy.",
                          now=now - dt.timedelta(minutes=25))
    return (f"Demo practice: {len(clients)} clients in {provider.first_name} {provider.last_name}'s caseload with "
            f"{sessions} sessions and a weekly series of {series}; {history} new clients of other providers over "
            f"30 days; {waiting} people waiting and 1 crisis request.")


def _names(seed: int) -> list[str]:
    from carematch.directory.demo import demo_faker

    fake = demo_faker(seed + 17)
    return [f"{fake.first_name()} {fake.last_name()}" for _ in range(NETWORK_PROVIDERS * NETWORK_CLIENTS + 40)]


def _home_state(provider: Provider) -> str:
    """A state where the provider's license counts today (their home state first)."""
    states = list(License.objects.filter(provider=provider, status=LicenseStatus.VERIFIED)
                  .order_by("-expires", "id").values_list("state", flat=True))
    return states[0]


def _client(local: str, names: list[str], *, state: str, rng: random.Random, now: dt.datetime) -> Client:
    first, last = names.pop().split(" ", 1)
    today = now.date()
    born = dt.date(today.year - rng.randint(21, 64), rng.randint(1, 12), rng.randint(1, 28))
    return client_create(email=f"{local}@{EMAIL_DOMAIN}", first_name=first, last_name=last, date_of_birth=born,
                         state=state, timezone_name=STATE_ZONE[state], today=today)


def _book_first(provider: Provider, client: Client, *, after: dt.datetime, booked_at: dt.datetime,
                days: int = 7, notify: bool = False) -> Appointment | None:
    """Book the client's first free opening of the provider after `after`, as booked at `booked_at`."""
    for start in provider_openings(provider=provider, start=after, end=after + dt.timedelta(days=days),
                                   now=booked_at):
        try:
            return appointment_book(provider=provider, client=client, start=start, format=provider.formats[0],
                                    by=client.user, now=booked_at, notify=notify)
        except DomainError:
            continue
    return None


def _answers(total: int, items: int, *, safety: bool) -> list[int]:
    """Item answers (0-3) adding up to `total`; PHQ-9's last item is 1 only when `safety`."""
    scored = items - 1 if items == 9 else items
    rest = total - (1 if safety else 0)
    answers = [min(3, rest // scored + (1 if i < rest % scored else 0)) for i in range(scored)]
    if items == 9:
        answers.append(1 if safety else 0)
    return answers


def _scores(client: Client, *, phq9: int, gad7: int, at: dt.datetime, safety: bool = False) -> None:
    assessments_record(client=client, by=client.user, now=at, responses=[
        Response(Instrument.PHQ9, _answers(phq9, 9, safety=safety), 1),
        Response(Instrument.GAD7, _answers(gad7, 7, safety=False), 1),
    ])


def _caseload_client(practice: Practice, client: Client, *, n: int, weeks: int, phq9: Sequence[int],
                     gad7: Sequence[int], alert: bool, rng: random.Random, now: dt.datetime) -> int:
    """Weekly sessions since the client asked, a score before each, a goal and an activity; the
    next session booked. Returns how many sessions were booked."""
    provider, provider_user = practice.provider, practice.provider_user
    asked = now - dt.timedelta(days=7 * weeks, hours=rng.randint(30, 40))
    care_request_open(client=client, now=asked)
    past: list[Appointment] = []
    after = asked
    booked_at = asked + dt.timedelta(minutes=20)
    while len(past) < weeks:
        session = _book_first(provider, client, after=after, booked_at=booked_at)
        if session is None or session.start >= now - dt.timedelta(hours=2):
            break
        past.append(session)
        after = session.start + dt.timedelta(days=6, hours=12)
        booked_at = session.start + dt.timedelta(hours=1)
    for index, session in enumerate(past):
        _scores(client, phq9=phq9[index], gad7=gad7[index], at=session.start - dt.timedelta(hours=3),
                safety=alert and index == len(past) - 1)
        appointment_attendance_mark(appointment=session, attended=True, by=provider_user,
                                    now=session.start + dt.timedelta(minutes=SESSION_MINUTES + 5))
    upcoming = _book_first(provider, client, after=now, booked_at=now, days=10)
    if not past:
        return int(upcoming is not None)
    first_end = past[0].start + dt.timedelta(minutes=SESSION_MINUTES)
    zone = ZoneInfo(client.timezone)
    goal = goal_create(client=client, by=provider_user, text=GOALS[n], now=first_end,
                       **({"measure": Measure.QUESTIONNAIRE, "instrument": Instrument.PHQ9, "target": 10}
                          if n % 2 == 0 else {"measure": Measure.SELF_RATING, "target": 8}),
                       target_date=first_end.astimezone(zone).date() + dt.timedelta(weeks=12))
    if n % 2:
        for index, session in enumerate(past):
            goal_rating_record(goal=goal, by=provider_user, rating=min(10, 3 + index + rng.randint(0, 1)),
                               now=session.start + dt.timedelta(minutes=SESSION_MINUTES))
    kind, text, times, period = ACTIVITIES[n]
    activity = activity_add(client=client, by=provider_user, kind=kind, text=text, times=times, period=period,
                            now=first_end)
    day = first_end.astimezone(zone).date() + dt.timedelta(days=1)
    while day < now.astimezone(zone).date():
        if rng.random() < (0.7 if period == Period.DAY else 0.35):
            evening = dt.datetime.combine(day, dt.time(19, rng.randint(0, 59)), zone)
            mood = max(0, min(10, 3 + (day - past[0].start.date()).days // 9 + rng.randint(-1, 2)
                              - (3 if alert and day > now.date() - dt.timedelta(days=12) else 0)))
            check_in_record(activity=activity, by=client.user, mood=mood, note=rng.choice(CHECK_IN_NOTES),
                            now=evening)
        day += dt.timedelta(days=1)
    return len(past) + int(upcoming is not None)


def _messages(practice: Practice, client: Client, *, now: dt.datetime) -> None:
    conversation, _ = conversation_start(by=client.user, with_user=practice.provider_user,
                                         now=now - dt.timedelta(days=3))
    for hours, (who, body) in zip((70, 66, 30), MESSAGES, strict=True):
        sender = client.user if who == "client" else practice.provider_user
        message_send(conversation=conversation, sender=sender, body=body, now=now - dt.timedelta(hours=hours))


def _weekly_series(practice: Practice, client: Client, *, now: dt.datetime) -> int:
    """The client's next session becomes the first of a weekly series; how many were booked."""
    from carematch.scheduling.models import Status

    upcoming = Appointment.objects.filter(client=client, status=Status.BOOKED, start__gt=now).order_by("start").first()
    if upcoming is None:
        return 0
    result = appointment_series_book(appointment=upcoming, by=practice.provider_user, every_weeks=1, count=4, now=now)
    return len(result.booked)


def _network_history(*, exclude: Provider, names: list[str], rng: random.Random, now: dt.datetime) -> int:
    """New clients of other providers over the last 30 days: each asked, was booked at an
    opening of the provider (most within 48 hours), came, and answered the questionnaires before the session and,
    two weeks on, again. Returns how many clients."""
    providers = list(
        Provider.objects.filter(published=True, accepting_new=True, user__isnull=True)
        .exclude(pk=exclude.pk).order_by("npi")[:NETWORK_PROVIDERS]
    )
    coordinator = User.objects.get(email__iexact=f"coordinator@{EMAIL_DOMAIN}")  # records their attendance
    seeded = 0
    for p, provider in enumerate(providers):
        state = _home_state(provider)
        effect = rng.choice((2, 4, 5, 7))  # each provider's typical improvement, so the estimates differ
        for k in range(NETWORK_CLIENTS):
            client = _client(f"network-{p + 1:02d}-{k + 1:02d}", names, state=state, rng=rng, now=now)
            session = _booked_after_a_wait(provider, client, rng=rng, now=now)
            seeded += 1
            if session is None or session.start > now - dt.timedelta(hours=2):
                continue
            phq9, gad7 = rng.randint(8, 21), rng.randint(7, 17)
            _scores(client, phq9=phq9, gad7=gad7, at=session.start - dt.timedelta(hours=2))
            appointment_attendance_mark(appointment=session, attended=True, by=coordinator,
                                        now=session.start + dt.timedelta(minutes=SESSION_MINUTES + 5))
            later = min(session.start + dt.timedelta(days=14), now - dt.timedelta(hours=1))
            if later - session.start >= dt.timedelta(days=3):
                change = effect + rng.randint(-3, 3)
                _scores(client, phq9=max(0, phq9 - change), gad7=max(0, gad7 - change + rng.randint(-1, 1)),
                        at=later)
    return seeded


def _booked_after_a_wait(provider: Provider, client: Client, *, rng: random.Random,
                         now: dt.datetime) -> Appointment | None:
    """The client asks, and books an opening of the provider some hours later: most within 48
    hours of asking, some after, as in a network that mostly keeps its promise."""
    around = now - dt.timedelta(days=rng.uniform(2, 29))
    notice = provider.min_notice_hours + 1
    hours = rng.uniform(max(notice, 6), 46) if rng.random() < 0.85 else rng.uniform(max(notice, 49), 96)
    starts = provider_openings(provider=provider, start=around, end=around + dt.timedelta(days=9),
                               now=around - dt.timedelta(days=9))
    asked = (starts[0] if starts else around) - dt.timedelta(hours=hours)
    care_request_open(client=client, now=asked)
    booked_at = asked + dt.timedelta(minutes=10)
    if starts:
        try:
            return appointment_book(provider=provider, client=client, start=starts[0], format=provider.formats[0],
                                    by=client.user, now=booked_at, notify=False)
        except DomainError:
            pass
    return _book_first(provider, client, after=asked, booked_at=booked_at, days=9)


def _waiting(practice: Practice, *, state: str, names: list[str], rng: random.Random, now: dt.datetime) -> int:
    """People who asked and have no session booked yet: one close to 48 hours, two of them on
    the waitlist, and one who booked a free 15-minute consultation call with the demo provider
    first (when they offer them)."""
    provider = practice.provider
    people = 0
    for local, hours in (("waiting-01", 41), ("waiting-02", 7), ("waiting-03", 20)):
        client = _client(local, names, state=state, rng=rng, now=now)
        asked = now - dt.timedelta(hours=hours, minutes=rng.randint(0, 50))
        request = care_request_open(client=client, now=asked)
        people += 1
        if local == "waiting-02" and provider.offers_consultations:
            booked_at = asked + dt.timedelta(minutes=30)
            for start in provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=7),
                                           now=booked_at, kind=Kind.CONSULTATION):
                try:
                    appointment_book(provider=provider, client=client, start=start, by=client.user, now=booked_at,
                                     format=provider.consultation_formats[0], kind=Kind.CONSULTATION, notify=False)
                    break
                except DomainError:
                    continue
        elif local != "waiting-02":
            waitlist_join(client=client, care_request_id=request.pk, now=asked + dt.timedelta(minutes=15),
                          request=MatchRequest(state=state, age=client.age_on(now.date()),
                                               concerns=("anxiety", "sleep"), earliest=asked,
                                               client_timezone=client.timezone))
    return people
