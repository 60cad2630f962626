"""A person sees their own working API tokens and revokes any of them, or all: on the page
/account/tokens/ and on the API (GET /api/v1/me/tokens, DELETE /api/v1/me/tokens/{id}).
Never the token itself, never someone else's token; a revoked token gets 401 at once."""

from __future__ import annotations

import logging

import pytest
from django.test import Client as Browser
from django.utils import timezone

from carematch.accounts import services
from carematch.accounts.models import ApiToken, Role
from carematch.tests.helpers import assert_error_shape

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def works(raw: str) -> bool:
    response = Browser().get("/api/v1/me", **bearer(raw))
    if response.status_code == 401:
        assert_error_shape(response, 401, "unauthenticated")
        return False
    assert response.status_code == 200
    return True


@pytest.fixture
def lee():
    return UserFactory(email="lee@example.test")


def issue(user, name: str = "") -> tuple[ApiToken, str]:
    return services.api_token_issue(user=user, name=name)


# --- The page ------------------------------------------------------------------------------------


def test_the_account_page_links_to_the_tokens_page(client, lee):
    client.force_login(lee)
    assert 'href="/account/tokens/"' in client.get("/accounts/").content.decode()


def test_the_page_lists_only_the_persons_working_tokens_and_never_a_token_itself(client, lee):
    laptop, laptop_raw = issue(lee, "Laptop sync")
    unnamed, unnamed_raw = issue(lee)
    gone, _ = issue(lee, "Old script")
    services.api_token_revoke(token=gone)
    ApiToken.objects.filter(pk=laptop.pk).update(last_used_at=timezone.now())
    _, someone_elses = issue(UserFactory(), "Not yours")

    client.force_login(lee)
    page = client.get("/account/tokens/").content.decode()
    assert "2 working tokens" in page
    assert "Laptop sync" in page and laptop.prefix in page and unnamed.prefix in page
    assert f"/account/tokens/{laptop.pk}/revoke/" in page and f"/account/tokens/{unnamed.pk}/revoke/" in page
    assert "never" in page  # the unnamed token was never used
    assert "Old script" not in page and "Not yours" not in page and someone_elses[:11] not in page
    for raw in (laptop_raw, unnamed_raw):
        assert raw not in page and ApiToken.objects.get(prefix=raw[:11]).digest not in page


