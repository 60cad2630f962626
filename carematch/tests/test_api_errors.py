"""Every error from every endpoint is JSON of one shape, with the right status."""

from __future__ import annotations

import json
import logging
import re

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.accounts.models import Role, User
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

# Operations anyone may call: the health check, and asking to be contacted from the crisis
# line (a token there is optional; a token that is sent must be valid, see test_attack_token_reuse).
PUBLIC_OPERATIONS = {("get", "/api/v1/health"), ("post", "/api/v1/crisis-requests"), ("get", "/api/v1/articles"),
                     ("post", "/api/v1/newsletter/subscriptions")}


def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            yield method, re.sub(r"\{[^}]+\}", "1", path)


def test_every_operation_that_needs_a_token_answers_401_in_the_one_shape_without_one(client):
    checked = 0
    for method, path in operations(client):
        if (method, path) in PUBLIC_OPERATIONS:
            continue
        response = client.generic(method.upper(), path, data="{}", content_type="application/json")
        assert_error_shape(response, 401, "unauthenticated")
        checked += 1
    assert checked >= 4


def test_health_answers_ok_without_a_token(client):
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_health_answers_503_in_the_one_shape_when_the_database_is_unreachable(client, monkeypatch):
    def unreachable():
        raise OSError("connection refused")

    monkeypatch.setattr("carematch.api.connection.cursor", unreachable)
    assert_error_shape(client.get("/api/v1/health"), 503, "unavailable")


@pytest.fixture
def coordinator():
    return UserFactory(role=Role.COORDINATOR)


def post_user(client, headers, body=None, *, raw=None):
    data = raw if raw is not None else json.dumps(body)
    return client.post("/api/v1/users", data=data, content_type="application/json", **headers)


def test_unknown_addresses_under_the_api_are_404_json(client, coordinator):
    assert_error_shape(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error_shape(client.get("/api/v1/no/such/thing", **auth_header(coordinator)), 404, "not_found")
    assert_error_shape(client.get("/api/v2/health"), 404, "not_found")


def test_a_wrong_method_is_405_json_with_the_allowed_methods(client):
    response = client.delete("/api/v1/health")
    assert_error_shape(response, 405, "method_not_allowed")
    assert "GET" in response["Allow"]


def test_a_body_that_is_not_json_is_400(client, coordinator):
    body = assert_error_shape(post_user(client, auth_header(coordinator), raw="{email: oops"), 400, "bad_request")
    assert "JSON" in body["detail"]


def test_missing_and_invalid_fields_are_422_naming_each_field(client, coordinator):
    body = assert_error_shape(post_user(client, auth_header(coordinator), {}), 422, "invalid_input")
    assert body["fields"] == {"email": "this field is required", "role": "this field is required"}

    body = assert_error_shape(
        post_user(client, auth_header(coordinator), {"email": "x@example.test", "role": "wizard"}), 422
    )
    assert list(body["fields"]) == ["role"]
    assert "client" in body["fields"]["role"]

    body = assert_error_shape(
        post_user(client, auth_header(coordinator), {"email": "not an email", "role": "client"}), 422
    )
    assert body["fields"] == {"email": "not a valid email address"}
    assert not User.objects.filter(role=Role.CLIENT).exists()


def test_a_json_body_of_the_wrong_kind_is_422(client, coordinator):
    for body in ([1, 2], "just text", 42, None):
        assert_error_shape(post_user(client, auth_header(coordinator), body), 422, "invalid_input")


def test_a_role_that_may_not_do_it_gets_403(client, coordinator):
    client_user = UserFactory(role=Role.CLIENT)
    assert_error_shape(
        post_user(client, auth_header(client_user), {"email": "n@example.test", "role": "client"}), 403, "forbidden"
    )
    assert_error_shape(
        post_user(client, auth_header(coordinator), {"email": "boss@example.test", "role": "admin"}), 403, "forbidden"
    )
    assert not User.objects.filter(email__in=["n@example.test", "boss@example.test"]).exists()


def test_a_duplicate_is_409_naming_the_field(client, coordinator):
    UserFactory(email="dup@example.test")
    body = assert_error_shape(
        post_user(client, auth_header(coordinator), {"email": "DUP@example.test", "role": "provider"}), 409, "conflict"
    )
    assert body["fields"] == {"email": "already registered"}


def test_unknown_and_impossible_ids_are_404_and_422(client, coordinator):
    headers = auth_header(coordinator)
    assert_error_shape(client.get("/api/v1/users/999999", **headers), 404, "not_found")
    body = assert_error_shape(client.get("/api/v1/users/abc", **headers), 422)
    assert list(body["fields"]) == ["user_id"]
    assert_error_shape(client.get(f"/api/v1/users/{2**70}", **headers), 422)
    assert_error_shape(client.get("/api/v1/users/-3", **headers), 422)


def test_staff_create_accounts_and_read_them_back(client, coordinator):
    created = post_user(client, auth_header(coordinator), {"email": "New@Example.test", "role": "provider"})
    assert created.status_code == 201
    assert created.json()["email"] == "new@example.test"
    fetched = client.get(f"/api/v1/users/{created.json()['id']}", **auth_header(coordinator))
    assert fetched.json()["role"] == "provider"


@override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000)
def test_an_oversized_body_is_413(client, coordinator):
    big = {"email": "big@example.test", "role": "client", "preferred_name": "x" * 5000}
    assert_error_shape(post_user(client, auth_header(coordinator), big), 413, "too_large")


def test_an_unexpected_failure_is_a_500_in_the_one_shape_and_logs_no_request_content(
    client, coordinator, monkeypatch, caplog
):
    def explode(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("carematch.accounts.services.user_create", explode)
    headers = auth_header(coordinator)
    with caplog.at_level(logging.ERROR):
        response = post_user(client, headers, {"email": "secret-person@example.test", "role": "client"})
    assert_error_shape(response, 500, "server_error")
    assert "boom" not in response.content.decode()
    assert "secret-person" not in caplog.text
    assert headers["HTTP_AUTHORIZATION"].split()[1] not in caplog.text


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
user_bodies = st.fixed_dictionaries(
    {},
    optional={
        "email": st.one_of(st.emails(), st.text(max_size=300), json_values),
        "role": st.one_of(st.sampled_from(["client", "provider", "coordinator", "admin"]), json_values),
        "preferred_name": st.one_of(st.text(max_size=100), json_values),
    },
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(user_bodies, json_values))
def test_no_body_ever_gets_a_500_and_every_error_has_the_one_shape(client, coordinator, body):
    response = post_user(client, auth_header(coordinator), body)
    if response.status_code == 201:
        return
    assert response.status_code in {400, 403, 409, 422}
    assert_error_shape(response, response.status_code)
