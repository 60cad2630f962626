"""Generated requests against every operation of /api/v1/openapi.json: no 500, every error in
the one JSON shape, and every answer (its status, media type, headers and body) one the
document declares for that operation.

Schemathesis reads the OpenAPI document from the application itself (WSGI, in this process)
and generates valid and invalid requests for each operation; Hypothesis runs them
derandomized, so every run sends the same cases. Each case is sent as one of several
callers (a coordinator, a provider, a client, an administrator, or no token at all) and
its record ids are often those of seeded records (a provider with openings, a client with
an appointment, a hold, goals, activities, check-ins, assessments, an open alert, an
open crisis request, and a conversation with a message), so requests reach the code behind
the permission checks and not only the 404s.

Every case runs inside a savepoint that is rolled back, so nothing one case writes is seen
by the next, on SQLite and PostgreSQL alike. How many cases ran, per operation and in
all, is printed once the module has run.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from carematch.accounts.models import ApiToken, Role
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.care import services as care
from carematch.measures.tests.factories import phq9, record
from carematch.messaging import services as messaging
from carematch.scheduling import services as scheduling
from carematch.scheduling.models import Appointment, Format, Status
from carematch.scheduling.selectors import provider_openings
from carematch.scheduling.tests.factories import ClientFactory, weekday_provider

# Cases per operation. Schemathesis adds its own boundary cases ("coverage") to these.
MAX_EXAMPLES = 150

APP = WSGIHandler()
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP)

CASES: Counter[str] = Counter()
STATUSES: Counter[str] = Counter()

ROLES = ("coordinator", "client", "provider", "admin", "anonymous")


class Seeded:
    """Records the generated requests can find, and a token for each caller."""

    def __init__(self) -> None:
        now = dt.datetime.now(dt.UTC)
        provider = weekday_provider(user=UserFactory(role=Role.PROVIDER))
        client = ClientFactory()
        coordinator = UserFactory(role=Role.COORDINATOR)
        admin = UserFactory(role=Role.ADMIN)
        openings = provider_openings(provider=provider, start=now + dt.timedelta(days=2),
                                     end=now + dt.timedelta(days=9))
        booked = scheduling.appointment_book(provider=provider, client=client, start=openings[0],
                                             format=Format.TELEHEALTH, by=client.user)
        held = scheduling.hold_place(provider=provider, client=ClientFactory(), start=openings[1],
                                     format=Format.TELEHEALTH, by=coordinator)
        past = Appointment.objects.create(
            provider=provider, client=client, start=now - dt.timedelta(days=7),
            end=now - dt.timedelta(days=7) + dt.timedelta(hours=1), format=Format.TELEHEALTH, status=Status.BOOKED,
            booked_at=now - dt.timedelta(days=9),
        )
        goal = care.goal_create(client=client, by=client.user, text="Sleep through most nights",
                                measure="self_rating", instrument="", target=8,
                                target_date=care.client_today(client) + dt.timedelta(days=60))
        activity = care.activity_add(client=client, by=client.user, kind="own",
                                     text="Four slow breaths before bed", times=1, period="day")
        care.check_in_record(activity=activity, by=client.user, done_on=care.client_today(client), mood=6,
                             note="Calmer afterwards")
        assessment = record(client, "phq9", phq9(14, item9=1), by=client.user)
        alert = assessment.alerts.first()
        note_create = getattr(care, "provider_note_create", None)
        note = note_create(client=client, by=provider.user, body="Talked through the sleep diary") if note_create \
            else None
        conversation, _ = messaging.conversation_start(by=client.user, with_user=provider.user)
        message = messaging.message_send(conversation=conversation, sender=client.user,
                                         body="Can we move Thursday to Friday?").message
        crisis = scheduling.crisis_request_create(channel="page", name="Ash", phone="(303) 555-0142", state="CO",
                                                  client=client)
        self.tokens = {
            "coordinator": token_for(coordinator),
            "client": token_for(client.user),
            "provider": token_for(provider.user),
            "admin": token_for(admin),
        }
        self.ids = {
            "user_id": [client.user.pk, provider.user.pk, coordinator.pk],
            "provider_id": [provider.pk],
            "license_id": list(provider.licenses.values_list("pk", flat=True)),
            "client_id": [client.pk],
            "appointment_id": [booked.pk, held.pk, past.pk],
            "goal_id": [goal.pk],
            "activity_id": [activity.pk],
            "alert_id": [alert.pk] if alert else [],
            "note_id": [note.pk] if note else [],
            "token_id": list(ApiToken.objects.order_by("pk").values_list("pk", flat=True)),
            "crisis_request_id": [crisis.pk],
            "conversation_id": [conversation.pk],
            "message_id": [message.pk],
        }
        self.openings = [moment.isoformat() for moment in openings[2:12]]


@pytest.fixture
def seeded(db) -> Iterator[Seeded]:
    # Requests go through Django's WSGI handler, which would close the test's connection at
    # the end of each request; Django's own test client switches that off the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield Seeded()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _case_count_summary(request: pytest.FixtureRequest) -> Any:
    """Prints how many cases ran, per operation and in all, whatever the output capture."""
    yield
    if not CASES:
        return
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    lines = [f"schemathesis: {sum(CASES.values()):,} cases over {len(CASES)} operations "
             f"(statuses: {', '.join(f'{code} x{count}' for code, count in sorted(STATUSES.items()))})"]
    lines += [f"  {count:>5}  {operation}" for operation, count in sorted(CASES.items())]
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in lines:
                reporter.write_line(line)


def assert_one_error_shape(response: Any) -> None:
    content_type = {name.lower(): values for name, values in response.headers.items()}.get("content-type", [""])
    assert content_type[0].startswith("application/json"), response.headers
    body = response.json()
    assert isinstance(body, dict) and {"error", "detail"} <= set(body) <= {"error", "detail", "fields"}, body
    assert isinstance(body["error"], str) and body["error"].replace("_", "").isalpha(), body
    assert isinstance(body["detail"], str) and body["detail"].strip(), body
    if "fields" in body:
        assert body["fields"] and all(isinstance(k, str) and isinstance(v, str) for k, v in body["fields"].items())


@schema.parametrize()
@schema.given(data=st.data())
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
@pytest.mark.django_db
def test_generated_requests_get_no_500_and_errors_in_the_one_shape(case, data, seeded):
    role = data.draw(st.sampled_from(ROLES), label="caller")
    for name in list(case.path_parameters or {}):
        real = seeded.ids.get(name)
        if real and data.draw(st.booleans(), label=f"real {name}"):
            case.path_parameters[name] = data.draw(st.sampled_from(real), label=name)
    if isinstance(case.body, dict) and "start" in case.body and seeded.openings and data.draw(st.booleans()):
        case.body["start"] = data.draw(st.sampled_from(seeded.openings), label="start")
    if role == "anonymous":
        case.headers.pop("Authorization", None)
    else:
        case.headers["Authorization"] = f"Bearer {seeded.tokens[role]}"

    with transaction.atomic():
        response = case.call()
        transaction.set_rollback(True)
    CASES[f"{case.method} {case.path}"] += 1
    STATUSES[str(response.status_code)] += 1

    assert response.status_code < 500, (response.status_code, response.text[:500], case.as_curl_command())
    # Every status, media type and header an operation answers must be declared in the document,
    # so that a client generated from it can read the answer.
    case.validate_response(response, checks=[not_a_server_error, status_code_conformance, content_type_conformance,
                                             response_headers_conformance, response_schema_conformance])
    if response.status_code >= 400:
        assert_one_error_shape(response)