def test_revoking_one_token_asks_first_then_it_stops_working(client, lee):
    token, raw = issue(lee, "Laptop sync")
    _, kept = issue(lee, "Phone")
    client.force_login(lee)

    confirm = client.get(f"/account/tokens/{token.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke “Laptop sync”?" in confirm.content.decode()
    assert works(raw)  # asking changes nothing

    done = client.post(f"/account/tokens/{token.pk}/revoke/", follow=True)
    assert "is revoked. It no longer works." in done.content.decode()
    assert done.redirect_chain[-1][0] == "/account/tokens/"
    assert not works(raw) and works(kept)
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404  # nothing left to revoke
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404


def test_nobody_reaches_anothers_token_on_the_page(client, lee):
    token, raw = issue(UserFactory(), "Theirs")
    client.force_login(lee)
    assert client.get(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.post(f"/account/tokens/{token.pk}/revoke/").status_code == 404
    assert client.get("/account/tokens/99999999/revoke/").status_code == 404
    assert works(raw)


def test_revoking_all_asks_first_then_every_token_of_the_person_stops_working(client, lee):
    mine = [issue(lee, name)[1] for name in ("One", "Two", "Three")]
    _, theirs = issue(UserFactory())
    client.force_login(lee)

    confirm = client.get("/account/tokens/revoke-all/").content.decode()
    assert "Revoke all 3 of your API tokens?" in confirm
    assert all(works(raw) for raw in mine)

    done = client.post("/account/tokens/revoke-all/", follow=True).content.decode()
    assert "3 API tokens are revoked." in done and "You have no working API tokens" in done
    assert not any(works(raw) for raw in mine)
    assert works(theirs)
    again = client.post("/account/tokens/revoke-all/", follow=True).content.decode()
    assert "You had no working API tokens to revoke." in again


def test_revoking_on_the_page_needs_the_csrf_token(lee):
    token, raw = issue(lee)
    browser = Browser(enforce_csrf_checks=True)
    browser.force_login(lee)
    assert browser.post(f"/account/tokens/{token.pk}/revoke/").status_code == 403
    assert browser.post("/account/tokens/revoke-all/").status_code == 403
    assert works(raw)


def test_the_tokens_pages_are_for_signed_in_people(client, lee):
    token, raw = issue(lee)
    for path in ("/account/tokens/", f"/account/tokens/{token.pk}/revoke/", "/account/tokens/revoke-all/"):
        assert client.get(path)["Location"].startswith("/accounts/login/?next=")
    for path in (f"/account/tokens/{token.pk}/revoke/", "/account/tokens/revoke-all/"):
        assert client.post(path)["Location"].startswith("/accounts/login/?next=")
    assert works(raw)


# --- The API -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CLIENT, Role.PROVIDER, Role.COORDINATOR, Role.ADMIN])
def test_the_api_lists_only_the_callers_working_tokens(client, role):
    me = UserFactory(role=role)
    used, raw = issue(me, "Sync")
    other, _ = issue(me)
    revoked, _ = issue(me, "Gone")
    services.api_token_revoke(token=revoked)
    issue(UserFactory(role=role), "Someone else's")

    response = client.get("/api/v1/me/tokens", **bearer(raw))
    assert response.status_code == 200
    body = response.json()
    used.refresh_from_db()
    assert body["count"] == 2 and [item["id"] for item in body["items"]] == [other.pk, used.pk]
    assert body["items"][1] == {
        "id": used.pk, "name": "Sync", "prefix": used.prefix, "created_at": body["items"][1]["created_at"],
        "last_used_at": body["items"][1]["last_used_at"],
    }
    assert body["items"][1]["last_used_at"] is not None  # this very request used it
    assert body["items"][0]["name"] == "" and body["items"][0]["last_used_at"] is None
    assert raw not in response.content.decode() and used.digest not in response.content.decode()


def test_delete_revokes_one_of_the_callers_tokens_and_it_then_gets_401(client, lee):
    _, raw = issue(lee)
    other, other_raw = issue(lee)
    response = client.delete(f"/api/v1/me/tokens/{other.pk}", **bearer(raw))
    assert response.status_code == 204 and response.content == b""
    assert not works(other_raw) and works(raw)
    listed = client.get("/api/v1/me/tokens", **bearer(raw)).json()
    assert listed["count"] == 1 and other.pk not in [item["id"] for item in listed["items"]]


def test_delete_may_revoke_the_token_it_is_sent_with(client, lee):
    token, raw = issue(lee)
    assert client.delete(f"/api/v1/me/tokens/{token.pk}", **bearer(raw)).status_code == 204
    assert not works(raw)
    assert_error_shape(client.delete(f"/api/v1/me/tokens/{token.pk}", **bearer(raw)), 401, "unauthenticated")


def test_delete_of_anothers_token_a_revoked_one_or_none_is_404_and_changes_nothing(client, lee):
    _, raw = issue(lee)
    theirs, theirs_raw = issue(UserFactory(role=Role.CLIENT))
    mine_revoked, _ = issue(lee)
    services.api_token_revoke(token=mine_revoked)
    revoked_at = ApiToken.objects.get(pk=mine_revoked.pk).revoked_at
    for token_id in (theirs.pk, mine_revoked.pk, 99999999):
        assert_error_shape(client.delete(f"/api/v1/me/tokens/{token_id}", **bearer(raw)), 404, "not_found")
    assert works(theirs_raw)
    assert ApiToken.objects.get(pk=mine_revoked.pk).revoked_at == revoked_at
    assert_error_shape(client.delete("/api/v1/me/tokens/0", **bearer(raw)), 422, "invalid_input")
    assert_error_shape(client.delete("/api/v1/me/tokens/abc", **bearer(raw)), 422, "invalid_input")


def test_the_token_operations_need_a_token(client, lee):
    token, raw = issue(lee)
    assert_error_shape(client.get("/api/v1/me/tokens"), 401, "unauthenticated")
    assert_error_shape(client.delete(f"/api/v1/me/tokens/{token.pk}"), 401, "unauthenticated")
    assert works(raw)


def test_revocations_are_logged_by_user_and_token_id_only(client, lee, caplog):
    _, raw = issue(lee)
    second, _ = issue(lee)
    with caplog.at_level(logging.INFO, logger="carematch.accounts"):
        client.delete(f"/api/v1/me/tokens/{second.pk}", **bearer(raw))
        client.force_login(lee)
        client.post("/account/tokens/revoke-all/")
    lines = [r.getMessage() for r in caplog.records if r.name == "carematch.accounts"]
    assert f"API token {second.pk} of user {lee.pk} revoked by its owner" in lines
    assert f"1 API token(s) of user {lee.pk} revoked" in lines
    assert not any("lee@example.test" in line or raw in line or raw[:11] in line for line in lines)
