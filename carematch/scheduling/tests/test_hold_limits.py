"""Holds are limited so that nobody can empty a provider's calendar: one live hold per
browser session and per client (a new hold replaces the earlier one), and before sign-up
at most CAREMATCH_HOLDS_PER_ADDRESS_LIVE live (one per provider) and
CAREMATCH_HOLDS_PER_ADDRESS_HOUR placed an hour from one network address, and
CAREMATCH_HOLDS_PER_PROVIDER_ANONYMOUS live per provider;
a client's holds, CAREMATCH_HOLDS_PER_CLIENT_HOUR an hour. All in the one hold service."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.utils import timezone, translation

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.lib.errors import TooManyRequests
from carematch.scheduling import services
from carematch.scheduling.models import Appointment, Status
from carematch.scheduling.selectors import provider_openings
from carematch.tests.helpers import assert_error_shape

from .factories import ClientFactory, weekday_provider

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 4, 13, tzinfo=dt.UTC)  # 06:00 in Denver, three hours before the first opening


def openings(provider, n=8):
    return provider_openings(provider=provider, start=NOW, end=NOW + dt.timedelta(days=5), now=NOW)[:n]


def anonymous_hold(provider, start, *, session, address="203.0.113.7", now=NOW):
    return services.hold_place(provider=provider, client=None, start=start, format="telehealth", by=None,
                               session_key=session, address=address, now=now)


def test_a_new_hold_from_the_same_browser_releases_the_earlier_one():
    provider = weekday_provider()
    first, second, third = openings(provider, 3)
    one = anonymous_hold(provider, first, session="browser-1")
    two = anonymous_hold(provider, second, session="browser-1", now=NOW + dt.timedelta(minutes=1))
    one.refresh_from_db()
    assert (one.status, two.status) == (Status.RELEASED, Status.HELD)
    # A hold that had already run out lapsed rather than being released.
    three = anonymous_hold(provider, third, session="browser-1", now=NOW + dt.timedelta(minutes=30))
    two.refresh_from_db()
    assert (two.status, three.status) == (Status.LAPSED, Status.HELD)
    assert Appointment.objects.filter(status=Status.HELD).count() == 1


def test_many_browser_sessions_from_one_address_hold_one_opening_of_a_provider_and_three_in_all():
    providers = [weekday_provider() for _ in range(4)]
    first = anonymous_hold(providers[0], openings(providers[0])[0], session="browser-0")
    with pytest.raises(services.TooManyHolds) as refused:
        anonymous_hold(providers[0], openings(providers[0])[1], session="browser-1",
                       now=NOW + dt.timedelta(minutes=1))
    assert "An opening with this provider is already being held from your internet connection" in \
        refused.value.detail
    assert refused.value.status == 429 and refused.value.retry_after == 9 * 60  # when the first hold ends
    for i in (1, 2):
        anonymous_hold(providers[i], openings(providers[i])[0], session=f"browser-{i}")
    with pytest.raises(services.TooManyHolds) as refused:
        anonymous_hold(providers[3], openings(providers[3])[0], session="browser-3", now=NOW + dt.timedelta(minutes=4))
    assert "3 openings are already being held from your internet connection" in refused.value.detail
    assert "log in (or create an account)" in refused.value.detail
    assert refused.value.retry_after == 6 * 60
    # Once the first holds run out, the address may hold again.
    anonymous_hold(providers[3], openings(providers[3])[0], session="browser-3", now=NOW + dt.timedelta(minutes=10))
    first.refresh_from_db()
    assert first.status == Status.HELD  # run out, and marked lapsed when next in the way


def test_one_address_places_at_most_ten_holds_an_hour_even_one_at_a_time():
    provider = weekday_provider()
    start = openings(provider, 2)[1]
    for minute in range(10):  # one browser, holding again and again: each hold replaces the last
        anonymous_hold(provider, start, session="browser", now=NOW + dt.timedelta(minutes=minute))
    with pytest.raises(services.TooManyHolds) as refused:
        anonymous_hold(provider, start, session="browser", now=NOW + dt.timedelta(minutes=20))
    assert "in the last hour" in refused.value.detail and refused.value.retry_after == 40 * 60
    assert Appointment.objects.count() == 10  # nothing written for the refused hold
    anonymous_hold(provider, start, session="browser", now=NOW + dt.timedelta(minutes=60, seconds=1))


def test_an_ipv6_address_counts_as_its_64_network_and_only_a_keyed_digest_is_stored():
    provider = weekday_provider()
    starts = openings(provider, 3)
    anonymous_hold(provider, starts[0], session="browser-0", address="2001:db8:1:2::1")
    with pytest.raises(services.TooManyHolds):
        anonymous_hold(provider, starts[1], session="browser-1", address="2001:db8:1:2:ffff::9")
    anonymous_hold(provider, starts[1], session="browser-1", address="2001:db8:1:3::1")
    assert services.address_digest("2001:db8:1:2::1") == services.address_digest("2001:db8:1:2:ffff::9")
    assert services.address_digest("::ffff:198.51.100.4") == services.address_digest("198.51.100.4")
    stored = set(Appointment.objects.values_list("hold_address", flat=True))
    assert stored == {services.address_digest("2001:db8:1:2::1"), services.address_digest("2001:db8:1:3::1")}
    assert all(len(value) == 64 and "2001" not in value and "db8" not in value for value in stored)


def test_before_sign_up_a_provider_has_at_most_three_live_holds_whatever_the_addresses():
    provider, other = weekday_provider(), weekday_provider()
    starts = openings(provider, 5)
    for i in range(3):
        anonymous_hold(provider, starts[i], session=f"browser-{i}", address=f"198.51.100.{i + 1}")
    with pytest.raises(services.TooManyHolds) as refused:
        anonymous_hold(provider, starts[3], session="browser-3", address="198.51.100.4")
    assert "holding openings with this provider before signing up" in refused.value.detail
    # Another provider's openings, and signed-in clients, are not held back.
    anonymous_hold(other, openings(other, 1)[0], session="browser-3", address="198.51.100.4")
    client = ClientFactory()
    services.hold_place(provider=provider, client=client, start=starts[3], format="telehealth", by=client.user,
                        now=NOW)
    services.appointment_book(provider=provider, client=client, start=starts[3], format="telehealth",
                              by=client.user, now=NOW)


def test_the_limits_come_from_settings(settings):
    settings.HOLDS_PER_ADDRESS_LIVE = 1
    settings.HOLDS_PER_PROVIDER_ANONYMOUS = 1
    provider, other = weekday_provider(), weekday_provider()
    anonymous_hold(provider, openings(provider)[0], session="browser-1")
    with pytest.raises(services.TooManyHolds, match="1 opening is already being held"):
        anonymous_hold(other, openings(other)[0], session="browser-2")
    with pytest.raises(services.TooManyHolds, match="holding openings with this provider before signing up"):
        anonymous_hold(provider, openings(provider)[1], session="browser-3", address="198.51.100.9")


def test_a_signed_in_client_has_one_live_hold_and_places_at_most_ten_an_hour():
    provider = weekday_provider()
    client = ClientFactory()
    starts = openings(provider, 2)
    for minute in range(10):
        services.hold_place(provider=provider, client=client, start=starts[minute % 2], format="telehealth",
                            by=client.user, now=NOW + dt.timedelta(minutes=minute))
    assert Appointment.objects.filter(client=client, status=Status.HELD).count() == 1
    assert Appointment.objects.filter(client=client, status=Status.RELEASED).count() == 9
    with pytest.raises(TooManyRequests) as refused:
        services.hold_place(provider=provider, client=client, start=starts[0], format="telehealth", by=client.user,
                            now=NOW + dt.timedelta(minutes=10))
    assert refused.value.detail == ("10 openings have been held for you in the last hour, the most in an hour. "
                                    "Please try again in 50 minutes.")
    assert refused.value.retry_after == 50 * 60
    # Booking directly is never limited.
    services.appointment_book(provider=provider, client=client, start=starts[0], format="telehealth",
                              by=client.user, now=NOW + dt.timedelta(minutes=10))


def test_the_api_answers_429_in_the_one_error_shape_with_retry_after(client):
    provider = weekday_provider()
    person = ClientFactory()
    headers = auth_header(person.user)
    now = timezone.now()
    start = provider_openings(provider=provider, start=now + dt.timedelta(days=1), end=now + dt.timedelta(days=8))[0]
    body = {"provider_id": provider.pk, "client_id": person.pk, "start": start.isoformat(), "format": "telehealth"}
    answers = [client.post("/api/v1/holds", body, content_type="application/json", **headers) for _ in range(11)]
    assert [a.status_code for a in answers] == [201] * 10 + [429]
    refused = assert_error_shape(answers[-1], 429, "too_many_holds")
    assert "in the last hour" in refused["detail"]
    assert 3000 < int(answers[-1]["Retry-After"]) <= 3600
    # The earlier holds were released by each new one, never left live.
    assert Appointment.objects.filter(client=person, status=Status.HELD).count() == 1
    # Staff placing a hold for the client are told the same; booking is still open to them.
    coordinator = auth_header(UserFactory(role=Role.COORDINATOR))
    assert_error_shape(client.post("/api/v1/holds", body, content_type="application/json", **coordinator), 429)
    booked = client.post("/api/v1/appointments", body, content_type="application/json", **coordinator)
    assert booked.status_code == 201


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_holds_from_one_address_at_the_same_moment_never_pass_the_limit():
    """Eight browsers on one address hold an opening each with eight providers at once: the
    address's holds are counted one at a time, so exactly three are held."""
    providers = [weekday_provider() for _ in range(8)]
    starts = [openings(provider, 1)[0] for provider in providers]
    barrier = threading.Barrier(len(providers))

    def one(i: int) -> str:
        try:
            barrier.wait()
            anonymous_hold(providers[i], starts[i], session=f"browser-{i}")
            return "held"
        except services.TooManyHolds:
            return "refused"
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(providers)) as pool:
        answers = sorted(pool.map(one, range(len(providers))))
    assert answers == ["held"] * 3 + ["refused"] * 5
    assert Appointment.objects.filter(status=Status.HELD).count() == 3


