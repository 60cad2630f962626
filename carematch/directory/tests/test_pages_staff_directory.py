"""The coordinators' directory: search, one provider in full, license checks, licenses expiring soon."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory
from carematch.directory.models import License, LicenseStatus, VerificationSource

from .factories import LicenseFactory, ProviderFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    user = UserFactory(role=Role.COORDINATOR, email="casey.coordinator@example.test")
    client.force_login(user)
    return user


def result_names(html: str) -> list[str]:
    return re.findall(r'<a class="result-name" href="/staff/directory/\d+/">([^<]+)</a>', html)


def staff_paths() -> list[str]:
    return ["/staff/directory/", "/staff/directory/import/", "/staff/licenses/expiring/"]


@pytest.mark.parametrize("role", [None, Role.CLIENT, Role.PROVIDER])
def test_directory_pages_send_visitors_to_log_in_and_refuse_other_roles(client, role):
    provider = ProviderFactory(user=UserFactory(role=Role.PROVIDER))
    license = LicenseFactory(provider=provider, status=LicenseStatus.UNVERIFIED)
    if role is not None:
        client.force_login(provider.user if role == Role.PROVIDER else UserFactory(role=role))
    for path in [*staff_paths(), f"/staff/directory/{provider.pk}/"]:
        response = client.get(path)
        if role is None:
            assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), path
        else:
            assert response.status_code == 403, path
    response = client.post(f"/staff/licenses/{license.pk}/status/", {"status": "verified"})
    if role is None:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert response.status_code == 403
    license.refresh_from_db()
    assert license.status == LicenseStatus.UNVERIFIED


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_open_every_directory_page_and_see_the_menu_link(client, role):
    client.force_login(UserFactory(role=role))
    provider = ProviderFactory()
    for path in [*staff_paths(), f"/staff/directory/{provider.pk}/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert '<a href="/staff/directory/">Directory</a>' in response.content.decode()


def test_the_directory_lists_every_provider_by_name_with_what_needs_attention(client, coordinator):
    ada = ProviderFactory(first_name="Ada", last_name="Birch")
    LicenseFactory(provider=ada, state="CO", status=LicenseStatus.UNVERIFIED)
    LicenseFactory(provider=ada, state="WY", status=LicenseStatus.VERIFIED)
    LicenseFactory(provider=ada, state="UT", status=LicenseStatus.UNVERIFIED,
                   expires=timezone.localdate() - dt.timedelta(days=1))  # history: nothing to verify
    ProviderFactory(first_name="Bo", last_name="Cedar", accepting_new=False)
    html = client.get("/staff/directory/").content.decode()
    assert "2 providers" in html
    assert result_names(html) == ["Ada Birch, LPC", "Bo Cedar, LPC"]
    assert "Licensed in WY" in html  # the CO license is not verified yet, so it does not count
    assert "<strong>1 license to verify</strong>" in html
    assert "(CO: not matched until verified)" in html
    assert "No license that counts today" in html and "Not taking new clients" in html


def test_where_unverified_licenses_match_the_directory_says_so(client, coordinator, settings):
    settings.MATCH_UNVERIFIED_LICENSES = True
    LicenseFactory(provider=ProviderFactory(first_name="Ada", last_name="Birch"), state="CO",
                   status=LicenseStatus.UNVERIFIED)
    html = client.get("/staff/directory/").content.decode()
    assert "Licensed in CO" in html and "1 license to verify" in html
    assert "(CO: matched before verification, as this network allows)" in html
    assert "not matched until verified" not in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"state": "CO"}, ["Ada Birch, LPC"]),
        ({"state": "WY"}, ["Bo Cedar, LPC"]),
        ({"state": "NM"}, ["Cy Dale, LPC"]),  # a license waiting for verification is found, to be verified
        ({"state": "UT"}, []),  # a rejected license is not
        ({"concern": "grief"}, ["Bo Cedar, LPC"]),
        ({"payer": "cigna"}, ["Ada Birch, LPC"]),
        ({"accepting": "no"}, ["Bo Cedar, LPC"]),
        ({"accepting": "yes", "concern": "anxiety"}, ["Ada Birch, LPC"]),
        ({"name": "birch"}, ["Ada Birch, LPC"]),
        ({"name": "Cedar", "payer": "cigna"}, []),
        ({"name": ""}, ["Ada Birch, LPC", "Bo Cedar, LPC"]),
    ],
)
def test_searching_filters_by_state_concern_payer_taking_new_clients_and_name(client, coordinator, query, expected):
    ada = ProviderFactory(first_name="Ada", last_name="Birch", concerns=["anxiety"], insurance=["cigna"])
    LicenseFactory(provider=ada, state="CO")
    bo = ProviderFactory(first_name="Bo", last_name="Cedar", concerns=["grief"], insurance=[], accepting_new=False)
    LicenseFactory(provider=bo, state="WY")
    if "state" in query:
        cy = ProviderFactory(first_name="Cy", last_name="Dale")
        LicenseFactory(provider=cy, state="NM", status=LicenseStatus.UNVERIFIED)
        LicenseFactory(provider=cy, state="UT", status=LicenseStatus.REJECTED)
    response = client.get("/staff/directory/", query)
    assert response.status_code == 200
    html = response.content.decode()
    assert result_names(html) == expected
    if not expected:
        assert "No provider matches these filters." in html


@pytest.mark.parametrize(
    ("query", "field"),
    [({"state": "ZZ"}, "state"), ({"concern": "astrology"}, "concern"), ({"payer": "x" * 500}, "payer"),
     ({"accepting": "maybe"}, "accepting"), ({"name": "n" * 101}, "name")],
)
def test_a_filter_that_cannot_be_used_is_named_and_nothing_breaks(client, coordinator, query, field):
    ProviderFactory()
    response = client.get("/staff/directory/", query)
    assert response.status_code == 200
    assert field in response.context["form"].errors
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert "Correct the filters marked above" in html
    assert result_names(html) == []


def test_results_come_25_to_a_page_and_the_next_page_keeps_the_filters(client, coordinator):
    for n in range(27):
        ProviderFactory(last_name=f"Grove{n:02d}", concerns=["sleep"])
    ProviderFactory(last_name="Other", concerns=["ocd"])
    first = client.get("/staff/directory/", {"concern": "sleep"}).content.decode()
    assert "27 providers, page 1 of 2" in first
    assert len(result_names(first)) == 25
    next_link = re.search(r'<a href="([^"]+)" rel="next">Next page</a>', first).group(1)
    assert "concern=sleep" in next_link and "page=2" in next_link
    second = client.get("/staff/directory/" + next_link.replace("&amp;", "&")).content.decode()
    shown = [name.split(" ")[1].rstrip(",") for name in result_names(first) + result_names(second)]
    assert shown == [f"Grove{n:02d}" for n in range(27)]
    assert "page 2 of 2" in second
    assert client.get("/staff/directory/", {"concern": "sleep", "page": "99"}).status_code == 200
    assert client.get("/staff/directory/", {"page": "not-a-number"}).status_code == 200


def test_the_staff_provider_page_shows_everything_including_licenses_and_private_notes(client, coordinator):
    provider = ProviderFactory(
        first_name="Ada", last_name="Birch", email="ada.birch@example.test", phone="+13035550123",
        address="17 Quiet Lane, Denver", user=UserFactory(role=Role.PROVIDER, email="ada.login@example.test"),
    )
    LicenseFactory(provider=provider, state="CO", license_type="LPC", number="LPC-0099887",
                   status=LicenseStatus.UNVERIFIED)
    TimeOffFactory(
        provider=provider, note="Conference", start=timezone.now() + dt.timedelta(days=1),
        end=timezone.now() + dt.timedelta(days=2),
    )
    html = client.get(f"/staff/directory/{provider.pk}/").content.decode()
    for text in ("Ada Birch, LPC", provider.npi, "Colorado LPC LPC-0099887", "Not yet verified",
                 "Not matched until verified",
                 "ada.birch@example.test", "+13035550123", "17 Quiet Lane, Denver", "ada.login@example.test",
                 "Conference", "America/Denver"):
        assert text in html, text
    assert ">Mark verified<" in html and ">Mark rejected<" in html


def test_a_staff_provider_page_for_no_provider_is_not_found(client, coordinator):
    assert client.get("/staff/directory/424242/").status_code == 404
    assert client.get("/staff/directory/99999999999999999999/").status_code == 404


def test_marking_a_license_verified_records_who_and_when_and_shows_it(client, coordinator):
    license = LicenseFactory(state="CO", license_type="LPC", number="LPC-1", status=LicenseStatus.UNVERIFIED)
    before = timezone.now()
    response = client.post(f"/staff/licenses/{license.pk}/status/", {"status": "verified"}, follow=True)
    assert response.redirect_chain == [(f"/staff/directory/{license.provider_id}/", 302)]
    license.refresh_from_db()
    assert license.status == LicenseStatus.VERIFIED
    assert license.verified_by == coordinator
    assert before <= license.verified_at <= timezone.now()
    html = response.content.decode()
    assert "The CO LPC license LPC-1 is marked verified." in html
    assert "Verified by</dt>" in html and "casey.coordinator@example.test" in html
    checked = license.verified_at.astimezone(dt.UTC)
    assert f"{checked.day} {checked:%b %Y, %H:%M} UTC" in html
    assert ">Mark verified<" not in html
    assert "Counts for matching" in html and "Not matched until verified" not in html


def test_the_staff_provider_page_says_which_import_vouched_for_a_license(client, coordinator):
    provider = ProviderFactory()
    LicenseFactory(provider=provider, number="FROM-ROSTER", verification_source=VerificationSource.ROSTER)
    LicenseFactory(provider=provider, state="NM", number="FROM-FHIR", verification_source=VerificationSource.FHIR)
    LicenseFactory(provider=provider, state="UT", number="OLD", expires=timezone.localdate() - dt.timedelta(days=1))
    html = client.get(f"/staff/directory/{provider.pk}/").content.decode()
    assert "<dd>the roster it was imported from</dd>" in html
    assert "<dd>the FHIR directory it was imported from</dd>" in html
    assert "No longer matched: expired" in html


def test_a_license_can_be_rejected_and_set_back_to_not_yet_verified(client, coordinator):
    license = LicenseFactory()
    client.post(f"/staff/licenses/{license.pk}/status/", {"status": "rejected"})
    license.refresh_from_db()
    assert (license.status, license.verified_by) == (LicenseStatus.REJECTED, coordinator)
    html = client.get(f"/staff/directory/{license.provider_id}/").content.decode()
    assert "Rejected by</dt>" in html

    response = client.post(f"/staff/licenses/{license.pk}/status/", {"status": "unverified"}, follow=True)
    license.refresh_from_db()
    assert (license.status, license.verified_by, license.verified_at) == (LicenseStatus.UNVERIFIED, None, None)
    assert "is set back to not yet verified." in response.content.decode()


@pytest.mark.parametrize("data", [{"status": "approved"}, {}, {"status": ""}])
def test_an_unknown_license_status_changes_nothing_and_says_why(client, coordinator, data):
    license = LicenseFactory(status=LicenseStatus.VERIFIED)
    response = client.post(f"/staff/licenses/{license.pk}/status/", data, follow=True)
    assert "Status: choose Verified, Rejected or Not yet verified. Nothing was changed." in response.content.decode()
    license.refresh_from_db()
    assert license.status == LicenseStatus.VERIFIED


def test_license_status_changes_are_posts_to_licenses_that_exist(client, coordinator):
    license = LicenseFactory()
    assert client.get(f"/staff/licenses/{license.pk}/status/").status_code == 405
    assert client.post("/staff/licenses/987654/status/", {"status": "verified"}).status_code == 404


def test_licenses_expiring_in_the_next_60_days_are_listed_soonest_first(client, coordinator):
    today = timezone.localdate()
    soon = LicenseFactory(number="SOON", expires=today + dt.timedelta(days=10))
    LicenseFactory(number="SOONEST", expires=today + dt.timedelta(days=1))
    LicenseFactory(number="LATER", expires=today + dt.timedelta(days=90))
    LicenseFactory(number="GONE", expires=today - dt.timedelta(days=1))
    LicenseFactory(number="REFUSED", expires=today + dt.timedelta(days=5), status=LicenseStatus.REJECTED)
    LicenseFactory(number="WAITING", expires=today + dt.timedelta(days=20), status=LicenseStatus.UNVERIFIED)
    html = client.get("/staff/licenses/expiring/").content.decode()
    assert re.findall(r"CO LPC (\w+) · expires", html) == ["SOONEST", "SOON", "WAITING"]
    assert "Not yet verified (not matched until verified)" in html
    assert "(in 10 days)" in html and "(in 1 day)" in html
    assert f'href="/staff/directory/{soon.provider_id}/"' in html
    assert License.objects.count() == 6


def test_no_licenses_expiring_soon_says_so(client, coordinator):
    LicenseFactory(expires=timezone.localdate() + dt.timedelta(days=200))
    html = client.get("/staff/licenses/expiring/").content.decode()
    assert "No license expires in the next 60 days." in html
