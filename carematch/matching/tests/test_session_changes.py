"""Cancelling and moving a booked session, as pages: cancel asks first and says, in words,
whether it counts as a late cancellation; moving is one step that never leaves the client
with both hours or neither; afterwards the client is offered the provider's next openings
and their other matches."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.lib.timezones import when_label
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.services import appointment_book
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(hours=24)
NOT_LATE = "This session is more than 24 hours away, so cancelling it now is not a late cancellation."
LATE = "This session is less than 24 hours away, so cancelling it now counts as a late cancellation."
POLICY = "Cancelling less than 24 hours before a session counts as a late cancellation (the practice"


@pytest.fixture
def provider():
    return weekday_provider(min_notice_hours=0)


@pytest.fixture
def sam():
    return ClientFactory(timezone="America/New_York")


def openings(provider, *, days_ahead=3, count=4):
    now = timezone.now()
    return provider_openings(provider=provider, start=now + dt.timedelta(days=days_ahead),
                             end=now + dt.timedelta(days=days_ahead + 7))[:count]


def booked(provider, client, start) -> Appointment:
    return appointment_book(provider=provider, client=client, start=start, format="telehealth", by=client.user)


def text(response) -> str:
    return response.content.decode()


def test_cancel_asks_first_and_cancels_only_when_confirmed(client, provider, sam):
    session = booked(provider, sam, openings(provider)[0])
    client.force_login(sam.user)
    asked = client.get(f"/sessions/{session.pk}/cancel/")
    page = text(asked)
    assert asked.status_code == 200 and "<h1>Cancel this session?</h1>" in page
    assert when_label(session.start, "America/New_York") in page  # when it is, on the client's clock
    assert POLICY in page and NOT_LATE in page
    assert Appointment.objects.get().status == Status.BOOKED  # asking cancels nothing

    done = client.post(f"/sessions/{session.pk}/cancel/", {"late": "0"}, follow=True)
    assert "Your session is cancelled" in text(done)
    cancelled = Appointment.objects.get()
    assert cancelled.status == Status.CANCELLED and not cancelled.late_cancellation


@pytest.mark.parametrize(("before_start", "wording", "late"), [
    (DAY + dt.timedelta(seconds=1), NOT_LATE, False),
    (DAY - dt.timedelta(seconds=1), LATE, True),
])
def test_the_late_cancellation_wording_at_the_24_hour_boundary(client, provider, sam, time_machine, before_start,
                                                               wording, late):
    session = booked(provider, sam, openings(provider)[0])
    time_machine.move_to(session.start - before_start, tick=False)
    client.force_login(sam.user)
    page = text(client.get(f"/sessions/{session.pk}/cancel/"))
    assert wording in page
    client.post(f"/sessions/{session.pk}/cancel/", {"late": "1" if late else "0"})
    assert Appointment.objects.get().late_cancellation is late


def test_when_the_24_hours_pass_between_asking_and_confirming_it_asks_again(client, provider, sam, time_machine):
    session = booked(provider, sam, openings(provider)[0])
    time_machine.move_to(session.start - DAY - dt.timedelta(minutes=1), tick=False)
    client.force_login(sam.user)
    assert NOT_LATE in text(client.get(f"/sessions/{session.pk}/cancel/"))
    time_machine.move_to(session.start - DAY + dt.timedelta(minutes=1), tick=False)
    again = text(client.post(f"/sessions/{session.pk}/cancel/", {"late": "0"}))
    assert "It is now less than 24 hours before your session, so cancelling it now counts as a late " \
           "cancellation. Confirm again" in again
    assert Appointment.objects.get().status == Status.BOOKED


def test_after_cancelling_the_client_is_offered_the_next_openings_and_the_way_back(client, provider, sam):
    session = booked(provider, sam, openings(provider)[0])
    client.force_login(sam.user)
    page = text(client.post(f"/sessions/{session.pk}/cancel/", {"late": "1"}, follow=True))
    assert "<h1>Session cancelled</h1>" in page
    assert "next openings</h2>" in page
    now = timezone.now()
    soonest = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[0]
    assert f"<time datetime=\"{soonest.isoformat()}\">{when_label(soonest, 'America/New_York')}</time>" in page
    assert f'href="/book/{provider.pk}/?start=' in page
    assert 'href="/find/safety/"' in page  # no intake answers here: the intake


def test_a_provider_cancelling_is_told_it_never_counts_against_the_client(client, provider, sam):
    provider.user = UserFactory(role=Role.PROVIDER)
    provider.save()
    session = booked(provider, sam, openings(provider, days_ahead=0)[0])
    client.force_login(provider.user)
    page = text(client.get(f"/sessions/{session.pk}/cancel/"))
    assert "Cancelling by the provider or a coordinator never counts as a late cancellation" in page
    assert when_label(session.start, provider.timezone) in page  # on the provider's own clock
    client.post(f"/sessions/{session.pk}/cancel/")
    assert Appointment.objects.get().status == Status.CANCELLED
    assert not Appointment.objects.get().late_cancellation


def test_someone_else_cannot_open_the_cancel_page(client, provider, sam):
    session = booked(provider, sam, openings(provider)[0])
    client.force_login(ClientFactory().user)
    answer = client.get(f"/sessions/{session.pk}/cancel/")
    assert answer.status_code == 404 and "We could not find that session" in text(answer)
    assert client.post(f"/sessions/{session.pk}/cancel/", {"late": "1"}).status_code == 404
    assert Appointment.objects.get().status == Status.BOOKED


def test_reschedule_moves_the_one_session_to_the_chosen_opening(client, provider, sam):
    first, *_ = openings(provider)
    session = booked(provider, sam, first)
    client.force_login(sam.user)
    assert f'href="/sessions/{session.pk}/reschedule/"' in text(client.get(f"/sessions/{session.pk}/"))
    page = text(client.get(f"/sessions/{session.pk}/reschedule/"))
    now = timezone.now()
    offered = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))
    target = offered[1]
    assert when_label(target, "America/New_York") in page and NOT_LATE.replace("cancelling", "moving") in page
    moved = client.post(f"/sessions/{session.pk}/reschedule/", {"start": target.isoformat(), "late": "0"},
                        follow=True)
    assert f"Your session is moved to {when_label(target, 'America/New_York')}." in text(moved)
    active = Appointment.objects.filter(client=sam, status=Status.BOOKED)
    assert [(a.pk, a.start, a.rescheduled_from) for a in active] == [(session.pk, target, first)]
    assert first in provider_openings(provider=provider, start=first, end=first + dt.timedelta(hours=1))


def test_an_hour_taken_meanwhile_gives_a_clear_answer_and_keeps_the_session(client, provider, sam):
    first = openings(provider)[0]
    session = booked(provider, sam, first)
    client.force_login(sam.user)
    now = timezone.now()
    target = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[1]
    client.get(f"/sessions/{session.pk}/reschedule/")
    rival = ClientFactory()
    booked(provider, rival, target)  # someone books the hour between the page and the press
    answer = client.post(f"/sessions/{session.pk}/reschedule/", {"start": target.isoformat(), "late": "0"})
    page = text(answer)
    assert answer.status_code == 200  # the form answers: the time is no longer a choice
    assert "That time is no longer one of the openings. Choose another." in page
    assert Appointment.objects.get(pk=session.pk).start == first
    assert list(Appointment.objects.filter(client=sam, status=Status.BOOKED)) == [session]


def test_a_move_that_the_service_refuses_keeps_the_session_and_says_where_it_is(client, provider, sam, monkeypatch):
    from carematch.scheduling import services

    first = openings(provider)[0]
    session = booked(provider, sam, first)
    client.force_login(sam.user)
    now = timezone.now()
    target = provider_openings(provider=provider, start=now, end=now + dt.timedelta(days=14))[1]
    original = services.appointment_reschedule

    def taken_at_the_last_moment(**kwargs):
        rival = ClientFactory()
        booked(provider, rival, target)
        return original(**kwargs)

    monkeypatch.setattr(services, "appointment_reschedule", taken_at_the_last_moment)
    answer = client.post(f"/sessions/{session.pk}/reschedule/", {"start": target.isoformat(), "late": "0"})
    assert answer.status_code == 409
    page = text(answer)
    assert f"{when_label(target, 'America/New_York')} could not be booked: Someone else has just booked" in page
    assert f"Your session is still {when_label(first, 'America/New_York')}." in page
    assert Appointment.objects.get(pk=session.pk).start == first
    assert list(Appointment.objects.filter(client=sam, status=Status.BOOKED)) == [session]


def test_a_late_move_by_the_client_is_recorded_as_a_late_cancellation(client, provider, sam):
    session = booked(provider, sam, openings(provider, days_ahead=0)[0])
    client.force_login(sam.user)
    page = text(client.get(f"/sessions/{session.pk}/reschedule/"))
    assert "so moving it now counts as a late cancellation" in page
    target = openings(provider, days_ahead=2)[0]
    client.post(f"/sessions/{session.pk}/reschedule/", {"start": target.isoformat(), "late": "1"})
    moved = Appointment.objects.get()
    assert moved.start == target and moved.late_cancellation and moved.status == Status.BOOKED