def test_someone_signed_in_without_client_details_is_never_told_to_log_in():
    provider = weekday_provider()
    signed_in = UserFactory(role=Role.CLIENT)
    first, second = openings(provider)[:2]
    services.hold_place(provider=provider, client=None, start=first, format="telehealth", by=signed_in,
                        session_key="browser-0", address="203.0.113.7", now=NOW)
    with pytest.raises(services.TooManyHolds) as refused:
        services.hold_place(provider=provider, client=None, start=second, format="telehealth", by=signed_in,
                            session_key="browser-1", address="203.0.113.7", now=NOW + dt.timedelta(minutes=1))
    assert "finish booking the time you are already holding" in refused.value.detail
    assert "log in" not in refused.value.detail


def test_a_hold_refused_on_a_spanish_page_says_why_in_spanish():
    providers = [weekday_provider() for _ in range(4)]
    with translation.override("es"):
        anonymous_hold(providers[0], openings(providers[0])[0], session="browser-0")
        with pytest.raises(services.TooManyHolds) as refused:
            anonymous_hold(providers[0], openings(providers[0])[1], session="browser-1",
                           now=NOW + dt.timedelta(minutes=1))
        assert refused.value.detail == ("Ya hay una hora apartada con este profesional desde su conexión a internet. "
                                        "Vuelva a intentarlo en 9 minutos, o inicie sesión (o cree una cuenta) "
                                        "primero y reserve con su sesión iniciada.")
        for i in (1, 2):
            anonymous_hold(providers[i], openings(providers[i])[0], session=f"browser-{i}")
        with pytest.raises(services.TooManyHolds) as refused:
            anonymous_hold(providers[3], openings(providers[3])[0], session="browser-3",
                           now=NOW + dt.timedelta(minutes=4))
        assert refused.value.detail.startswith("3 horas ya están apartadas desde su conexión a internet")
        with pytest.raises(services.InvalidSlot) as refused:
            anonymous_hold(providers[3], NOW + dt.timedelta(minutes=7), session="browser-9", address="198.51.100.1")
        assert refused.value.detail.startswith("Esa hora no es un horario disponible de este profesional")
