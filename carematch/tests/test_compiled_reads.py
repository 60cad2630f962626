"""The reads made on every API request with SQL built once (carematch.lib.compiled) give what
their querysets give: the same rows, the same values (decrypted, time-zone aware), the same
related objects, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carematch.accounts.models import ApiToken, Client, Role
from carematch.accounts.services import _LIVE_TOKEN, api_token_authenticate, token_digest
from carematch.accounts.tests.factories import UserFactory, token_for
from carematch.lib.compiled import CompiledRead
from carematch.scheduling.models import CareRequest
from carematch.scheduling.services import _OPEN_CARE_REQUEST
from carematch.scheduling.tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 8, 9, 30, tzinfo=dt.UTC)  # the morning the US clocks change


def _orm_token(raw: str) -> ApiToken | None:
    return (ApiToken.objects.select_related("user", "user__client")
            .filter(digest=token_digest(raw), revoked_at__isnull=True, user__is_active=True).first())


@pytest.mark.parametrize("case", ["client", "coordinator", "revoked", "inactive", "unknown"])
def test_the_token_read_gives_what_the_queryset_gives(case):
    user = UserFactory.create(role=Role.COORDINATOR if case == "coordinator" else Role.CLIENT)
    if case != "coordinator":
        ClientFactory.create(user=user)
    raw = token_for(user)
    if case == "revoked":
        ApiToken.objects.filter(user=user).update(revoked_at=NOW)
    if case == "inactive":
        type(user).objects.filter(pk=user.pk).update(is_active=False)
    if case == "unknown":
        raw = raw[:-2] + ("aa" if not raw.endswith("aa") else "bb")
    expected = _orm_token(raw)
    found = _LIVE_TOKEN.first(digest=token_digest(raw))
    if expected is None:
        assert found is None and api_token_authenticate(raw=raw) is None
        return
    assert found is not None
    assert (found.pk, found.digest, found.created_at, found.user_id) == (
        expected.pk, expected.digest, expected.created_at, expected.user_id)
    assert found.created_at.tzinfo is not None
    assert found.user.email == expected.user.email and found.user.role == expected.user.role
    # The client record came with the user (select_related): reading it asks nothing more.
    with CaptureQueriesContext(connection) as asked:
        has_client = hasattr(found.user, "client")
        client_pk = found.user.client.pk if has_client else None
    assert len(asked.captured_queries) == 0
    assert has_client == (case != "coordinator")
    if has_client:
        assert client_pk == expected.user.client.pk


states = st.lists(st.tuples(st.integers(0, 72), st.booleans(), st.booleans(), st.booleans()), max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(requests=states)
def test_the_open_care_request_read_gives_what_the_queryset_gives(requests):
    """Any mix of a client's requests (some closed, some with a first session, some flagged,
    some at the same moment): the read picks the one the queryset picks, with its note
    decrypted."""
    savepoint = transaction.savepoint()
    try:
        client = ClientFactory.create()
        other = ClientFactory.create()
        for n, (hours, closed, crisis, mine) in enumerate(requests):
            CareRequest.objects.create(
                client=client if mine else other, requested_at=NOW - dt.timedelta(hours=hours), crisis=crisis,
                closed_at=NOW if closed else None, note_for_therapist=f"synthetic note {n}")
        for who in (client, other):
            expected = (CareRequest.objects.filter(client=who, first_appointment__isnull=True, closed_at__isnull=True)
                        .order_by("requested_at", "pk").first())
            found = _OPEN_CARE_REQUEST.first(client_id=who.pk)
            if expected is None:
                assert found is None
                continue
            assert found is not None
            assert (found.pk, found.requested_at, found.crisis, found.client_id, found.note_for_therapist) == (
                expected.pk, expected.requested_at, expected.crisis, expected.client_id, expected.note_for_therapist)
            assert found.note_for_therapist.startswith("synthetic note")
    finally:
        transaction.savepoint_rollback(savepoint)


def test_a_stand_in_the_sql_does_not_carry_once_is_refused():
    unused = CompiledRead(lambda client_id: Client.objects.all(), client_id=-7_000_000_999)
    with pytest.raises(ValueError, match="client_id"):
        unused.first(client_id=1)
    twice = CompiledRead(lambda client_id: Client.objects.filter(pk=client_id).exclude(user_id=client_id),
                         client_id=-7_000_000_998)
    with pytest.raises(ValueError, match="client_id"):
        twice.first(client_id=1)
