"""Script and SQL injection in every free-text field a person can submit, on the pages and
through the API: each string is either refused with a clear field error, or stored exactly
as typed and shown escaped wherever it is displayed. The tables are all still there after.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from carematch.accounts.models import Role, SignUpRequest, User
from carematch.accounts.tests.factories import PASSWORD, UserFactory, auth_header
from carematch.care.models import Activity, CheckIn, GoalVersion
from carematch.directory.models import Provider, TimeOff
from carematch.measures.models import Alert
from carematch.measures.tests.factories import in_care, phq9, record
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

ATTACKS = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'; DROP TABLE accounts_user; --",
    "' OR '1'='1",
    '" OR ""="',
    "1; SELECT pg_sleep(10); --",
    "admin'--",
    "') UNION SELECT email, password FROM accounts_user --",
    "{{7*7}}",
    "${7*7}",
    "{% load static %}{% debug %}",
    "#{7*7} <%= 7*7 %>",
    "<svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "javascript:alert(document.cookie)",
    '<a href="javascript:alert(1)">click</a>',
    "&lt;b&gt;already escaped&lt;/b&gt;",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "\u202eexe.evil\u202c",  # right-to-left override
    # accents, emoji, CJK, a full-width <script>
    "Zo\u00eb \U0001f331 \u540d\u524d \uff1c\uff53\uff43\uff52\uff49\uff50\uff54\uff1e",
    "a\u200bb\u200dc\ufeffd",  # zero-width characters and a byte-order mark
    "e\u0301\u0301\u0301 n\u0303",  # combining marks
    "tab\tvertical\x0bescape\x1b[31m",  # control characters
    "nul\x00byte",
    "<b>" * 60,  # 180 characters of markup
    "x" * 450,
    "y" * 100_000,
]
UNSAFE = {"<", ">", '"', "'", "&"}
TABLES = {"accounts_user", "directory_provider", "care_goal", "measures_alert", "scheduling_appointment"}


@dataclass
class Page:
    """A page form with a free-text field: how to submit a value and where it is shown."""

    name: str
    submit: Callable[[str], tuple[Client, Any, Callable[[], str | None]]]
    shown_at: Callable[[Any], list[tuple[Client, str]]]
    # How the service deliberately tidies the text before storing it (nothing, for most).
    normalise: Callable[[str], str] = str


def _logged_in(user: User) -> Client:
    browser = Client()
    browser.force_login(user)
    return browser


def _today() -> dt.date:
    return timezone.localdate()


def _next_monday() -> str:
    today = _today()
    return (today + dt.timedelta(days=7 - today.weekday() + 7)).isoformat()


def sign_up(value: str):
    """Sign up, then confirm with the emailed link: the account (and its name) exists from then."""
    browser = Client(REMOTE_ADDR=f"10.9.{len(value) % 250}.{abs(hash(value)) % 250}")
    email = f"signup{SignUpRequest.objects.count()}@example.test"
    response = browser.post("/accounts/signup/", {
        "email": email, "preferred_name": value, "password1": PASSWORD, "password2": PASSWORD,
    })
    if SignUpRequest.objects.filter(email=email).exists():
        link = re.search(r"/accounts/signup/confirm/[^/\s]+/", mail.outbox[-1].body)
        assert link, "the sign-up email has a confirmation link"
        confirmed = browser.post(link.group(0))
        assert confirmed.status_code == 302, confirmed.status_code
        response = confirmed
    return browser, response, lambda: (User.objects.filter(email=email).values_list("preferred_name", flat=True)
                                       .first())


def provider_bio(value: str):
    _, provider = in_care()
    browser = _logged_in(provider.user)
    data = {"bio": value, "concerns": provider.concerns, "approaches": provider.approaches,
            "populations": provider.populations, "languages": provider.languages, "formats": provider.formats,
            "insurance": provider.insurance, "self_pay_rate": "120", "accepting_new": "on", "min_notice_hours": "2"}
    response = browser.post("/provider/profile/", data)
    stored = Provider.objects.get(pk=provider.pk).bio
    return browser, (response, provider), lambda: stored or None


def time_off_note(value: str):
    _, provider = in_care()
    browser = _logged_in(provider.user)
    day = _next_monday()
    response = browser.post("/provider/availability/time-off/", {
        "time_off-start": f"{day}T09:00", "time_off-end": f"{day}T17:00", "time_off-note": value,
    })
    return browser, (response, provider), lambda: TimeOff.objects.filter(provider=provider).values_list(
        "note", flat=True).first()


def goal_text(value: str):
    client, provider = in_care()
    browser = _logged_in(client.user)
    response = browser.post("/progress/goals/new/", {
        "text": value, "measure": "self_rating", "rating_target": "8", "target_date": _next_monday(),
    })
    return browser, (response, client, provider), lambda: GoalVersion.objects.filter(
        goal__client=client).values_list("text", flat=True).first()


def activity_text(value: str):
    client, provider = in_care()
    browser = _logged_in(client.user)
    response = browser.post("/progress/plan/new/", {"kind": "own", "text": value, "times": "3", "period": "week"})
    return browser, (response, client, provider), lambda: Activity.objects.filter(client=client).values_list(
        "text", flat=True).first()


def check_in_note(value: str):
    client, provider = in_care()
    browser = _logged_in(client.user)
    created = browser.post("/progress/plan/new/", {"kind": "exercise", "text": "", "times": "3", "period": "week"})
    assert created.status_code == 302
    activity = Activity.objects.get(client=client)
    response = browser.post(f"/progress/plan/{activity.pk}/check-in/", {
        "done_on": _today().isoformat(), "mood": "6", "note": value,
    })
    return browser, (response, client, provider), lambda: CheckIn.objects.filter(
        activity=activity).values_list("note", flat=True).first()


def alert_note(value: str):
    client, provider = in_care()
    record(client, "phq9", phq9(12, item9=1))
    alert = Alert.objects.get(client=client)
    browser = _logged_in(provider.user)
    response = browser.post(f"/provider/alerts/{alert.pk}/acknowledge/", {f"alert-{alert.pk}-note": value})
    return browser, (response, provider), lambda: Alert.objects.filter(
        pk=alert.pk, acknowledged_at__isnull=False).values_list("note", flat=True).first()


def _crisis_request(field: str, value: str):
    """Ask to be contacted from the crisis page with `value` in `field`; each from its own
    address (requests to be contacted are limited per address)."""
    from carematch.scheduling.models import CrisisRequest

    before = set(CrisisRequest.objects.values_list("pk", flat=True))
    browser = Client(REMOTE_ADDR=f"10.9.{len(before) // 250}.{len(before) % 250 + 1}")
    browser.post("/find/", {"in_danger": "yes"})
    data = {"name": "Ash", "phone": "303 555 0142", "email": "", "state": "CO", "message": ""} | {field: value}
    response = browser.post("/find/help-now/", data)

    def stored() -> str | None:
        made = CrisisRequest.objects.exclude(pk__in=before).first()
        return getattr(made, field) if made is not None else None

    return browser, (response,), stored


def crisis_contact_name(value: str):
    return _crisis_request("name", value)


def crisis_message(value: str):
    return _crisis_request("message", value)


def _crisis_queue(ctx):
    return [(_logged_in(UserFactory(role=Role.COORDINATOR)), "/staff/crisis/")]


def directory_search(value: str):
    """A coordinator's directory search echoes the name typed: a reflected-input check."""
    browser = _logged_in(UserFactory(role=Role.COORDINATOR))
    response = browser.get("/staff/directory/", {"name": value})
    return browser, (response,), lambda: None


