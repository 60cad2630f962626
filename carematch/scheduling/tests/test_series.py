"""A standing series after a session: the same time on the provider's clock every one or two
weeks, across daylight-saving changes; every date booked with the rules of any booking, and
the dates that cannot be booked reported with the reason (never dropped); cancelling the rest
raises each event's SEQUENCE; the page and the API say what was booked and what was skipped."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import Client as Browser
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.directory.models import TimeOff
from carematch.directory.tests.factories import LicenseFactory
from carematch.lib.errors import Conflict, Forbidden, InvalidInput
from carematch.lib.timezones import zone
from carematch.scheduling import services
from carematch.scheduling.calendar import appointment_ics, appointment_uid
from carematch.scheduling.models import Appointment, Series, Status
from carematch.scheduling.series import CLOCKS_CHANGE, series_dates

from .factories import ClientFactory, weekday_provider

DENVER = zone("America/Denver")
NOW = dt.datetime(2027, 1, 25, 17, tzinfo=dt.UTC)
MONDAY_FEB_1_NINE = dt.datetime(2027, 2, 1, 9, tzinfo=DENVER)  # Presidents' Day is Monday 15 February 2027
MONDAY_MAR_1_NINE = dt.datetime(2027, 3, 1, 9, tzinfo=DENVER)  # summer time begins Sunday 14 March 2027
MONDAY_OCT_25_NINE = dt.datetime(2027, 10, 25, 9, tzinfo=DENVER)  # and ends Sunday 7 November 2027


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(DENVER).strftime("%a %Y-%m-%d %H:%M %Z")


# --- The dates: a pure rule -------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    first_day=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2027, 12, 31)),
    at=st.sampled_from([dt.time(0, 30), dt.time(9), dt.time(11, 45), dt.time(17, 15), dt.time(23, 30)]),
    every_weeks=st.sampled_from([1, 2]),
    count=st.integers(min_value=1, max_value=26),
)
def test_every_date_of_a_series_keeps_the_weekday_and_the_wall_time_across_the_clock_changes(
    first_day, at, every_weeks, count
):
    first = dt.datetime.combine(first_day, at, tzinfo=DENVER).astimezone(dt.UTC)
    dates = series_dates(first=first, tz_name="America/Denver", every_weeks=every_weeks, count=count, until=None,
                         after=first, most=26)
    assert len(dates) == count
    for number, date in enumerate(dates, start=1):
        local = date.start.astimezone(DENVER)
        assert local.date() == first_day + dt.timedelta(weeks=every_weeks * number)
        assert (local.hour, local.minute) == (at.hour, at.minute)
        assert date.problem == ""  # none of these times is skipped by a clock change in Denver


def test_a_time_the_clocks_skip_is_reported_not_moved():
    # 02:30 on Sunday 14 March 2027 does not exist in Denver.
    first = dt.datetime(2027, 3, 7, 2, 30, tzinfo=DENVER)
    dates = series_dates(first=first, tz_name="America/Denver", every_weeks=1, count=2, until=None, after=first,
                         most=26)
    assert [d.problem for d in dates] == [CLOCKS_CHANGE, ""]


def test_until_ends_the_series_on_that_date_and_the_most_caps_it():
    first = MONDAY_MAR_1_NINE.astimezone(dt.UTC)
    dates = series_dates(first=first, tz_name="America/Denver", every_weeks=2, count=None,
                         until=dt.date(2027, 4, 12), after=first, most=26)
    assert [d.start.astimezone(DENVER).date() for d in dates] == [
        dt.date(2027, 3, 15), dt.date(2027, 3, 29), dt.date(2027, 4, 12)]
    assert len(series_dates(first=first, tz_name="America/Denver", every_weeks=1, count=None,
                            until=dt.date(2029, 1, 1), after=first, most=26)) == 26


# --- Booking a series ---------------------------------------------------------------------------


@pytest.fixture
def world(db):
    provider = weekday_provider(timezone="America/Denver", user=UserFactory(role=Role.PROVIDER))
    client = ClientFactory(state="CO", timezone="America/New_York")
    return provider, client


def _book(provider, client, start, now=NOW) -> Appointment:
    return services.appointment_book(provider=provider, client=client, start=start, format="telehealth",
                                     by=client.user, now=now)


@pytest.mark.django_db
@pytest.mark.parametrize("first", [MONDAY_MAR_1_NINE, MONDAY_OCT_25_NINE], ids=["march", "november"])
def test_a_weekly_series_across_the_clock_change_is_booked_at_nine_on_the_providers_clock(world, first):
    provider, client = world
    now = first.astimezone(dt.UTC) - dt.timedelta(days=7)
    origin = _book(provider, client, first, now=now)
    result = services.appointment_series_book(appointment=origin, by=provider.user, every_weeks=1, count=4, now=now)
    assert result.skipped == []
    assert [_local(a.start) for a in result.booked] == [
        _local(first + dt.timedelta(weeks=n)) for n in range(1, 5)]
    assert {a.start.astimezone(DENVER).strftime("%H:%M") for a in result.booked} == {"09:00"}
    offsets = {a.start.astimezone(DENVER).utcoffset() for a in result.booked}
    assert offsets == {dt.timedelta(hours=-7), dt.timedelta(hours=-6)}  # both sides of the change
    assert all(a.series_id == result.series.pk and a.status == Status.BOOKED for a in result.booked)
    assert all(a.client_id == client.pk and a.format == origin.format for a in result.booked)


@pytest.mark.django_db
def test_dates_that_cannot_be_booked_are_skipped_with_the_reason(world):
    provider, client = world
    origin = _book(provider, client, MONDAY_FEB_1_NINE)
    # Someone else has Monday 22 February at nine.
    other = ClientFactory(state="CO")
    _book(provider, other, MONDAY_FEB_1_NINE + dt.timedelta(weeks=3))
    # The client has their own session elsewhere on 1 March at nine.
    elsewhere = weekday_provider(timezone="America/Denver")
    _book(elsewhere, client, MONDAY_MAR_1_NINE)
    # The provider is away on 8 March.
    TimeOff.objects.create(provider=provider, start=dt.datetime(2027, 3, 8, tzinfo=DENVER),
                           end=dt.datetime(2027, 3, 9, tzinfo=DENVER))
    # Their Colorado license ends on 20 March.
    provider.licenses.filter(state="CO").delete()
    LicenseFactory.create(provider=provider, state="CO", expires=dt.date(2027, 3, 20))

    result = services.appointment_series_book(appointment=origin, by=provider.user, every_weeks=1, count=8, now=NOW)

    assert [_local(a.start) for a in result.booked] == ["Mon 2027-02-08 09:00 MST", "Mon 2027-03-15 09:00 MDT"]
    skipped = {_local(s.start): s.reason for s in result.skipped}
    assert skipped == {
        "Mon 2027-02-15 09:00 MST": "A federal holiday, which the provider does not work.",
        "Mon 2027-02-22 09:00 MST": "Another booking or hold already has that hour.",
        "Mon 2027-03-01 09:00 MST": "The client already has a session at that time.",
        "Mon 2027-03-08 09:00 MST": "The provider is away then (time off).",
        "Mon 2027-03-22 09:00 MDT": skipped["Mon 2027-03-22 09:00 MDT"],
        "Mon 2027-03-29 09:00 MDT": skipped["Mon 2027-03-29 09:00 MDT"],
    }
    assert "no current license in CO for March 22, 2027" in skipped["Mon 2027-03-22 09:00 MDT"]
    assert "no current license in CO for March 29, 2027" in skipped["Mon 2027-03-29 09:00 MDT"]
    # Every date asked for is either booked or reported, and the series keeps the report.
    assert len(result.booked) + len(result.skipped) == 8
    stored = Series.objects.get()
    assert [s["reason"] for s in stored.skipped] == [s.reason for s in result.skipped]


@pytest.mark.django_db
def test_only_the_provider_or_staff_book_a_series_and_the_terms_are_checked(world):
    provider, client = world
    origin = _book(provider, client, MONDAY_MAR_1_NINE)
    with pytest.raises(Forbidden):
        services.appointment_series_book(appointment=origin, by=client.user, every_weeks=1, count=2, now=NOW)
    other = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    with pytest.raises(Forbidden):
        services.appointment_series_book(appointment=origin, by=other.user, every_weeks=1, count=2, now=NOW)
    for terms, field in (({"every_weeks": 3, "count": 2}, "every_weeks"), ({"every_weeks": 1, "count": 27}, "count"),
                         ({"every_weeks": 1, "count": 0}, "count"), ({"every_weeks": 1}, "count"),
                         ({"every_weeks": 1, "until": dt.date(2027, 3, 1)}, "until"),
                         ({"every_weeks": 1, "until": dt.date(2027, 9, 6)}, "until")):
        with pytest.raises(InvalidInput) as problem:
            services.appointment_series_book(appointment=origin, by=provider.user, now=NOW, **terms)
        assert field in problem.value.fields
    # 26 weeks after the session is the last date; one further than that names it.
    with pytest.raises(InvalidInput) as too_far:
        services.appointment_series_book(appointment=origin, by=provider.user, now=NOW, every_weeks=1,
                                         until=dt.date(2027, 9, 6))
    assert too_far.value.fields["until"] == "a series has at most 26 sessions: choose 2027-08-30 or sooner, or a count"
    coordinator = UserFactory(role=Role.COORDINATOR)
    result = services.appointment_series_book(appointment=origin, by=coordinator, every_weeks=2, count=2, now=NOW)
    assert [_local(a.start) for a in result.booked] == ["Mon 2027-03-15 09:00 MDT", "Mon 2027-03-29 09:00 MDT"]
    assert Series.objects.count() == 1


# --- Cancelling the rest ------------------------------------------------------------------------


@pytest.mark.django_db
def test_cancelling_the_rest_cancels_this_and_later_sessions_and_raises_each_sequence(world):
    provider, client = world
    origin = _book(provider, client, MONDAY_MAR_1_NINE)
    booked = services.appointment_series_book(appointment=origin, by=provider.user, every_weeks=1, count=4,
                                              now=NOW).booked
    cancelled = services.series_cancel_rest(appointment=booked[1], by=client.user, now=NOW)
    assert [a.pk for a in cancelled] == [a.pk for a in booked[1:]]
    rows = {a.pk: a for a in Appointment.objects.filter(pk__in=[a.pk for a in booked])}
    assert rows[booked[0].pk].status == Status.BOOKED and rows[booked[0].pk].sequence == 0
    for session in booked[1:]:
        row = rows[session.pk]
        assert (row.status, row.sequence, row.late_cancellation) == (Status.CANCELLED, 1, False)
        event = next(iter(Calendar.from_ical(appointment_ics(row, viewer_timezone="America/Denver"))
                          .walk("VEVENT")))
        assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["STATUS"])) == (
            appointment_uid(row), 1, "CANCELLED")
    assert origin.series_id is None
    with pytest.raises(Conflict):
        services.series_cancel_rest(appointment=origin, by=client.user, now=NOW)
    with pytest.raises(Conflict):
        services.series_cancel_rest(appointment=booked[2], by=client.user, now=NOW)


# --- The API and the page -----------------------------------------------------------------------


@pytest.mark.django_db
def test_the_api_answers_201_with_the_booked_and_the_skipped_dates(world):
    provider, client = world
    with time_machine.travel(NOW, tick=False):
        origin = _book(provider, client, MONDAY_FEB_1_NINE)
        api = Browser(HTTP_AUTHORIZATION=f"Bearer {token_for(provider.user)}")
        url = f"/api/v1/appointments/{origin.pk}/series"
        response = api.post(url, {"every_weeks": 1, "count": 3}, content_type="application/json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert [dt.datetime.fromisoformat(a["start"]).astimezone(DENVER).date() for a in body["booked"]] == [
            dt.date(2027, 2, 8), dt.date(2027, 2, 22)]
        assert body["skipped"] == [{"start": "2027-02-15T16:00:00Z",
                                    "reason": "A federal holiday, which the provider does not work."}]
        bad = api.post(url, {"every_weeks": 3, "count": 3}, content_type="application/json")
        assert bad.status_code == 422 and "every_weeks" in bad.json()["fields"]
        as_client = Browser(HTTP_AUTHORIZATION=f"Bearer {token_for(client.user)}")
        assert as_client.post(url, {"every_weeks": 1, "count": 3}, content_type="application/json").status_code == 403
        rest = as_client.post(f"/api/v1/appointments/{body['booked'][0]['id']}/cancel-rest")
        assert rest.status_code == 200
        assert [a["status"] for a in rest.json()["cancelled"]] == ["cancelled", "cancelled"]


@pytest.mark.django_db
def test_the_provider_books_a_series_from_the_session_page_and_sees_what_was_skipped(world):
    provider, client = world
    with time_machine.travel(NOW, tick=False):
        origin = _book(provider, client, MONDAY_FEB_1_NINE)
        browser = Browser()
        browser.force_login(provider.user)
        page = browser.get(f"/sessions/{origin.pk}/").content.decode()
        assert "Keep meeting: book a series" in page
        answer = browser.post(f"/sessions/{origin.pk}/series/", {"every_weeks": "1", "count": "3"})
        text = answer.content.decode()
        assert answer.status_code == 200 and "Series booked" in text
        assert "Booked (2)" in text and "Skipped (1)" in text
        assert "A federal holiday, which the provider does not work." in text
        assert browser.post(f"/sessions/{origin.pk}/series/", {"every_weeks": "1"}).status_code == 422

        client_browser = Browser()
        client_browser.force_login(client.user)
        assert "book a series" not in client_browser.get(f"/sessions/{origin.pk}/").content.decode()
        assert client_browser.get(f"/sessions/{origin.pk}/series/").status_code == 403
        second = Appointment.objects.filter(series__isnull=False).order_by("start").first()
        second_page = client_browser.get(f"/sessions/{second.pk}/").content.decode()
        assert "Cancel this and the rest of the series" in second_page
        confirm = client_browser.get(f"/sessions/{second.pk}/cancel-rest/").content.decode()
        assert "Cancel the rest of the series?" in confirm
        client_browser.post(f"/sessions/{second.pk}/cancel-rest/")
        assert set(Appointment.objects.filter(series__isnull=False).values_list("status", flat=True)) == {"cancelled"}


@pytest.mark.django_db
def test_a_series_is_told_in_one_email_to_each_party_and_each_session_gets_its_reminders(
    world, django_capture_on_commit_callbacks,
):
    from django.core import mail
    from django_tasks_db.models import DBTaskResult

    from .test_emails import run_due_tasks

    provider, client = world
    with time_machine.travel(NOW, tick=False):
        origin = _book(provider, client, MONDAY_FEB_1_NINE)
        with django_capture_on_commit_callbacks(execute=True):
            result = services.appointment_series_book(appointment=origin, by=provider.user, every_weeks=1, count=3,
                                                      now=NOW)
        run_due_tasks()
    assert len(result.booked) == 2 and len(result.skipped) == 1
    assert sorted(m.subject for m in mail.outbox) == ["A series of sessions is booked", "Your sessions are booked"]
    to_client = next(m for m in mail.outbox if m.to == [client.user.email])
    body = " ".join(to_client.body.split())
    assert "Mon 8 Feb, 11:00 AM EST" in body and "Mon 22 Feb, 11:00 AM EST" in body
    assert "Not booked (these dates could not be): - Mon 15 Feb, 11:00 AM EST" in body
    assert "holiday" not in body  # the reasons are for the provider
    assert "We will remind you of each session the day before and an hour before." in body
    (_name, content, _), = to_client.attachments
    assert len(Calendar.from_ical(content).walk("VEVENT")) == 2
    to_provider = next(m for m in mail.outbox if m is not to_client)
    assert "Mon 15 Feb, 9:00 AM MST: A federal holiday" in to_provider.body
    reminders = DBTaskResult.objects.filter(task_path="carematch.scheduling.tasks.send_appointment_reminder")
    planned = sorted(r.run_after for r in reminders if r.args_kwargs["kwargs"]["appointment_id"] != origin.pk)
    assert planned == sorted(a.start - dt.timedelta(hours=24) for a in result.booked)


@pytest.mark.django_db
def test_a_client_books_a_series_themselves_only_where_their_provider_allows_it(world):
    from carematch.directory import services as directory_services

    provider, client = world
    other = ClientFactory(state="CO")
    with time_machine.travel(NOW, tick=False):
        origin = _book(provider, client, MONDAY_FEB_1_NINE)
        as_client = Browser()
        as_client.force_login(client.user)
        assert "book a series" not in as_client.get(f"/sessions/{origin.pk}/").content.decode()
        with pytest.raises(Forbidden):
            services.appointment_series_book(appointment=origin, by=client.user, every_weeks=2, count=2)

        directory_services.provider_profile_update(provider=provider, by=provider.user, clients_book_series=True)
        origin.refresh_from_db()
        page = as_client.get(f"/sessions/{origin.pk}/").content.decode()
        assert "Keep meeting: book a series" in page and f"on {provider.first_name}\u2019s clock" in page
        answer = as_client.post(f"/sessions/{origin.pk}/series/", {"every_weeks": "2", "count": "2"})
        text = answer.content.decode()
        # Every two weeks from 1 February: 15 February is a federal holiday, 1 March is booked.
        assert answer.status_code == 200 and "Series booked" in text and "Skipped (1)" in text
        assert Appointment.objects.filter(series__isnull=False, client=client, status=Status.BOOKED).count() == 1
        # Another client, even signed in, never books a series on someone else's session.
        with pytest.raises(Forbidden):
            services.appointment_series_book(appointment=origin, by=other.user, every_weeks=1, count=2)
