"""The client's address is the one our proxy saw, never one the client wrote: behind
CAREMATCH_BEHIND_TLS_PROXY, the X-Forwarded-For entry added by the outermost of
CAREMATCH_TRUSTED_PROXIES proxies, counted from the right. Throttling and the access log
both use it (carematch.accounts.throttle.client_address, carematch.lib.addresses)."""

from __future__ import annotations

import pytest

from carematch.access.models import AccessEvent
from carematch.accounts import throttle
from carematch.accounts.models import LoginAttempt
from carematch.accounts.tests.factories import auth_header
from carematch.lib.addresses import forwarded_address
from carematch.measures.tests.factories import in_care

from .test_throttling import TOO_MANY, WRONG, log_in

PROXY = "10.0.0.1"  # REMOTE_ADDR: the proxy in front of carematch


@pytest.mark.parametrize(("forwarded_for", "proxies", "expected"), [
    ("203.0.113.5", 1, "203.0.113.5"),
    ("198.51.100.66, 203.0.113.5", 1, "203.0.113.5"),  # the client wrote the first entry
    ("not-an-address, 203.0.113.5", 1, "203.0.113.5"),
    ("198.51.100.66, 203.0.113.5, 10.0.0.9", 2, "203.0.113.5"),  # an inner proxy added 10.0.0.9
    ("203.0.113.5, 10.0.0.9", 2, "203.0.113.5"),
    ("10.0.0.9", 2, PROXY),  # fewer entries than proxies: not through the chain, the peer counts
    ("", 1, PROXY),
    ("   ", 1, PROXY),
    ("198.51.100.66, not-an-address", 1, PROXY),  # our proxy's entry must be an address
    ("198.51.100.66, ", 1, PROXY),
    ("198.51.100.66, 203.0.113.5:4711", 1, PROXY),
    ("198.51.100.66, fe80::1%eth0", 1, PROXY),
    ("198.51.100.66, 2001:DB8:0:0::7", 1, "2001:db8::7"),  # written the one way
    (" 203.0.113.5 ", 1, "203.0.113.5"),
])
def test_the_entry_added_by_the_outermost_trusted_proxy_is_the_clients(forwarded_for, proxies, expected):
    assert forwarded_address(peer=PROXY, forwarded_for=forwarded_for, trusted_proxies=proxies) == expected


def test_a_peer_that_is_not_an_address_gives_no_address():
    assert forwarded_address(peer="unix:/run/carematch.sock", forwarded_for="", trusted_proxies=1) == ""
    assert forwarded_address(peer="", forwarded_for="x", trusted_proxies=1) == ""


def test_without_the_proxy_setting_the_forwarded_header_is_ignored(rf, settings):
    settings.BEHIND_TLS_PROXY = False
    request = rf.get("/", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR=PROXY)
    assert throttle.client_address(request) == PROXY
    settings.BEHIND_TLS_PROXY = True
    assert throttle.client_address(request) == "203.0.113.5"


def test_two_trusted_proxies_take_the_second_entry_from_the_right(rf, settings):
    settings.BEHIND_TLS_PROXY = True
    settings.TRUSTED_PROXIES = 2
    request = rf.get("/", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.5, 10.0.0.9", REMOTE_ADDR=PROXY)
    assert throttle.client_address(request) == "203.0.113.5"


@pytest.mark.django_db
def test_a_spoofed_first_entry_does_not_change_the_throttled_address(client, settings):
    settings.BEHIND_TLS_PROXY = True
    for n in range(20):
        # A different made-up first entry each time, the real address added by our proxy last.
        log_in(client, f"guess{n}@example.test", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}, 203.0.113.5",
               REMOTE_ADDR=PROXY)
    assert set(LoginAttempt.objects.values_list("address", flat=True)) == {"203.0.113.5"}
    refused = log_in(client, "other@example.test", HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.5", REMOTE_ADDR=PROXY)
    assert TOO_MANY in refused.content.decode()
    other = log_in(client, "other@example.test", HTTP_X_FORWARDED_FOR="203.0.113.5, 203.0.113.6", REMOTE_ADDR=PROXY)
    assert WRONG in other.content.decode()  # 203.0.113.6 is someone else, whatever they wrote first


@pytest.mark.django_db
def test_a_spoofed_first_entry_does_not_change_the_logged_address(client, settings):
    settings.BEHIND_TLS_PROXY = True
    person, provider = in_care()
    response = client.get(f"/api/v1/clients/{person.pk}/goals", HTTP_X_FORWARDED_FOR="192.0.2.200, 203.0.113.5",
                          REMOTE_ADDR=PROXY, **auth_header(provider.user))
    assert response.status_code == 200
    assert list(AccessEvent.objects.values_list("address", flat=True)) == ["203.0.113.5"]


@pytest.mark.django_db
def test_without_the_proxy_setting_the_log_holds_the_peer(client, settings):
    settings.BEHIND_TLS_PROXY = False
    person, provider = in_care()
    client.get(f"/api/v1/clients/{person.pk}/goals", HTTP_X_FORWARDED_FOR="203.0.113.5", REMOTE_ADDR="192.0.2.44",
               **auth_header(provider.user))
    assert list(AccessEvent.objects.values_list("address", flat=True)) == ["192.0.2.44"]


@pytest.mark.parametrize("value", ["0", "-1"])
def test_fewer_than_one_trusted_proxy_is_refused_at_start(tmp_path, value):
    from carematch.tests.test_settings import carematch

    result = carematch("check", tmp_path=tmp_path, CAREMATCH_DEBUG="1", CAREMATCH_TRUSTED_PROXIES=value)
    assert result.returncode != 0 and "CAREMATCH_TRUSTED_PROXIES" in result.stderr