PAGES = [
    Page("sign-up preferred name", sign_up, lambda ctx: []),
    Page("provider bio", provider_bio, lambda ctx: [(Client(), f"/providers/{ctx[1].pk}/")]),
    Page("time-off note", time_off_note, lambda ctx: [(_logged_in(ctx[1].user), "/provider/availability/")],
         normalise=lambda value: " ".join(value.split())),  # a one-line note: runs of whitespace become one space
    Page("goal text", goal_text, lambda ctx: [(_logged_in(ctx[1].user), "/progress/"),
                                              (_logged_in(ctx[2].user), f"/caseload/{ctx[1].pk}/")]),
    Page("plan activity text", activity_text, lambda ctx: [(_logged_in(ctx[1].user), "/progress/"),
                                                           (_logged_in(ctx[2].user), f"/caseload/{ctx[1].pk}/")]),
    Page("check-in note", check_in_note, lambda ctx: [(_logged_in(ctx[1].user), "/progress/"),
                                                      (_logged_in(ctx[2].user), f"/caseload/{ctx[1].pk}/")]),
    Page("alert acknowledgement note", alert_note, lambda ctx: [(_logged_in(ctx[1].user), "/provider/alerts/")]),
    Page("crisis contact name", crisis_contact_name, _crisis_queue),
    Page("crisis message", crisis_message, _crisis_queue),
    Page("directory search name", directory_search, lambda ctx: []),
]


