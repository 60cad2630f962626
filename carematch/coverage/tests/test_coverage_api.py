"""A client's coverage and eligibility checks through the API: stored encrypted, every read
in the access log, 202 then the result, and a clear 4xx for what is missing or wrong."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client as HttpClient

from carematch.access.models import AccessEvent
from carematch.accounts.models import Role
from carematch.accounts.tests.factories import UserFactory, auth_header
from carematch.coverage import services
from carematch.coverage.models import CheckStatus, ClientCoverage, EligibilityCheck
from carematch.scheduling.tests.factories import ClientFactory
from carematch.tests.helpers import assert_error_shape

from .x12_fixtures import answer_271, trace_of_270

pytestmark = pytest.mark.django_db

BODY = {"payer": "aetna", "plan_id": "GOLD-PPO", "member_id": "W987654321", "subscriber_first_name": "Sam",
        "subscriber_last_name": "Rivera", "subscriber_birth_date": "1985-03-02", "relationship": "self"}


def put(user: Any, client_id: int, body: dict[str, Any]) -> Any:
    return HttpClient().put(f"/api/v1/clients/{client_id}/coverage", data=json.dumps(body),
                            content_type="application/json", **auth_header(user))


def test_a_client_records_their_coverage_and_it_is_encrypted_at_rest() -> None:
    client = ClientFactory()
    response = put(client.user, client.pk, BODY)
    assert response.status_code == 200, response.content
    assert response.json()["member_id"] == "W987654321"
    with connection.cursor() as cursor:
        cursor.execute("SELECT member_id, subscriber_first_name, subscriber_last_name, subscriber_birth_date "
                       "FROM coverage_clientcoverage WHERE client_id = %s", [client.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("enc1:") for value in raw)
    assert not any(secret in " ".join(raw) for secret in ("W987654321", "Rivera", "Sam", "1985"))
    assert ClientCoverage.objects.get(client=client).member_id == "W987654321"


def test_every_read_and_change_of_coverage_is_in_the_access_log() -> None:
    client = ClientFactory()
    coordinator = UserFactory(role=Role.COORDINATOR)
    assert put(coordinator, client.pk, BODY).status_code == 200
    assert HttpClient().get(f"/api/v1/clients/{client.pk}/coverage", **auth_header(client.user)).status_code == 200
    events = list(AccessEvent.objects.filter(client_id=client.pk, resource_type="coverage").order_by("id")
                  .values_list("actor_id", "action", "outcome", "result"))
    assert events == [(coordinator.pk, "update", "allowed", "succeeded"), (client.user.pk, "view", "allowed", "")]


def test_a_provider_and_another_client_do_not_see_coverage() -> None:
    client, other = ClientFactory(), ClientFactory()
    services.coverage_set(client=client, **BODY)
    provider = UserFactory(role=Role.PROVIDER)
    for user in (other.user, provider):
        response = HttpClient().get(f"/api/v1/clients/{client.pk}/coverage", **auth_header(user))
        assert_error_shape(response, 404)
        assert_error_shape(put(user, client.pk, BODY), 404)
    assert AccessEvent.objects.filter(client_id=client.pk, resource_type="coverage", outcome="denied").count() == 4


def test_bad_coverage_names_every_field_and_writes_nothing() -> None:
    client = ClientFactory()
    bad = BODY | {"payer": "no-such-payer", "member_id": "W*1~", "subscriber_birth_date": "2999-01-01",
                  "relationship": "cousin", "subscriber_last_name": ""}
    body = assert_error_shape(put(client.user, client.pk, bad), 422)
    assert set(body["fields"]) == {"payer", "member_id", "subscriber_birth_date", "relationship",
                                   "subscriber_last_name"}
    assert not ClientCoverage.objects.filter(client=client).exists()


def test_eligibility_without_coverage_is_409_naming_what_is_missing(file_clearinghouse: Any) -> None:
    client = ClientFactory()
    response = HttpClient().post(f"/api/v1/clients/{client.pk}/eligibility", **auth_header(client.user))
    body = assert_error_shape(response, 409, "coverage_missing")
    assert "member_id" in body["fields"]["coverage"]


def test_eligibility_when_checks_are_not_set_up_is_409() -> None:
    client = ClientFactory()
    services.coverage_set(client=client, **BODY)
    response = HttpClient().post(f"/api/v1/clients/{client.pk}/eligibility", **auth_header(client.user))
    assert_error_shape(response, 409, "eligibility_not_configured")


def test_post_is_202_then_get_shows_the_answer_read_from_the_batch_inbox(
    file_clearinghouse: tuple[Path, Path], django_capture_on_commit_callbacks: Any,
) -> None:
    outbox, inbox = file_clearinghouse
    client = ClientFactory()
    coordinator = UserFactory(role=Role.COORDINATOR)
    services.coverage_set(client=client, **BODY)
    with django_capture_on_commit_callbacks(execute=True):
        response = HttpClient().post(f"/api/v1/clients/{client.pk}/eligibility", **auth_header(coordinator))
    assert response.status_code == 202, response.content
    queued = response.json()
    assert queued["url"] == f"/api/v1/clients/{client.pk}/eligibility"
    services.eligibility_run(check_id=queued["id"])  # what the worker does with the queued task
    sent = list(outbox.glob("270_*.x12"))
    assert [p.name for p in sent] == [f"270_{queued['id']:09d}.x12"]
    shown = HttpClient().get(queued["url"], **auth_header(client.user)).json()
    assert shown["latest"]["status"] == "running" and shown["coverage_on_file"] is True

    inbox.mkdir(parents=True)
    trace = trace_of_270(sent[0].read_text())
    (inbox / "answer-from-clearinghouse.txt").write_text(answer_271("coinsurance_deductible", trace=trace))
    assert services.eligibility_collect() == 1
    latest = HttpClient().get(queued["url"], **auth_header(client.user)).json()["latest"]
    assert latest["id"] == queued["id"] and latest["status"] == "answered" and latest["active"] is True
    assert latest["in_network"]["coinsurance_pct"] == "20"
    assert latest["in_network"]["deductible_left_usd"] == "400"
    assert "20% of the allowed fee" in latest["sentence"]
    assert AccessEvent.objects.filter(client_id=client.pk, resource_type="eligibility_check").exists()


def test_get_before_any_check_says_so() -> None:
    client = ClientFactory()
    body = HttpClient().get(f"/api/v1/clients/{client.pk}/eligibility", **auth_header(client.user)).json()
    assert body == {"client_id": client.pk, "coverage_on_file": False, "latest": None}


def test_an_answer_for_another_inquiry_is_not_taken(file_clearinghouse: tuple[Path, Path],
                                                    django_capture_on_commit_callbacks: Any) -> None:
    _outbox, inbox = file_clearinghouse
    client = ClientFactory()
    services.coverage_set(client=client, **BODY)
    with django_capture_on_commit_callbacks(execute=False):
        check = services.eligibility_request(client=client, by=None, reason="api")
    services.eligibility_run(check_id=check.pk)
    inbox.mkdir(parents=True)
    (inbox / "other.x12").write_text(answer_271("active_copay", trace=check.pk + 1000))
    assert services.eligibility_collect() == 0
    assert EligibilityCheck.objects.get(pk=check.pk).status == CheckStatus.RUNNING


def test_benefits_from_an_answered_check_fit_the_estimate(file_clearinghouse: tuple[Path, Path],
                                                          django_capture_on_commit_callbacks: Any) -> None:
    from decimal import Decimal

    _outbox, inbox = file_clearinghouse
    client = ClientFactory()
    services.coverage_set(client=client, **BODY)
    with django_capture_on_commit_callbacks(execute=False):
        check = services.eligibility_request(client=client, by=None, reason="api")
    services.eligibility_run(check_id=check.pk)
    inbox.mkdir(parents=True)
    (inbox / f"271_{check.pk:09d}.x12").write_text(answer_271("coinsurance_deductible", trace=check.pk))
    services.eligibility_collect()
    benefits = services.benefits_from_eligibility(EligibilityCheck.objects.get(pk=check.pk))
    assert benefits == {"copay_usd": None, "coinsurance_pct": Decimal(20), "deductible_applies": True,
                        "deductible_left_usd": Decimal(400), "oop_left_usd": Decimal(4100), "source": "eligibility"}


def test_a_payer_the_deployment_added_can_be_chosen_at_once() -> None:
    from carematch.directory.services import payer_ensure

    client = ClientFactory()
    assert_error_shape(put(client.user, client.pk, BODY | {"payer": "rocky-mountain-health"}), 422)
    payer_ensure(slug="rocky-mountain-health", name="Rocky Mountain Health Plans", source="staff")
    assert put(client.user, client.pk, BODY | {"payer": "rocky-mountain-health"}).status_code == 200
