"""The 48-hour clock: the figures (a pure function, tested without a database) and the
coordinators' page that shows them with everyone still waiting."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.lib.sessions import SESSION
from carematch.scheduling.clock import RequestRecord, clock_figures, nearest_rank
from carematch.scheduling.models import Appointment, CareRequest, Status

from .factories import ClientFactory, weekday_provider

NOW = dt.datetime(2027, 3, 20, 20, 0, tzinfo=dt.UTC)
HOURS = dt.timedelta(hours=1)


def record(n: int, hours_ago: float, wait_hours: float | None = None, **fields) -> RequestRecord:
    return RequestRecord(
        id=n, client_name=f"Client {n}", requested_at=NOW - hours_ago * HOURS,
        wait_seconds=None if wait_hours is None else int(wait_hours * 3600), **fields,
    )


# --- The figures ---------------------------------------------------------------------------------


def test_the_figures_count_requests_met_within_48_hours_and_the_median_and_90th_percentile_waits():
    records = [
        record(1, 200, wait_hours=10),
        record(2, 150, wait_hours=20),
        record(3, 120, wait_hours=30),
        record(4, 100, wait_hours=60),  # a first session, but after 48 hours
        record(5, 50, crisis=True),  # open, past 48 hours
        record(6, 5),  # open, 43 hours left
        record(7, 90, closed=True),  # closed without a session: not open, still counted
        record(8, 40 * 24, wait_hours=100),  # before the 30 days: not counted
        record(9, 35 * 24),  # before the 30 days but still open: listed first
    ]
    figures = clock_figures(records, now=NOW)
    assert figures.since == NOW - dt.timedelta(days=30)
    assert (figures.requests, figures.answered, figures.within_promise) == (7, 4, 3)
    assert figures.share_within == pytest.approx(3 / 7)
    assert figures.median_wait_hours == pytest.approx(25.0)
    assert figures.p90_wait_hours == pytest.approx(60.0)
    assert [r.id for r in figures.open_requests] == [9, 5, 6]
    oldest, crisis, newest = figures.open_requests
    assert (oldest.overdue, oldest.waited_hours) == (True, 35 * 24)
    assert (crisis.crisis, crisis.overdue, crisis.waited_hours, crisis.hours_left) == (True, True, 50, -2)
    assert (newest.crisis, newest.overdue, newest.waited_hours, newest.hours_left) == (False, False, 5, 43)


def test_a_first_session_exactly_48_hours_after_asking_counts_as_met_and_a_second_later_does_not():
    exactly = RequestRecord(id=1, client_name="A", requested_at=NOW - 60 * HOURS, wait_seconds=48 * 3600)
    later = RequestRecord(id=2, client_name="B", requested_at=NOW - 60 * HOURS, wait_seconds=48 * 3600 + 1)
    assert clock_figures([exactly], now=NOW).within_promise == 1
    assert clock_figures([later], now=NOW).within_promise == 0


def test_with_no_requests_there_is_no_share_and_no_wait():
    figures = clock_figures([], now=NOW)
    assert (figures.requests, figures.share_within, figures.median_wait_hours, figures.p90_wait_hours) == (
        0, None, None, None,
    )
    assert figures.open_requests == []


@pytest.mark.parametrize(
    ("values", "fraction", "expected"),
    [
        (list(range(1, 11)), 0.9, 9),
        ([5.0], 0.9, 5.0),
        ([3, 1, 2], 0.9, 3),
        ([3, 1, 2], 0.5, 2),
        ([1, 2, 3, 4], 0.5, 2),
    ],
)
def test_the_nearest_rank_percentile_is_always_one_of_the_values(values, fraction, expected):
    assert nearest_rank(values, fraction) == expected


# --- The page ------------------------------------------------------------------------------------


def ask(name: str, hours_ago: float, *, wait_hours: float | None = None, crisis: bool = False, closed: bool = False,
        provider=None) -> CareRequest:
    now = timezone.now()
    client = ClientFactory(first_name=name, last_name="Example")
    asked = now - hours_ago * HOURS
    request = CareRequest.objects.create(client=client, requested_at=asked, crisis=crisis,
                                         closed_at=now if closed else None)
    if wait_hours is not None:
        start = asked + wait_hours * HOURS
        appointment = Appointment.objects.create(provider=provider, client=client, start=start, end=start + SESSION,
                                                 format="telehealth", status=Status.BOOKED, care_request=request)
        request.first_appointment, request.first_start = appointment, start
        request.wait_seconds = int(wait_hours * 3600)
        request.save()
    return request


@pytest.mark.django_db
def test_the_clock_page_shows_the_figures_and_everyone_waiting_longest_first(client):
    provider = weekday_provider()
    ask("Met10", 200, wait_hours=10, provider=provider)
    ask("Met20", 150, wait_hours=20, provider=provider)
    ask("Met30", 120, wait_hours=30, provider=provider)
    ask("Late60", 100, wait_hours=60, provider=provider)
    ask("Urgent", 50, crisis=True)
    ask("Recent", 5)
    ask("Withdrew", 90, closed=True)
    ask("LongAgo", 40 * 24, wait_hours=100, provider=provider)
    ask("Forgotten", 35 * 24)

    client.force_login(UserFactory(role=Role.COORDINATOR))
    response = client.get("/staff/clock/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "<dt>Requests for care</dt><dd>7</dd>" in page
    assert "3 of 7 (43%)" in page
    assert "25.0 hours" in page and "60.0 hours" in page
    assert "Still waiting (3)" in page

    open_table = page[page.index('<table class="clock-open">'):page.index("</table>")]
    rows = open_table.split("<tr")[2:]  # after the header row
    assert [row.split("<td>")[1].split(" Example")[0] for row in rows] == ["Forgotten", "Urgent", "Recent"]
    assert "840.0 hours" in rows[0] and "Over 48 hours" in rows[0]
    assert "Crisis" in rows[1] and "50.0 hours" in rows[1] and "Over 48 hours" in rows[1]
    assert "Crisis" not in rows[2] and "5.0 hours" in rows[2] and "43.0 hours left" in rows[2]
    for answered_or_closed in ("Met10", "Late60", "Withdrew", "LongAgo"):
        assert answered_or_closed not in open_table


@pytest.mark.django_db
def test_someone_who_asked_before_signing_up_is_on_the_clock_too(client):
    CareRequest.objects.create(client=None, requested_at=timezone.now() - 2 * HOURS, crisis=True)
    client.force_login(UserFactory(role=Role.COORDINATOR))
    page = client.get("/staff/clock/").content.decode()
    assert "<dt>Requests for care</dt><dd>1</dd>" in page and "Still waiting (1)" in page
    row = page[page.index('<table class="clock-open">'):page.index("</table>")].split("<tr")[2]
    assert "Not signed up yet" in row and "Crisis" in row and "46.0 hours left" in row


@pytest.mark.django_db
def test_the_clock_page_says_so_when_nobody_is_waiting(client):
    client.force_login(UserFactory(role=Role.ADMIN))
    page = client.get("/staff/clock/").content.decode()
    assert "Nobody is waiting" in page and "no requests yet" in page


@pytest.mark.django_db
@pytest.mark.parametrize("role", [None, Role.CLIENT, Role.PROVIDER])
def test_only_coordinators_and_admins_see_the_clock(client, role):
    ask("Private", 3, crisis=True)
    if role is not None:
        client.force_login(UserFactory(role=role))
    response = client.get("/staff/clock/")
    if role is not None:  # signed in with another role: refused
        assert response.status_code == 403
        return
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/staff/clock/")
