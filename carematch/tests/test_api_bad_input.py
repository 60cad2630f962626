"""No endpoint answers 500 to bad input: every operation of the OpenAPI document, for every
role, gets malformed and mistyped bodies and ids, and answers in the one error shape."""

from __future__ import annotations

import json
import re

import pytest

from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider
from carematch.tests.helpers import assert_error_shape

pytestmark = pytest.mark.django_db

BAD_BODIES = [
    "{not json", "[]", "null", "42", '"text"', "{}",
    json.dumps({"start": "yesterday", "format": 7, "provider_id": "x", "client_id": -1, "instrument": ["phq9"],
                "answers": "0,1", "status": None, "email": {"a": 1}, "note": 5, "concerns": "anxiety"}),
    json.dumps({"state": "CO", "age": 10**30, "concerns": ["anxiety"] * 1000, "zip": "9" * 500}),
    json.dumps({"start": "2027-13-45T99:99:99+99:00", "date_of_birth": "1990-02-30", "timezone": "Mars/Base"}),
    json.dumps({"email": "nul\u0000@example.test", "first_name": "A\u0000", "last_name": "B", "note": "x\u0000y",
                "state": "CO", "date_of_birth": "1990-01-01", "timezone": "America/Denver", "role": "client",
                "instrument": "phq9", "answers": [0, 0, 0, 0, 0, 0, 0, 0, 0], "text": "\u0000"}),
]
BAD_IDS = ["0", "-1", "abc", str(2**64), "1e3"]


def operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path, item in spec["paths"].items():
        for method in item:
            yield method.upper(), path


@pytest.fixture
def callers():
    provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
    client_record = ClientFactory()
    return {
        "client": auth_header(client_record.user),
        "provider": auth_header(provider.user),
        "coordinator": auth_header(UserFactory(role=Role.COORDINATOR)),
        "admin": auth_header(UserFactory(role=Role.ADMIN)),
    }


def test_malformed_bodies_never_get_a_500_from_any_operation_for_any_role(client, callers):
    checked = 0
    for method, path in operations(client):
        url = re.sub(r"\{[^}]+\}", "1", path)
        for headers in callers.values():
            for body in BAD_BODIES if method in {"POST", "PUT", "PATCH"} else [None]:
                response = client.generic(method, url, data=body or "", content_type="application/json", **headers)
                assert response.status_code < 500, (method, url, body, response.content[:300])
                if response.status_code >= 400:
                    assert_error_shape(response, response.status_code)
                checked += 1
    assert checked > 300


def test_impossible_ids_in_paths_are_4xx_in_the_one_shape(client, callers):
    for method, path in operations(client):
        if "{" not in path:
            continue
        for bad in BAD_IDS:
            url = re.sub(r"\{[^}]+\}", bad, path)
            response = client.generic(method, url, data="{}", content_type="application/json",
                                      **callers["coordinator"])
            assert 400 <= response.status_code < 500, (method, url, response.status_code)
            assert_error_shape(response, response.status_code)
