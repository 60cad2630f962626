"""The CAQH CORE HTTP transport against a local test clearinghouse: answers, rejections, a
timeout and a malformed answer each reach the person as a clear sentence, never an error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import override_settings

from carematch.coverage import services
from carematch.coverage.models import CheckReason, CheckStatus, EligibilityCheck
from carematch.scheduling.tests.factories import ClientFactory

from .conftest import X12_SETTINGS
from .x12_fixtures import Clearinghouse, local_clearinghouse

pytestmark = pytest.mark.django_db

COVERAGE = {"payer": "aetna", "plan_id": "GOLD-PPO", "member_id": "W123456789", "subscriber_first_name": "Sam",
            "subscriber_last_name": "Rivera", "subscriber_birth_date": "1985-03-02", "relationship": "self"}


@pytest.fixture
def house() -> Iterator[Clearinghouse]:
    with local_clearinghouse() as running, override_settings(
        X12_TRANSPORT="http", X12_URL=running.url, X12_CONNECT_TIMEOUT=1.0, X12_TIMEOUT=0.5, **X12_SETTINGS
    ):
        yield running


def run_check(django_capture_on_commit_callbacks: Any, **coverage: Any) -> EligibilityCheck:
    client = ClientFactory()
    services.coverage_set(client=client, **(COVERAGE | coverage))
    with django_capture_on_commit_callbacks(execute=False):  # the worker's part is run here, by hand
        check = services.eligibility_request(client=client, by=None, reason=CheckReason.API)
    services.eligibility_run(check_id=check.pk)
    return EligibilityCheck.objects.get(pk=check.pk)


def test_the_request_is_a_core_multipart_form_and_an_active_answer_is_read(house: Clearinghouse,
                                                                           django_capture_on_commit_callbacks: Any):
    check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.ANSWERED and check.active is True
    assert check.in_network["copay_usd"] == "25" and check.out_of_network["copay_usd"] == "60"
    assert check.sentence.startswith("Your insurer says your coverage is active for mental health.")
    sent = house.received[0]
    assert sent["PayloadType"] == "X12_270_Request_005010X279A1" and sent["ProcessingMode"] == "RealTime"
    assert sent["CORERuleVersion"] and sent["PayloadID"] and sent["TimeStamp"].endswith("Z")
    assert (sent["SenderID"], sent["ReceiverID"]) == ("CAREMATCH", "CLEARHOUSE")
    assert sent["Payload"].startswith("ISA*") and f"TRN*1*{check.control_number}*" in sent["Payload"]


def test_a_rejection_reaches_the_person_as_what_to_fix(house: Clearinghouse, django_capture_on_commit_callbacks):
    house.mode = "aaa72_invalid_member_id"
    check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.ANSWERED and check.rejection_codes == ["72"] and check.active is None
    assert "did not recognise the member ID" in check.sentence


def test_a_timeout_is_retried_later_and_said_plainly(house: Clearinghouse, django_capture_on_commit_callbacks):
    house.mode = "timeout"
    with django_capture_on_commit_callbacks(execute=False) as queued:
        check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.QUEUED and check.retryable and check.attempts == 1
    assert check.sentence == ("We could not reach your insurer's eligibility service just now. Nothing is wrong "
                              "with your details. We will ask again in 15 minutes.")
    assert queued  # the retry goes to the worker once this commits
    # After the last attempt the person is told who will help instead.
    for _ in range(services.MAX_ATTEMPTS - 1):
        services.eligibility_run(check_id=check.pk)
    check.refresh_from_db()
    assert check.status == CheckStatus.FAILED and check.finished_at is not None
    assert check.sentence.endswith("A coordinator can check your coverage with your insurer.")


@pytest.mark.parametrize("mode", ["malformed", "garbled_271"])
def test_a_malformed_answer_fails_the_check_with_a_sentence(house: Clearinghouse, mode: str,
                                                            django_capture_on_commit_callbacks):
    house.mode = mode
    check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.FAILED
    assert check.sentence.startswith("Your insurer's eligibility service sent an answer we could not read.")


def test_a_core_envelope_error_is_a_retry(house: Clearinghouse, django_capture_on_commit_callbacks):
    house.mode = "receiver_unavailable"
    check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.QUEUED and check.retryable


def test_a_dependent_child_is_asked_about_in_the_dependent_loop(house: Clearinghouse,
                                                                django_capture_on_commit_callbacks):
    house.mode = "dependent_child_active"
    check = run_check(django_capture_on_commit_callbacks, relationship="child")
    assert check.status == CheckStatus.ANSWERED and check.in_network["copay_usd"] == "30"
    assert "INS*N*19~" in house.received[0]["Payload"]


def test_an_unreachable_clearinghouse_is_a_retry_not_an_error(django_capture_on_commit_callbacks):
    with override_settings(X12_TRANSPORT="http", X12_URL="http://127.0.0.1:9/core", X12_CONNECT_TIMEOUT=0.5,
                           X12_TIMEOUT=0.5, **X12_SETTINGS):
        check = run_check(django_capture_on_commit_callbacks)
    assert check.status == CheckStatus.QUEUED and "could not reach your insurer" in check.sentence



def test_a_name_without_latin_letters_is_left_to_the_member_id_and_birth_date(house: Clearinghouse,
                                                                              django_capture_on_commit_callbacks):
    check = run_check(django_capture_on_commit_callbacks, subscriber_last_name="王", subscriber_first_name="小明")
    assert check.status == CheckStatus.ANSWERED
    assert "NM1*IL*1******MI*W123456789~" in house.received[0]["Payload"]