def assert_escaped(html: str, value: str, *, where: str, must_show: bool) -> None:
    if UNSAFE & set(value):
        assert value not in html, f"{where}: shown unescaped"
    if must_show:
        assert escape(value) in html, f"{where}: not shown (escaped) where it should be"


def refused_on_the_page(response) -> bool:
    html = response.content.decode()
    return response.status_code in {200, 400} and ("field-error" in html or "form-errors" in html)


def test_every_page_field_refuses_or_stores_exactly_and_shows_escaped():
    tried = stored_count = 0
    for page in PAGES:
        for value in ATTACKS:
            browser, ctx, stored = page.submit(value)
            response = ctx[0] if isinstance(ctx, tuple) else ctx
            where = f"{page.name} <- {value[:40]!r}"
            assert response.status_code < 500, where
            assert_escaped(response.content.decode(), value, where=where, must_show=False)
            if page.name == "directory search name":
                # A search is answered; a NUL character in a query is refused as a bad request.
                assert response.status_code == (400 if "\x00" in value else 200), where
            elif response.status_code == 302 or stored() is not None:
                value = page.normalise(value)
                assert stored() == value, f"{where}: stored as {stored()!r}"
                stored_count += 1
                if response.status_code == 302:
                    redirected = browser.get(response["Location"])
                    assert_escaped(redirected.content.decode(), value, where=f"{where} (saved)", must_show=False)
                for viewer, url in page.shown_at(ctx):
                    shown = viewer.get(url)
                    assert shown.status_code == 200, (where, url)
                    assert_escaped(shown.content.decode(), value, where=f"{where} at {url}", must_show=True)
            else:
                assert refused_on_the_page(response), (where, response.status_code)
                assert stored() is None, where
            tried += 1
    assert set(connection.introspection.table_names()) >= TABLES
    assert User.objects.exists()
    print(f"injection (pages): {len(ATTACKS)} strings x {len(PAGES)} fields = {tried}, {stored_count} stored")  # noqa: T201


def test_the_preferred_name_from_sign_up_is_shown_escaped_on_the_account_page():
    for value in ATTACKS:
        browser, response, stored = sign_up(value)
        if response.status_code != 302:
            assert refused_on_the_page(response) and stored() is None
            continue
        assert stored() == value
        assert_escaped(browser.get("/accounts/").content.decode(), value, where=value[:40], must_show=True)


# --- The API --------------------------------------------------------------------------------------


@dataclass
class Operation:
    name: str
    call: Callable[[Client, str], tuple[Any, Callable[[], str | None], list[tuple[Client, str]]]]
    normalise: Callable[[str], str] = str


def contains(answer: Any, value: str) -> bool:
    if isinstance(answer, dict):
        return any(contains(item, value) for item in answer.values())
    if isinstance(answer, list):
        return any(contains(item, value) for item in answer)
    return answer == value


def _post(browser, path, headers, body):
    return browser.post(path, data=json.dumps(body), content_type="application/json", **headers)


def api_user(browser, value):
    email = f"api{User.objects.count()}@example.test"
    response = _post(browser, "/api/v1/users", auth_header(UserFactory(role=Role.COORDINATOR)),
                     {"email": email, "role": "client", "preferred_name": value})
    user = User.objects.filter(email=email).first()
    return response, lambda: user.preferred_name if user else None, [(_logged_in(user), "/accounts/")] if user else []


