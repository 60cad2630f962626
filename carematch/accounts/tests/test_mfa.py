"""Two-step log-in: authenticator apps (TOTP) with recovery codes. Required for providers,
coordinators and admins; a choice for clients. These tests use the real log-in form."""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from django.conf import settings
from django.core import mail
from django.db import connection
from django.utils import timezone

from carematch.accounts import mfa, services
from carematch.accounts.models import LoginAttempt, MfaDevice, RecoveryCode, Role
from carematch.lib.errors import InvalidInput
from carematch.tests.helpers import inline_scripts

from .factories import (
    PASSWORD,
    TEST_TOTP_SECRET,
    UserFactory,
    auth_header,
    authenticator_code,
    authenticator_give,
    code_at,
)

pytestmark = pytest.mark.django_db

WRONG = "That code did not work."
TOO_MANY = "Too many wrong codes. Please wait 15 minutes and try again."


def now_code(secret: str = TEST_TOTP_SECRET) -> str:
    return code_at(secret, mfa.time_step(timezone.now()))


def password_step(client, email, next_url=""):
    data = {"username": email, "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post("/accounts/login/", data)


def code_step(client, code, next_url=""):
    return client.post("/accounts/login/code/", {"code": code, "next": next_url})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def setup_secret(html: str) -> str:
    found = re.search(r'<code id="mfa-secret" class="secret">([A-Z2-7 ]+)</code>', html)
    assert found, "the setup key is shown as text"
    return found.group(1).replace(" ", "")


def enrol(client) -> tuple[str, list[str]]:
    """Set up an app through the pages; returns the secret and the recovery codes shown."""
    page = client.get("/accounts/two-step/setup/")
    assert page.status_code == 200
    secret = setup_secret(page.content.decode())
    done = client.post("/accounts/two-step/setup/", {"code": now_code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", done.content.decode())
    return secret, codes


# --- Enrolment -----------------------------------------------------------------------------


def test_enrolment_shows_a_qr_code_and_the_key_and_takes_effect_only_with_a_right_code(client):
    user = UserFactory(email="dana@example.test")
    client.force_login(user)
    page = client.get("/accounts/two-step/setup/")
    html = page.content.decode()
    assert page.status_code == 200 and "Set up two-step log-in" in html
    assert "<svg" in html and 'class="segno"' in html
    svg = html[html.index("<svg"):html.index("</svg>")]
    assert "style=" not in svg and not inline_scripts(html)
    secret = setup_secret(html)
    assert len(secret) == 32
    # A reload shows the same key, so a code from an app that already scanned it still works.
    assert setup_secret(client.get("/accounts/two-step/setup/").content.decode()) == secret

    wrong = client.post("/accounts/two-step/setup/", {"code": "000000" if now_code(secret) != "000000" else "111111"})
    assert WRONG in wrong.content.decode()
    assert services.mfa_device_of(user) is None

    done = client.post("/accounts/two-step/setup/", {"code": now_code(secret)})
    html = done.content.decode()
    assert "Two-step log-in is on." in html and "They are shown only now." in html
    assert "no-store" in done["Cache-Control"]
    codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", html)
    assert len(set(codes)) == 10
    device = services.mfa_device_of(user)
    assert device is not None and device.secret == secret
    # The secret is stored encrypted; recovery codes only as digests.
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM accounts_mfadevice WHERE id = %s", [device.pk])
        stored = cursor.fetchone()[0]
    assert stored.startswith("enc1:") and secret not in stored
    digests = set(RecoveryCode.objects.filter(user=user).values_list("digest", flat=True))
    assert len(digests) == 10 and not digests & set(codes)
    # Once set up, the setup page leads to the management page.
    assert client.get("/accounts/two-step/setup/")["Location"] == "/accounts/two-step/"


def test_the_provisioning_address_names_carematch_and_the_account():
    uri = mfa.provisioning_uri(secret=TEST_TOTP_SECRET, email="dana@example.test")
    assert uri.startswith("otpauth://totp/carematch:dana%40example.test?")
    assert f"secret={TEST_TOTP_SECRET}" in uri and "issuer=carematch" in uri


# --- Logging in with a code ----------------------------------------------------------------


def test_the_password_alone_does_not_log_in_a_person_with_an_app_and_a_right_code_does(client):
    user = UserFactory(email="lee@example.test")
    authenticator_give(user)
    first = password_step(client, "lee@example.test", next_url="/find/")
    assert first.status_code == 302 and first["Location"] == "/accounts/login/code/?next=%2Ffind%2F"
    assert not logged_in(client)
    assert client.get("/accounts/")["Location"].startswith("/accounts/login/")
    page = client.get(first["Location"])
    assert "Enter your code" in page.content.decode() and 'autocomplete="one-time-code"' in page.content.decode()

    pending_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    done = code_step(client, now_code(), next_url="/find/")
    assert done.status_code == 302 and done["Location"] == "/find/"
    assert logged_in(client) and client.session[mfa.SESSION_VERIFIED] is True
    assert client.cookies[settings.SESSION_COOKIE_NAME].value != pending_key  # a new session key
    assert mfa.SESSION_PENDING not in client.session
    assert client.get("/accounts/").status_code == 200


def test_a_wrong_code_is_refused_with_a_clear_message_and_does_not_log_in(client):
    authenticator_give(UserFactory(email="lee@example.test"))
    password_step(client, "lee@example.test")
    right = now_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    response = code_step(client, wrong)
    assert response.status_code == 200 and WRONG in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()
    assert not logged_in(client)
    assert LoginAttempt.objects.filter(kind=LoginAttempt.Kind.SECOND_FACTOR, succeeded=False).count() == 1


def test_a_code_works_once_even_within_its_30_seconds(client):
    authenticator_give(UserFactory(email="lee@example.test"))
    code = now_code()
    password_step(client, "lee@example.test")
    assert code_step(client, code).status_code == 302
    client.post("/accounts/logout/")
    password_step(client, "lee@example.test")
    replayed = code_step(client, code)
    assert replayed.status_code == 200 and WRONG in replayed.content.decode()
    assert not logged_in(client)


def test_codes_are_accepted_one_step_either_side_and_never_for_an_earlier_step_than_one_used():
    user = UserFactory()
    authenticator_give(user)
    t = dt.datetime(2026, 3, 8, 12, 0, 10, tzinfo=dt.UTC)
    step = mfa.time_step(t)
    for offset in (-2, 2):
        with pytest.raises(InvalidInput):
            services.mfa_code_check(user=user, code=code_at(TEST_TOTP_SECRET, step + offset), address="10.0.0.1", now=t)
    assert services.mfa_code_check(user=user, code=code_at(TEST_TOTP_SECRET, step + 1), address="10.0.0.1",
                                   now=t) == "totp"
    # The step after the current one is used: the current and earlier steps are now spent.
    for offset in (-1, 0, 1):
        with pytest.raises(InvalidInput):
            services.mfa_code_check(user=user, code=code_at(TEST_TOTP_SECRET, step + offset), address="10.0.0.1",
                                    now=t)
    assert MfaDevice.objects.get(user=user).last_used_step == step + 1


def test_a_pending_log_in_expires_after_five_minutes(client):
    authenticator_give(UserFactory(email="lee@example.test"))
    password_step(client, "lee@example.test")
    session = client.session
    session[mfa.SESSION_PENDING]["at"] = (timezone.now() - dt.timedelta(minutes=5, seconds=1)).isoformat()
    session.save()
    response = code_step(client, now_code())
    assert response.status_code == 302 and response["Location"] == "/accounts/login/"
    assert not logged_in(client) and mfa.SESSION_PENDING not in client.session
    follow = client.get(response["Location"])
    assert "the code has to be entered within 5 minutes of the password" in follow.content.decode()
    # Without a password step first there is nothing to enter a code for.
    assert code_step(client, now_code()).status_code == 302 and not logged_in(client)


def test_five_wrong_codes_refuse_the_account_for_a_while_with_a_clear_message(client):
    authenticator_give(UserFactory(email="lee@example.test"))
    password_step(client, "lee@example.test")
    wrong = f"{(int(now_code()) + 500_000) % 1_000_000:06d}"
    for _ in range(5):
        assert WRONG in code_step(client, wrong).content.decode()
    refused = code_step(client, now_code())  # even the right code
    assert TOO_MANY in refused.content.decode() and not logged_in(client)
    # Another account at the same address is not affected.
    other = UserFactory(email="sam@example.test")
    authenticator_give(other)
    from django.test import Client

    elsewhere = Client()
    password_step(elsewhere, "sam@example.test")
    assert code_step(elsewhere, now_code()).status_code == 302


# --- Recovery codes ------------------------------------------------------------------------


def test_a_recovery_code_logs_in_once(client):
    user = UserFactory(email="dana@example.test")
    client.force_login(user)
    _, codes = enrol(client)
    client.post("/accounts/logout/")

    password_step(client, "dana@example.test")
    response = code_step(client, codes[3].upper().replace("-", " "))  # as typed from paper
    assert response.status_code == 302 and logged_in(client)
    assert "You have 9 left" in client.get("/accounts/").content.decode()
    client.post("/accounts/logout/")

    password_step(client, "dana@example.test")
    again = code_step(client, codes[3])
    assert WRONG in again.content.decode() and not logged_in(client)
    assert RecoveryCode.objects.filter(user=user, used_at__isnull=False).count() == 1


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(client):
    user = UserFactory(email="dana@example.test")
    client.force_login(user)
    secret, old_codes = enrol(client)
    refused = client.post("/accounts/two-step/", {"action": "codes", "codes-code": old_codes[0]})
    assert WRONG in refused.content.decode()

    step = MfaDevice.objects.get(user=user).last_used_step
    fresh = client.post("/accounts/two-step/", {"action": "codes", "codes-code": code_at(secret, step + 1)})
    assert "Your old recovery codes no longer work." in fresh.content.decode()
    new_codes = re.findall(r"<li><code>([a-z2-9]{5}-[a-z2-9]{5})</code></li>", fresh.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert "New recovery codes were made" in mail.outbox[-1].body
    assert not any(c in mail.outbox[-1].body for c in new_codes)
    with pytest.raises(InvalidInput):
        services.mfa_code_check(user=user, code=old_codes[1], address="10.0.0.1")
    assert services.mfa_code_check(user=user, code=new_codes[1], address="10.0.0.1") == "recovery"


# --- Clients choose ------------------------------------------------------------------------


def test_a_client_turns_two_step_log_in_on_and_off_with_a_code(client):
    user = UserFactory(email="dana@example.test")
    assert password_step(client, "dana@example.test")["Location"] == "/accounts/"  # no app: the password suffices
    home = client.get("/accounts/").content.decode()
    assert "Off: you log in with your password alone." in home
    secret, _ = enrol(client)
    assert "On: logging in needs your password" in client.get("/accounts/").content.decode()

    manage = client.get("/accounts/two-step/").content.decode()
    assert "Turn two-step log-in off" in manage
    wrong = client.post("/accounts/two-step/", {"action": "off", "off-code": "123456"})
    assert WRONG in wrong.content.decode() and services.mfa_device_of(user) is not None
    step = MfaDevice.objects.get(user=user).last_used_step
    off = client.post("/accounts/two-step/", {"action": "off", "off-code": code_at(secret, step + 1)}, follow=True)
    assert "Two-step log-in is off." in off.content.decode()
    assert not MfaDevice.objects.filter(user=user).exists() and not RecoveryCode.objects.filter(user=user).exists()
    # Each change to the second factor is told to the person by email, without the key or codes.
    notices = [m for m in mail.outbox if m.subject == "A change to how you sign in to carematch"]
    assert [m.to for m in notices] == [["dana@example.test"]] * 2
    assert "was set up" in notices[0].body and "was removed" in notices[1].body
    assert secret not in notices[0].body and "/accounts/password-reset/" in notices[1].body

    client.post("/accounts/logout/")
    assert password_step(client, "dana@example.test")["Location"] == "/accounts/"


def test_turning_it_on_ends_the_persons_other_sessions_that_entered_no_code(client):
    from django.test import Client

    user = UserFactory(email="dana@example.test")
    other_device = Client()
    password_step(other_device, "dana@example.test")
    assert other_device.get("/accounts/").status_code == 200
    client.force_login(user)
    enrol(client)
    response = other_device.get("/accounts/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=%2Faccounts%2F"
    assert not logged_in(other_device)
    assert client.get("/accounts/").status_code == 200  # the session that set it up carries on


# --- Staff and providers must ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.PROVIDER, Role.COORDINATOR, Role.ADMIN])
def test_staff_and_providers_without_an_app_can_only_set_one_up_or_log_out(client, role):
    UserFactory(email="staff@example.test", role=role)
    first = password_step(client, "staff@example.test", next_url="/accounts/")
    assert first["Location"] == "/accounts/two-step/setup/?next=%2Faccounts%2F"
    for path in ("/accounts/", "/staff/", "/admin/", "/admin/accounts/user/", "/find/", "/provider/profile/",
                 "/accounts/two-step/"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/two-step/setup/?next="), (path, response["Location"])
    assert client.post("/staff/").status_code == 302
    page = client.get("/accounts/two-step/setup/").content.decode()
    assert "Your account can see other people's records" in page
    assert client.get(f"/{settings.STATIC_URL.strip('/')}/css/carematch.css").status_code != 302  # not sent away

    secret = setup_secret(page)
    done = client.post("/accounts/two-step/setup/", {"code": now_code(secret), "next": "/accounts/"})
    assert done.status_code == 200 and 'href="/accounts/"' in done.content.decode()
    assert client.get("/accounts/").status_code == 200
    if role != Role.PROVIDER:
        assert client.get("/staff/").status_code == 200
        assert client.get("/admin/").status_code == 200


def test_staff_may_log_out_before_setting_up(client):
    UserFactory(email="staff@example.test", role=Role.COORDINATOR)
    password_step(client, "staff@example.test")
    assert client.post("/accounts/logout/").status_code == 302
    assert not logged_in(client)


def test_staff_replacing_their_app_must_set_up_the_new_one_at_once(client):
    user = UserFactory(email="staff@example.test", role=Role.COORDINATOR)
    authenticator_give(user)
    password_step(client, "staff@example.test")
    code_step(client, now_code())
    manage = client.get("/accounts/two-step/").content.decode()
    assert "Replace your authenticator app" in manage and "Turn two-step log-in off" not in manage
    step = MfaDevice.objects.get(user=user).last_used_step
    response = client.post("/accounts/two-step/", {"action": "off", "off-code": code_at(TEST_TOTP_SECRET, step + 1)})
    assert response["Location"] == "/accounts/two-step/setup/"
    assert client.get("/staff/")["Location"].startswith("/accounts/two-step/setup/")


def test_staff_with_an_app_log_in_with_a_code_and_then_reach_staff_pages(client):
    authenticator_give(UserFactory(email="staff@example.test", role=Role.ADMIN))
    assert password_step(client, "staff@example.test", next_url="/admin/")["Location"].startswith(
        "/accounts/login/code/"
    )
    assert client.get("/admin/")["Location"].startswith("/admin/login/")
    assert code_step(client, now_code(), next_url="/admin/")["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200 and client.get("/staff/").status_code == 200


@pytest.mark.parametrize(("role", "landing"), [
    (Role.COORDINATOR, "/staff/"), (Role.ADMIN, "/staff/"), (Role.PROVIDER, "/accounts/"),
])
def test_with_no_page_asked_for_a_coordinator_lands_on_the_staff_home_and_others_on_their_account(
    client, role, landing,
):
    authenticator_give(UserFactory(email="lands@example.test", role=role))
    password_step(client, "lands@example.test")
    assert code_step(client, now_code())["Location"] == landing
    assert client.get("/accounts/login/")["Location"] == landing  # already logged in
    assert client.get(landing).status_code == 200


def test_a_client_without_an_app_lands_on_their_account_and_a_page_asked_for_wins(client):
    UserFactory(email="client@example.test", role=Role.CLIENT)
    assert password_step(client, "client@example.test")["Location"] == "/accounts/"
    client.logout()
    authenticator_give(UserFactory(email="coord@example.test", role=Role.COORDINATOR))
    password_step(client, "coord@example.test", next_url="/staff/audit/")
    assert code_step(client, now_code(), next_url="/staff/audit/")["Location"] == "/staff/audit/"


def test_the_admin_log_in_page_sends_people_to_the_log_in_that_asks_for_the_code(client):
    response = client.get("/admin/login/?next=/admin/accounts/user/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Faccounts%2Fuser%2F"
    offsite = client.get("/admin/login/?next=https://elsewhere.example/")
    assert offsite["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    authenticator_give(UserFactory(email="boss@example.test", role=Role.ADMIN))
    posted = client.post("/admin/login/", {"username": "boss@example.test", "password": PASSWORD})
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert not logged_in(client)


def test_api_tokens_are_not_affected(client):
    coordinator = UserFactory(email="staff@example.test", role=Role.COORDINATOR)  # no authenticator app
    response = client.get("/api/v1/me", **auth_header(coordinator))
    assert response.status_code == 200 and response.json()["email"] == "staff@example.test"


def test_codes_are_never_written_to_the_log(client, caplog):
    authenticator_give(UserFactory(email="lee@example.test"))
    password_step(client, "lee@example.test")
    code = now_code()
    code_step(client, "999999" if code != "999999" else "888888")
    code_step(client, code)
    assert TEST_TOTP_SECRET not in caplog.text and code not in caplog.text


def test_the_helpers_agree_with_an_authenticator_app():
    moment = dt.datetime(2026, 3, 8, 12, 0, 10, tzinfo=dt.UTC)
    expected = pyotp.TOTP(TEST_TOTP_SECRET).at(moment)
    assert mfa.matching_step(secret=TEST_TOTP_SECRET, code=expected, now=moment, after_step=None) \
        == mfa.time_step(moment)
    assert mfa.secret_for_display("ABCDEFGH") == "ABCD EFGH"
    code = mfa.recovery_code_new()
    assert re.fullmatch(r"[a-z2-9]{5}-[a-z2-9]{5}", code)
    assert mfa.recovery_code_digest(code.upper()) == mfa.recovery_code_digest(code.replace("-", ""))


def test_demo_staff_and_provider_log_in_with_the_published_demo_key(client):
    from carematch.accounts.demo import DEMO_PASSWORD, DEMO_TOTP_SECRET, seed_demo_accounts

    accounts = {user.role: user for user, _ in seed_demo_accounts()}
    assert services.mfa_device_of(accounts[Role.CLIENT]) is None
    for role in (Role.ADMIN, Role.COORDINATOR, Role.PROVIDER):
        assert services.mfa_device_of(accounts[role]).secret == DEMO_TOTP_SECRET
    seed_demo_accounts()  # seeding again changes nothing
    assert MfaDevice.objects.count() == 3
    client.post("/accounts/login/", {"username": accounts[Role.COORDINATOR].email, "password": DEMO_PASSWORD})
    assert code_step(client, pyotp.TOTP(DEMO_TOTP_SECRET).now()).status_code == 302
    assert client.get("/staff/").status_code == 200


def test_the_tests_third_code_within_one_step_moves_the_suites_clock_instead_of_waiting():
    """Two log-ins in one 30-second step use this step's code and the next one; a third takes
    the one after, which the person's app would show only later. The factory moves the
    suite's clock to it rather than sleeping (up to 30 s a log-in)."""
    import time

    user = UserFactory(role=Role.PROVIDER)
    device = authenticator_give(user)
    step = mfa.time_step(timezone.now())
    MfaDevice.objects.filter(pk=device.pk).update(last_used_step=step + 1)

    started = time.perf_counter()
    code = authenticator_code(user.email)
    assert time.perf_counter() - started < 5
    assert code == code_at(TEST_TOTP_SECRET, step + 2)
    assert mfa.time_step(timezone.now()) >= step + 1
    assert mfa.matching_step(secret=TEST_TOTP_SECRET, code=code, now=timezone.now(), after_step=step + 1) == step + 2
