"""Hostile bodies and values, beyond what test_api_bad_input.py and test_api_errors.py send:
bodies of the wrong media type, bodies over the size limit on every operation and page,
broken JSON of every kind, and time-zone and date garbage in every field that takes one.
Every answer is a 4xx (the one error shape on the API, a form error or a clear page on the
pages), never a 500, and nothing is written."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from carematch.accounts.models import Role, User
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.care.models import Activity, CheckIn, Goal
from carematch.directory.models import TimeOff
from carematch.measures.tests.factories import in_care
from carematch.scheduling.models import Appointment
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

USER = {"email": "media@example.test", "role": "client"}


def write_operations(client) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document that takes a JSON body (a file upload, which
    takes multipart/form-data, answers any other body 422 naming its file field:
    carematch/directory/tests/test_photos.py)."""
    spec = client.get("/api/v1/openapi.json").json()
    return [
        (method.upper(), re.sub(r"\{[^}]+\}", "1", path))
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


@pytest.fixture
def coordinator():
    return auth_header(UserFactory(role=Role.COORDINATOR))


WRONG_MEDIA = [
    ("text/plain", json.dumps(USER)),
    ("text/plain; charset=utf-8", json.dumps(USER)),
    ("application/xml", "<user><email>media@example.test</email><role>client</role></user>"),
    ("text/xml", '<?xml version="1.0"?><!DOCTYPE u [<!ENTITY x SYSTEM "file:///etc/passwd">]><u>&x;</u>'),
    ("application/x-www-form-urlencoded", "email=media%40example.test&role=client"),
    ("multipart/form-data; boundary=XyZ",
     '--XyZ\r\nContent-Disposition: form-data; name="email"\r\n\r\nmedia@example.test\r\n--XyZ--\r\n'),
    ("application/octet-stream", json.dumps(USER)),
    ("", json.dumps(USER)),
]


def test_a_body_that_is_not_sent_as_json_is_415_naming_the_media_type(client, coordinator):
    checked = 0
    for method, path in write_operations(client):
        for media_type, body in WRONG_MEDIA:
            response = client.generic(method, path, data=body, content_type=media_type, **coordinator)
            answer = assert_error_shape(response, 415, "unsupported_media_type")
            assert "application/json" in answer["detail"], answer
            checked += 1
    assert checked >= 15 * len(WRONG_MEDIA)
    assert not User.objects.filter(email=USER["email"]).exists()


def test_json_with_a_charset_or_a_json_suffix_is_still_json(client, coordinator):
    for media_type in ("application/json; charset=utf-8", "Application/JSON", "application/vnd.api+json"):
        email = f"ok{len(media_type)}@example.test"
        response = client.post("/api/v1/users", data=json.dumps({"email": email, "role": "client"}),
                               content_type=media_type, **coordinator)
        assert response.status_code == 201, (media_type, response.content)


def test_a_body_over_the_size_limit_is_413_on_every_operation(client, coordinator):
    huge = json.dumps({"email": "huge@example.test", "role": "client",
                       "preferred_name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)})
    for method, path in write_operations(client):
        response = client.generic(method, path, data=huge, content_type="application/json", **coordinator)
        assert_error_shape(response, 413, "too_large")
    assert not User.objects.filter(email="huge@example.test").exists()


BROKEN_JSON = [
    b'{"email": "a@example.test", "role": "client"',  # cut short
    b'{"email": "a@example.test", "role": "client"} trailing',
    b'{"email": "a@example.test", "role": "client",}',
    b"{'email': 'a@example.test'}",
    b'{"email": NaN, "role": Infinity}',
    b'{"email": "\xff\xfe\xfa", "role": "client"}',  # not UTF-8
    b'{"email": "\\ud800", "role": "client"}',  # a lone surrogate
    b"[" * 100_000 + b"]" * 100_000,  # nested deeper than any parser's stack
    b'{"a": ' * 50_000 + b"1" + b"}" * 50_000,
    b"\x00" * 64,
    b'{"role": "client", "email": 1e999999}',
]


def test_broken_json_is_a_4xx_in_the_one_shape_on_every_operation(client, coordinator):
    checked = 0
    for method, path in write_operations(client):
        for body in BROKEN_JSON:
            response = client.generic(method, path, data=body, content_type="application/json", **coordinator)
            assert 400 <= response.status_code < 500, (method, path, body[:40], response.status_code)
            assert_error_shape(response, response.status_code)
            checked += 1
    assert checked >= 15 * len(BROKEN_JSON)


def test_a_nul_character_anywhere_in_a_body_is_a_422_naming_the_field_on_every_operation(client, coordinator):
    # PostgreSQL cannot store NUL in text; no field of carematch's accepts it on either database.
    bodies = [
        ({"email": "nul@example.test", "role": "client", "preferred_name": "Ann\x00"}, "preferred_name"),
        ({"email": "nul\x00@example.test", "role": "client"}, "email"),
        ({"text": "x", "answers": [0, "\x00"]}, "answers.1"),
        ({"outer": {"inner": "\x00"}}, "outer.inner"),
        ({"key\x00": "x"}, "body"),
    ]
    checked = 0
    for method, path in write_operations(client):
        for body, field in bodies:
            response = client.generic(method, path, data=json.dumps(body), content_type="application/json",
                                      **coordinator)
            answer = assert_error_shape(response, 422, "invalid_input")
            assert answer["fields"] == {field: "must not contain NUL characters"}, (path, answer)
            checked += 1
    assert checked >= 15 * len(bodies)
    assert not User.objects.filter(email__startswith="nul").exists()


def test_a_nul_character_in_any_query_parameter_is_a_422_naming_it_on_every_read(client, coordinator):
    spec = client.get("/api/v1/openapi.json").json()
    checked = 0
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                url = re.sub(r"\{[^}]+\}", "1", path)
                response = client.generic(method.upper(), f"{url}?{parameter['name']}=a%00b", **coordinator)
                answer = assert_error_shape(response, 422, "invalid_input")
                assert answer["fields"] == {parameter["name"]: "must not contain NUL characters"}
                checked += 1
    assert checked >= 8


def test_a_nul_character_in_a_page_query_is_a_400_page_and_in_a_form_a_form_error(client):
    user = UserFactory(role=Role.COORDINATOR)
    client.force_login(user)
    for url in ("/staff/directory/?q=a%00b", "/staff/audit/?user=a%00b", "/find/?x%00=1"):
        response = client.get(url)
        assert response.status_code == 400 and "988" in response.content.decode(), url
    client.logout()
    response = client.post("/accounts/signup/", {"email": "nul@example.test", "password1": "a\x00b",
                                                 "password2": "a\x00b"})
    assert response.status_code == 200 and response.context["form"].errors  # a form error, as any field
    assert not User.objects.filter(email="nul@example.test").exists()


# --- Pages ---------------------------------------------------------------------------------------


def test_a_page_post_over_the_size_limit_gets_a_clear_page_and_writes_nothing():
    client, provider = in_care()
    big = "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    pages = [
        (Client(), "/accounts/signup/", {"email": "big@example.test", "preferred_name": big}),
        (Client(), "/find/", {"in_danger": "no", "padding": big}),
        (Client(), "/accounts/login/", {"username": "big@example.test", "password": big}),
    ]
    for person, url in [(client.user, "/progress/goals/new/"), (client.user, "/progress/plan/new/"),
                        (provider.user, "/provider/profile/"), (provider.user, "/provider/availability/time-off/")]:
        browser = Client()
        browser.force_login(person)
        pages.append((browser, url, {"text": big, "bio": big, "time_off-note": big}))
    for browser, url, data in pages:
        response = browser.post(url, data)
        assert response.status_code in {400, 413}, (url, response.status_code)
        html = response.content.decode()
        assert "Something was wrong with that request" in html or "too large" in html.lower(), url
        assert "988" in html, url  # the crisis line is on every page, error pages included
    assert not User.objects.filter(email="big@example.test").exists()
    assert not Goal.objects.exists() and not Activity.objects.exists() and not TimeOff.objects.exists()


# --- Time zones and dates ------------------------------------------------------------------------

ZONE_GARBAGE = ["America/Nowhere", "../../etc/passwd", "/etc/localtime", "UTC+25", "", "America/Denver\x00",
                "Etc/GMT+99", "x" * 300, "America/denver ", "local"]
DATE_GARBAGE = ["2026-02-30", "9999-99-99", "-1", "0000-00-00", "99999-01-01", "+275760-09-13",
                "2026-13-01", "yesterday",
                "\uff12\uff10\uff12\uff17-\uff10\uff11-\uff10\uff14", "1e10", "2026-01-01T25:00:00Z", "\x00", ""]
DATETIME_GARBAGE = [*DATE_GARBAGE, "2027-03-14T02:30:00", "2027-01-04T09:00:00",  # no offset (naive)
                    "2027-01-04T09:00:00+25:00", "9999-12-31T23:59:59-23:59", "0001-01-01T00:00:00+14:00",
                    "2027-01-04T09:00:00 America/Denver"]


def _api_cases(client_record, provider):
    """(method, path, body builder) for every API field that takes a zone, date or time."""
    new_client = {"email": "tz@example.test", "first_name": "Tz", "last_name": "Case", "date_of_birth": "1990-05-17",
                  "state": "CO", "zip": "80202", "timezone": "America/Denver"}
    goal = {"text": "Sleep better", "measure": "self_rating", "target": 8, "target_date": "2027-06-01"}
    cid = client_record.pk
    return [
        ("POST", "/api/v1/clients", lambda v: {**new_client, "timezone": v}, ZONE_GARBAGE),
        ("POST", "/api/v1/clients", lambda v: {**new_client, "date_of_birth": v}, DATE_GARBAGE),
        ("POST", f"/api/v1/clients/{cid}/goals", lambda v: {**goal, "target_date": v}, DATE_GARBAGE),
        ("POST", "/api/v1/match", lambda v: {"state": "CO", "age": 30, "concerns": ["anxiety"], "format": "telehealth",
                                             "earliest": v}, DATETIME_GARBAGE),
        ("POST", "/api/v1/holds", lambda v: {"provider_id": provider.pk, "start": v, "format": "telehealth",
                                             "client_id": cid}, DATETIME_GARBAGE),
        ("POST", "/api/v1/appointments", lambda v: {"provider_id": provider.pk, "client_id": cid, "start": v,
                                                    "format": "telehealth"}, DATETIME_GARBAGE),
    ]


def test_zone_and_date_garbage_in_every_api_field_is_a_4xx_in_the_one_shape(client):
    client_record, provider = in_care()
    coordinator = auth_header(UserFactory(role=Role.COORDINATOR))
    appointments_before = Appointment.objects.count()
    checked = 0
    for method, path, body, values in _api_cases(client_record, provider):
        for value in values:
            response = client.generic(method, path, data=json.dumps(body(value)), content_type="application/json",
                                      **coordinator)
            assert 400 <= response.status_code < 500, (path, value, response.status_code, response.content[:200])
            assert_error_shape(response, response.status_code)
            checked += 1
    goal = client.post(f"/api/v1/clients/{client_record.pk}/goals", content_type="application/json",
                       data=json.dumps({"text": "Sleep better", "measure": "self_rating", "target": 8,
                                        "target_date": (timezone.localdate() + dt.timedelta(days=60)).isoformat()}),
                       **auth_header(client_record.user))
    assert goal.status_code == 201, goal.content
    activity = client.post(f"/api/v1/clients/{client_record.pk}/plan/activities", content_type="application/json",
                           data=json.dumps({"kind": "exercise", "times": 3, "period": "week"}),
                           **auth_header(client_record.user))
    as_client = auth_header(client_record.user)
    for value in DATE_GARBAGE:
        for path, body in [
            (f"/api/v1/goals/{goal.json()['id']}/ratings", {"rating": 5, "rated_on": value}),
            (f"/api/v1/plan/activities/{activity.json()['id']}/check-ins", {"mood": 5, "done_on": value}),
        ]:
            response = client.post(path, data=json.dumps(body), content_type="application/json", **as_client)
            assert 400 <= response.status_code < 500, (path, value, response.status_code)
            assert_error_shape(response, response.status_code)
            checked += 1
    for value in DATETIME_GARBAGE:
        for name in ("from", "to"):
            response = client.get(f"/api/v1/providers/{provider.pk}/openings", {name: value}, **coordinator)
            assert 400 <= response.status_code < 500, (name, value, response.status_code)
            assert_error_shape(response, response.status_code)
            checked += 1
    assert not User.objects.filter(email="tz@example.test").exists()
    assert Appointment.objects.count() == appointments_before
    assert not CheckIn.objects.exists()
    print(f"zone/date garbage (API): {checked} values tried")  # noqa: T201


def _form_error(response) -> bool:
    html = response.content.decode()
    return response.status_code in {200, 400} and ("field-error" in html or "form-errors" in html)


def test_zone_and_date_garbage_in_every_page_field_is_a_form_error(client):
    client_record, provider = in_care()
    as_client, as_provider = Client(), Client()
    as_client.force_login(client_record.user)
    as_provider.force_login(provider.user)
    anonymous = Client()
    anonymous.post("/find/", {"in_danger": "no"})
    made = as_client.post("/progress/plan/new/", {"kind": "exercise", "text": "", "times": "3", "period": "week"})
    assert made.status_code == 302
    activity = Activity.objects.get(client=client_record)
    checked = 0
    # DST-nonexistent and doubled local times in Denver (the provider's zone): 14 March and 7 November 2027.
    local_garbage = [*DATE_GARBAGE, "2027-03-14T02:30", "2027-11-07T01:30", "2027-02-30T10:00", "2027-01-04T24:00"]
    cases = [
        (anonymous, "/find/about/", lambda v: {"date_of_birth": v}, DATE_GARBAGE),
        (as_client, "/progress/goals/new/", lambda v: {"text": "Sleep better", "measure": "self_rating",
                                                       "rating_target": "8", "target_date": v}, DATE_GARBAGE),
        (as_client, f"/progress/plan/{activity.pk}/check-in/", lambda v: {"done_on": v, "mood": "5"}, DATE_GARBAGE),
        (as_provider, "/provider/availability/time-off/",
         lambda v: {"time_off-start": v, "time_off-end": "2027-03-20T10:00"}, local_garbage),
        (as_provider, "/provider/availability/time-off/",
         lambda v: {"time_off-start": "2027-03-13T10:00", "time_off-end": v}, local_garbage),
    ]
    for browser, url, data, values in cases:
        for value in values:
            response = browser.post(url, data(value))
            assert _form_error(response), (url, value, response.status_code)
            checked += 1
    assert not Goal.objects.exists() and not CheckIn.objects.exists() and not TimeOff.objects.exists()
    print(f"zone/date garbage (pages): {checked} values tried")  # noqa: T201