def api_client_name(browser, value):
    email = f"apiclient{User.objects.count()}@example.test"
    response = _post(browser, "/api/v1/clients", auth_header(UserFactory(role=Role.COORDINATOR)), {
        "email": email, "first_name": value, "last_name": value, "date_of_birth": "1990-05-17", "state": "CO",
        "zip": "80202", "timezone": "America/Denver"})
    user = User.objects.filter(email=email).first()
    return response, lambda: user.client.first_name if user else None, []


def api_goal(browser, value):
    client, provider = in_care()
    response = _post(browser, f"/api/v1/clients/{client.pk}/goals", auth_header(client.user), {
        "text": value, "measure": "self_rating", "target": 8, "target_date": _next_monday()})
    return response, lambda: GoalVersion.objects.filter(goal__client=client).values_list("text", flat=True).first(), [
        (_logged_in(client.user), "/progress/"), (_logged_in(provider.user), f"/caseload/{client.pk}/")]


def api_activity(browser, value):
    client, _ = in_care()
    response = _post(browser, f"/api/v1/clients/{client.pk}/plan/activities", auth_header(client.user), {
        "kind": "own", "text": value, "times": 3, "period": "week"})
    return response, lambda: Activity.objects.filter(client=client).values_list("text", flat=True).first(), [
        (_logged_in(client.user), "/progress/")]


def api_check_in(browser, value):
    client, _ = in_care()
    made = _post(browser, f"/api/v1/clients/{client.pk}/plan/activities", auth_header(client.user), {
        "kind": "exercise", "text": "", "times": 3, "period": "week"})
    assert made.status_code == 201, made.content
    activity_id = made.json()["id"]
    response = _post(browser, f"/api/v1/plan/activities/{activity_id}/check-ins", auth_header(client.user), {
        "mood": 6, "note": value})
    return response, lambda: CheckIn.objects.filter(activity_id=activity_id).values_list(
        "note", flat=True).first(), [(_logged_in(client.user), "/progress/")]


def api_alert_note(browser, value):
    client, provider = in_care()
    record(client, "phq9", phq9(12, item9=1))
    alert = Alert.objects.get(client=client)
    response = _post(browser, f"/api/v1/alerts/{alert.pk}/acknowledge", auth_header(provider.user), {"note": value})
    return response, lambda: Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=False).values_list(
        "note", flat=True).first(), [(_logged_in(provider.user), "/provider/alerts/")]


OPERATIONS = [
    Operation("POST /users preferred_name", api_user),
    Operation("POST /clients first_name, last_name", api_client_name,
              normalise=lambda value: " ".join(value.split())),  # names: runs of whitespace become one space
    Operation("POST /clients/{id}/goals text", api_goal),
    Operation("POST /clients/{id}/plan/activities text", api_activity),
    Operation("POST /plan/activities/{id}/check-ins note", api_check_in),
    Operation("POST /alerts/{id}/acknowledge note", api_alert_note),
]


def test_every_api_text_field_refuses_in_the_one_shape_or_stores_exactly_and_pages_show_it_escaped():
    tried = stored_count = 0
    browser = Client()
    for operation in OPERATIONS:
        for value in ATTACKS:
            response, stored, shown_at = operation.call(browser, value)
            where = f"{operation.name} <- {value[:40]!r}"
            if response.status_code in {200, 201}:
                value = operation.normalise(value)
                assert stored() == value, f"{where}: stored as {stored()!r}"
                assert contains(response.json(), value), f"{where}: not answered back exactly"
                stored_count += 1
                for viewer, url in shown_at:
                    shown = viewer.get(url)
                    assert shown.status_code == 200, (where, url)
                    assert_escaped(shown.content.decode(), value, where=f"{where} at {url}", must_show=True)
            else:
                body = assert_error_shape(response, response.status_code)
                assert response.status_code in {400, 422}, where
                assert body.get("fields"), (where, body)
                assert stored() is None, where
            tried += 1
    assert set(connection.introspection.table_names()) >= TABLES
    print(f"injection (API): {len(ATTACKS)} strings x {len(OPERATIONS)} operations = {tried}, "  # noqa: T201
          f"{stored_count} stored")

