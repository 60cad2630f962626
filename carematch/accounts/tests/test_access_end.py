"""A password reset, a password change and "log out everywhere" end everything that acts for
the person: every session, every API token and the private calendar address. The person is
told by email what ended, when, and what to do if it was not them; no secret is in the email."""

from __future__ import annotations

import logging
import re

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import Client as Browser

from carematch.accounts import mfa, services
from carematch.accounts.models import AccessEndReason, ApiToken, Role
from carematch.scheduling import feeds
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import CalendarFeed, FeedRevoked
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

from .factories import PASSWORD, UserFactory, token_for

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-fresh-test-passphrase"


def bearer(raw: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


def feed_path(raw: str) -> str:
    return f"/calendar/feed/{raw}.ics"


class Holdings:
    """What someone could have taken away from a client's account: a logged-in browser,
    two API tokens and the calendar address."""

    def __init__(self, email: str) -> None:
        self.client = ClientFactory(user=UserFactory(email=email))
        self.user = self.client.user
        self.browser = Browser()
        assert self.browser.login(username=email, password=PASSWORD)
        self.tokens = [token_for(self.user), token_for(self.user)]
        _, self.feed = scheduling.calendar_feed_issue(user=self.user)

    def assert_all_work(self) -> None:
        for raw in self.tokens:
            assert Browser().get("/api/v1/me", **bearer(raw)).status_code == 200
        assert Browser().get(feed_path(self.feed)).status_code == 200
        assert self.browser.get("/accounts/").status_code == 200

    def assert_all_ended(self) -> None:
        for raw in self.tokens:
            assert_error_shape(Browser().get("/api/v1/me", **bearer(raw)), 401, "unauthenticated")
        assert Browser().get(feed_path(self.feed)).status_code == 404
        assert self.browser.get("/accounts/")["Location"].startswith("/accounts/login/")
        assert not ApiToken.objects.filter(user=self.user, revoked_at__isnull=True).exists()

    def secrets(self) -> list[str]:
        return [*self.tokens, *(raw[:11] for raw in self.tokens), self.feed, PASSWORD, NEW_PASSWORD]


def the_notice(to: str) -> mail.EmailMessage:
    sent = [message for message in mail.outbox if message.to == [to] and "logged out" in message.subject]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    return sent[0]


def assert_notice_tells_what_ended(notice: mail.EmailMessage, holdings: Holdings, *, why: str) -> None:
    body = notice.body
    assert why in body
    assert "every device and browser" in body
    assert "2 API tokens" in body
    assert "private calendar address: it no longer works" in body and "/calendar/" in body
    assert re.search(r"On \w{3} \d+ \w{3}( \d{4})?, \d+:\d\d [AP]M M[SD]T", body), body  # the client's zone
    assert "If it was not you" in body and "/accounts/password-reset/" in body
    for secret in holdings.secrets():
        assert secret not in body and secret not in notice.subject


def reset_password_through_the_emailed_link(email: str) -> None:
    anonymous = Browser()
    anonymous.post("/accounts/password-reset/", {"email": email})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = anonymous.get(link, follow=True)
    assert "Choose a new password" in form_page.content.decode()
    done = anonymous.post(form_page.redirect_chain[-1][0],
                          {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}, follow=True)
    page = done.content.decode()
    assert "Your password has been changed" in page and "your API tokens are revoked" in page


# --- Password reset ------------------------------------------------------------------------------


def test_a_password_reset_through_the_emailed_link_ends_sessions_tokens_and_the_calendar_address(
    django_capture_on_commit_callbacks,
):
    holdings = Holdings("reset@example.test")
    bystander = Holdings("bystander@example.test")
    holdings.assert_all_work()

    with django_capture_on_commit_callbacks(execute=True):
        reset_password_through_the_emailed_link("reset@example.test")

    holdings.assert_all_ended()
    bystander.assert_all_work()
    assert_notice_tells_what_ended(the_notice("reset@example.test"), holdings, why="your password was reset")
    feed = CalendarFeed.objects.get(user=holdings.user)
    assert feed.revoked_reason == FeedRevoked.PASSWORD_RESET

    # The new password works; the calendar page says why the old address stopped and offers a new one.
    again = Browser()
    assert again.login(username="reset@example.test", password=NEW_PASSWORD)
    page = again.get("/calendar/").content.decode()
    assert "Your old address stopped working" in page and "because your password was reset" in page
    assert holdings.feed[:11] in page and "Make my calendar address" in page
    made = again.post("/calendar/new/", follow=True).content.decode()
    assert "Your new address" in made and "Your old address stopped working" not in made


def test_a_reset_with_a_rejected_password_ends_nothing(django_capture_on_commit_callbacks):
    holdings = Holdings("careful@example.test")
    anonymous = Browser()
    anonymous.post("/accounts/password-reset/", {"email": "careful@example.test"})
    link = re.search(r"http://testserver(/accounts/password-reset/\S+/)", mail.outbox[-1].body).group(1)
    form_page = anonymous.get(link, follow=True)
    with django_capture_on_commit_callbacks(execute=True):
        refused = anonymous.post(form_page.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"})
    assert refused.status_code == 200 and "Choose a new password" in refused.content.decode()
    holdings.assert_all_work()
    assert len(mail.outbox) == 1  # only the reset link


# --- Log out everywhere --------------------------------------------------------------------------


def test_log_out_everywhere_ends_sessions_tokens_and_the_calendar_address(django_capture_on_commit_callbacks):
    holdings = Holdings("worried@example.test")
    bystander = Holdings("calm@example.test")
    here = Browser()
    here.force_login(holdings.user)

    with django_capture_on_commit_callbacks(execute=True):
        response = here.post("/accounts/logout/everywhere/", follow=True)
    assert "Your API tokens and your calendar address no longer work either" in response.content.decode()

    holdings.assert_all_ended()
    assert here.get("/accounts/")["Location"].startswith("/accounts/login/")
    bystander.assert_all_work()
    assert_notice_tells_what_ended(the_notice("worried@example.test"), holdings, why="you logged out everywhere")
    assert CalendarFeed.objects.get(user=holdings.user).revoked_reason == FeedRevoked.LOG_OUT_EVERYWHERE

    assert here.login(username="worried@example.test", password=PASSWORD)
    page = here.get("/calendar/").content.decode()
    assert "Your old address stopped working" in page and "because you logged out everywhere" in page


def test_the_notice_says_so_when_there_was_no_token_or_calendar_address(django_capture_on_commit_callbacks):
    user = UserFactory(email="plain@example.test", role=Role.COORDINATOR)
    with django_capture_on_commit_callbacks(execute=True):
        ended = services.user_access_end(user=user, reason=AccessEndReason.LOG_OUT_EVERYWHERE)
    assert (ended.api_tokens, ended.calendar_address) == (0, False)
    body = the_notice("plain@example.test").body
    assert "API tokens: you had none that worked" in body and "calendar address: you had none turned on" in body
    assert re.search(r"On \w{3} \d+ \w{3}( \d{4})?, \d+:\d\d [AP]M UTC", body), body  # no record with a zone: UTC


def test_a_log_in_waiting_for_its_code_cannot_be_finished_after_everything_ended():
    from django.utils import timezone

    from .factories import authenticator_give, code_at

    user = UserFactory(email="halfway@example.test")
    authenticator_give(user)
    halfway = Browser()
    assert halfway.post("/accounts/login/", {"username": "halfway@example.test", "password": PASSWORD})[
        "Location"].startswith("/accounts/login/code/")
    services.user_access_end(user=user, reason=AccessEndReason.LOG_OUT_EVERYWHERE)

    code = code_at(user.mfa_device.secret, mfa.time_step(timezone.now()))
    response = halfway.post("/accounts/login/code/", {"code": code})
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert "_auth_user_id" not in halfway.session and mfa.SESSION_PENDING not in halfway.session


# --- Password change (the Django admin's two pages) ----------------------------------------------


def verified_staff_browser(role: str = Role.ADMIN, **fields) -> tuple[Browser, object]:
    staff = UserFactory(role=role, **fields)
    browser = Browser()
    browser.force_login(staff)
    session = browser.session
    session[mfa.SESSION_VERIFIED] = True
    session.save()
    return browser, staff


def test_an_administrator_setting_someones_password_ends_all_their_access(django_capture_on_commit_callbacks):
    holdings = Holdings("managed@example.test")
    admin, _ = verified_staff_browser()
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post(f"/admin/accounts/user/{holdings.user.pk}/password/",
                              {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 302, response.content.decode()[:2000]
    holdings.assert_all_ended()
    assert_notice_tells_what_ended(the_notice("managed@example.test"), holdings, why="your password was changed")
    assert admin.get("/admin/").status_code == 200  # the administrator's own session is not theirs to lose


def test_a_coordinator_changing_their_own_password_keeps_only_that_session(django_capture_on_commit_callbacks):
    here, coordinator = verified_staff_browser(Role.COORDINATOR, email="coord@example.test")
    elsewhere = Browser()
    elsewhere.force_login(coordinator)
    raw = token_for(coordinator)
    with django_capture_on_commit_callbacks(execute=True):
        response = here.post("/admin/password_change/", {
            "old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD,
        })
    assert response.status_code == 302 and response["Location"] == "/admin/password_change/done/"
    assert_error_shape(Browser().get("/api/v1/me", **bearer(raw)), 401, "unauthenticated")
    assert elsewhere.get("/accounts/")["Location"].startswith("/accounts/login/")
    assert here.get("/accounts/").status_code == 200
    body = the_notice("coord@example.test").body
    assert "your password was changed" in body and "1 API token:" in body and raw not in body


# --- One service, all or nothing ------------------------------------------------------------------


def test_nothing_ends_and_no_email_goes_when_the_transaction_is_rolled_back(django_capture_on_commit_callbacks):
    holdings = Holdings("rollback@example.test")
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError), transaction.atomic():
        services.user_password_set(user=holdings.user, password=NEW_PASSWORD,
                                   reason=AccessEndReason.PASSWORD_RESET)
        raise RuntimeError("something later in the same transaction failed")
    holdings.user.refresh_from_db()
    holdings.assert_all_work()
    assert holdings.user.check_password(PASSWORD)
    assert mail.outbox == []


def test_an_unknown_reason_is_refused_before_anything_changes():
    holdings = Holdings("unknown@example.test")
    with pytest.raises(ValueError, match="reason must be one of"):
        services.user_access_end(user=holdings.user, reason="felt_like_it")
    holdings.assert_all_work()


def test_ending_access_is_logged_by_user_id_only(caplog, django_capture_on_commit_callbacks):
    holdings = Holdings("logged@example.test")
    with caplog.at_level(logging.INFO, logger="carematch.accounts"), django_capture_on_commit_callbacks(execute=True):
        services.user_access_end(user=holdings.user, reason=AccessEndReason.LOG_OUT_EVERYWHERE)
    lines = [r.getMessage() for r in caplog.records if r.name == "carematch.accounts"]
    assert f"all access of user {holdings.user.pk} ended (log_out_everywhere): every session, 2 API token(s), " \
           "1 calendar address(es)" in lines
    assert not any("logged@example.test" in line or any(s in line for s in holdings.secrets()) for line in lines)


# --- What the calendar page explains ----------------------------------------------------------------


@pytest.mark.parametrize(("how", "reason"), [
    (lambda user: scheduling.calendar_feed_issue(user=user), FeedRevoked.REPLACED),
    (lambda user: scheduling.calendar_feed_revoke(user=user), FeedRevoked.TURNED_OFF),
])
def test_an_address_the_person_replaced_or_turned_off_needs_no_explaining(how, reason):
    client = ClientFactory()
    first, _ = scheduling.calendar_feed_issue(user=client.user)
    how(client.user)
    first.refresh_from_db()
    assert first.revoked_reason == reason
    assert feeds.feed_ended_with_access(user=client.user) is None
    browser = Browser()
    browser.force_login(client.user)
    assert "Your old address stopped working" not in browser.get("/calendar/").content.decode()


def test_the_database_refuses_a_working_address_with_a_reason_or_an_unknown_reason():
    client = ClientFactory()
    feed, _ = scheduling.calendar_feed_issue(user=client.user)
    for change in ({"revoked_reason": FeedRevoked.TURNED_OFF}, {"revoked_at": feed.created_at,
                                                                 "revoked_reason": "because"}):
        with pytest.raises(IntegrityError), transaction.atomic():
            CalendarFeed.objects.filter(pk=feed.pk).update(**change)
